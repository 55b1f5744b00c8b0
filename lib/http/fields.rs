//! Named fields from a JSON object, a form or a query string, with errors
//! that name the field (the contract's `validation_failed`).

use crate::error::AppError;
use serde_json::{Map, Value};

/// Fields by name. Form and query values are strings; numbers are parsed on request.
#[derive(Debug)]
pub struct Fields {
    map: Map<String, Value>,
    /// Form and query fields arrive as text even when they hold numbers.
    textual: bool,
}

fn invalid(field: &str, reason: &str) -> AppError {
    AppError::Validation(format!("{field}: {reason}"))
}

impl Fields {
    pub fn from_json(body: &[u8]) -> Result<Self, AppError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| AppError::InvalidJson("the request body is not valid UTF-8".into()))?;
        let value: Value = serde_json::from_str(text).map_err(|e| {
            AppError::InvalidJson(format!("the request body is not valid JSON: {e}"))
        })?;
        match value {
            Value::Object(map) => Ok(Self {
                map,
                textual: false,
            }),
            _ => Err(AppError::Validation("body: must be a JSON object".into())),
        }
    }

    pub fn from_form(body: &[u8]) -> Result<Self, AppError> {
        if std::str::from_utf8(body).is_err() {
            return Err(AppError::InvalidJson(
                "the form body is not valid UTF-8".into(),
            ));
        }
        Ok(Self::from_pairs(form_urlencoded::parse(body)))
    }

    pub fn from_query(query: &str) -> Result<Self, AppError> {
        Ok(Self::from_pairs(form_urlencoded::parse(query.as_bytes())))
    }

    fn from_pairs<'a>(
        pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    ) -> Self {
        let mut map = Map::new();
        for (k, v) in pairs {
            // The first occurrence wins, as most frameworks do.
            map.entry(k.into_owned())
                .or_insert(Value::String(v.into_owned()));
        }
        Self { map, textual: true }
    }

    fn present(&self, field: &str) -> Option<&Value> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub fn opt_i64(&self, field: &str) -> Result<Option<i64>, AppError> {
        let Some(v) = self.present(field) else {
            return Ok(None);
        };
        let n = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) if self.textual => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        n.map(Some)
            .ok_or_else(|| invalid(field, "must be an integer"))
    }

    pub fn i64(&self, field: &str) -> Result<i64, AppError> {
        self.opt_i64(field)?
            .ok_or_else(|| invalid(field, "is required"))
    }

    pub fn opt_str(&self, field: &str) -> Result<Option<&str>, AppError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(field, "must be a string")),
        }
    }

    pub fn str(&self, field: &str) -> Result<&str, AppError> {
        self.opt_str(field)?
            .ok_or_else(|| invalid(field, "is required"))
    }

    pub fn str_array(&self, field: &str) -> Result<Vec<&str>, AppError> {
        match self.present(field) {
            None => Err(invalid(field, "is required")),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| invalid(field, "must be an array of strings"))
                })
                .collect(),
            Some(_) => Err(invalid(field, "must be an array of strings")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_name_the_field_in_errors() {
        let f = Fields::from_json(br#"{"conversation_id":"7","body":3}"#).unwrap();
        let err = f.i64("conversation_id").unwrap_err().to_string();
        assert!(err.contains("conversation_id"), "{err}");
        assert!(f.str("body").unwrap_err().to_string().contains("body"));
        assert!(
            f.str("missing")
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
    }

    #[test]
    fn syntax_errors_are_invalid_json_and_non_objects_are_validation() {
        assert!(matches!(
            Fields::from_json(b"{"),
            Err(AppError::InvalidJson(_))
        ));
        assert!(matches!(
            Fields::from_json(b"\xff"),
            Err(AppError::InvalidJson(_))
        ));
        assert!(matches!(
            Fields::from_json(b"[1]"),
            Err(AppError::Validation(_))
        ));
    }

    #[test]
    fn query_numbers_parse_from_text() {
        let f = Fields::from_query("conversation_id=12&before=&limit=x").unwrap();
        assert_eq!(f.i64("conversation_id").unwrap(), 12);
        assert!(f.opt_i64("limit").is_err());
    }
}
