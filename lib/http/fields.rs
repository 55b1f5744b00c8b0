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

/// Postgres `text` cannot hold U+0000: refuse it here, naming the field,
/// rather than failing in the database.
fn storable<'a>(field: &str, s: &'a str) -> Result<&'a str, AppError> {
    if s.contains('\0') {
        Err(invalid(
            field,
            "must not contain the NUL character (U+0000)",
        ))
    } else {
        Ok(s)
    }
}

/// An integral float within i64's exact range (|n| <= 2^53), as an i64.
fn integral_f64(n: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (n.fract() == 0.0 && n.abs() <= EXACT).then_some(n as i64)
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
            // JSON Schema calls 121.0 an integer, so we do too; 121.5 is not.
            Value::Number(n) => n.as_i64().or_else(|| integral_f64(n.as_f64()?)),
            // A query's or form's 57.0 is the same integer (schemathesis found it).
            Value::String(s) if self.textual => {
                let s = s.trim();
                s.parse::<i64>()
                    .ok()
                    .or_else(|| integral_f64(s.parse::<f64>().ok()?))
            }
            _ => None,
        };
        n.map(Some)
            .ok_or_else(|| invalid(field, "must be an integer"))
    }

    pub fn i64(&self, field: &str) -> Result<i64, AppError> {
        self.opt_i64(field)?
            .ok_or_else(|| invalid(field, "is required"))
    }

    /// A JSON boolean (JSON bodies only: a form's "false" is not guessed at).
    pub fn bool(&self, field: &str) -> Result<bool, AppError> {
        match self.present(field) {
            None => Err(invalid(field, "is required")),
            Some(serde_json::Value::Bool(b)) if !self.textual => Ok(*b),
            Some(_) => Err(invalid(field, "must be true or false")),
        }
    }

    pub fn opt_str(&self, field: &str) -> Result<Option<&str>, AppError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) => storable(field, s).map(Some),
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
                        .and_then(|s| storable(field, s))
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
    fn integral_floats_are_integers_and_others_are_not() {
        let f = Fields::from_json(br#"{"a":121.0,"b":121.5,"c":1e300,"d":-0.0,"e":5}"#).unwrap();
        assert_eq!(f.i64("a").unwrap(), 121);
        assert!(f.i64("b").is_err());
        assert!(f.i64("c").is_err());
        assert_eq!(f.i64("d").unwrap(), 0);
        assert_eq!(f.i64("e").unwrap(), 5);
    }

    #[test]
    fn a_query_takes_integral_decimals_too() {
        let q = Fields::from_query("a=57.0&b=57.5&c=nan&d=inf&e=1e3&f=%2057%20").unwrap();
        assert_eq!(q.i64("a").unwrap(), 57);
        assert!(q.i64("b").is_err() && q.i64("c").is_err() && q.i64("d").is_err());
        assert_eq!(q.i64("e").unwrap(), 1000);
        assert_eq!(q.i64("f").unwrap(), 57);
    }

    #[test]
    fn nul_is_refused_in_every_text_field() {
        let f = Fields::from_json(br#"{"body":"a\u0000b","list":["x","\u0000"]}"#).unwrap();
        let err = f.str("body").unwrap_err().to_string();
        assert!(err.contains("body") && err.contains("NUL"), "{err}");
        assert!(
            f.str_array("list")
                .unwrap_err()
                .to_string()
                .contains("list")
        );
        let q = Fields::from_query("before=%00").unwrap();
        assert!(q.opt_str("before").is_err());
    }

    #[test]
    fn query_numbers_parse_from_text() {
        let f = Fields::from_query("conversation_id=12&before=&limit=x").unwrap();
        assert_eq!(f.i64("conversation_id").unwrap(), 12);
        assert!(f.opt_i64("limit").is_err());
    }
}
