//! `JSON.stringify` for JSON values, byte for byte, so the strings we sign
//! (presence `channel_data`, sign-in `user_data`) are the ones Node would sign.
//!
//! serde_json already matches JavaScript for strings, arrays and objects (key
//! order is kept: the crate enables serde_json's `preserve_order`); only
//! non-integer and very large numbers print differently (`1.0` vs `1`,
//! `1e21` vs `1e+21`), which is what this module fixes.

use serde_json::Value;

pub fn stringify(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Integers beyond 2^53 lose precision in JavaScript too, so every
        // number goes through f64 as `JSON.parse` would.
        Value::Number(n) => match n.as_f64() {
            Some(f) => out.push_str(&js_number(f)),
            None => out.push_str(&n.to_string()),
        },
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// JavaScript's Number-to-String: shortest round-trip digits, plain decimal
/// from 1e-6 up to 1e21, exponent form (`1e+21`, `1.5e-7`) outside it.
pub fn js_number(f: f64) -> String {
    if !f.is_finite() {
        return "null".to_owned();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    let abs = f.abs();
    if (1e-6..1e21).contains(&abs) {
        // Rust's Display is also shortest-round-trip and never uses exponents.
        return format!("{f}");
    }
    let exp = format!("{f:e}");
    match exp.split_once('e') {
        Some((mantissa, power)) if !power.starts_with('-') => format!("{mantissa}e+{power}"),
        _ => exp,
    }
}

/// How JavaScript's `'' + value` renders a value inside an error message.
pub fn js_display(value: Option<&Value>) -> String {
    match value {
        None => "undefined".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(_)) => "[object Object]".to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => js_display(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(other) => stringify(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_keep_their_key_order() {
        let v: Value = serde_json::from_str(r#"{"z":1,"a":[true,null,"é\n"],"m":{}}"#).unwrap();
        assert_eq!(stringify(&v), r#"{"z":1,"a":[true,null,"é\n"],"m":{}}"#);
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        let cases = [
            (json!(1.0), "1"),
            (json!(-2.5), "-2.5"),
            (json!(0.1), "0.1"),
            (json!(1e21), "1e+21"),
            (json!(1.5e-7), "1.5e-7"),
            (json!(0.000001), "0.000001"),
            (json!(123456789012345680000.0), "123456789012345680000"),
            (json!(u64::MAX), "18446744073709552000"),
            (json!(42), "42"),
            (json!(-0.0), "0"),
        ];
        for (value, js) in cases {
            assert_eq!(stringify(&value), js, "{value:?}");
        }
    }

    #[test]
    fn display_follows_string_concatenation() {
        assert_eq!(js_display(None), "undefined");
        assert_eq!(js_display(Some(&json!(5))), "5");
        assert_eq!(js_display(Some(&json!("x"))), "x");
        assert_eq!(js_display(Some(&json!({"a": 1}))), "[object Object]");
        assert_eq!(js_display(Some(&json!([1, null, "b"]))), "1,,b");
        assert_eq!(js_display(Some(&json!(null))), "null");
    }
}
