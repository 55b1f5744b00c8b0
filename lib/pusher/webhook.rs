//! Webhook verification: key and signature are checked over the raw bytes,
//! in constant time, before the body is parsed. Never panics on junk.

use super::sign::Token;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq;

/// A verified webhook delivery: `{"time_ms": ..., "events": [...]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub time_ms: i64,
    pub events: Vec<WebhookEvent>,
}

impl Webhook {
    /// True when `time_ms` is at most `max_age_ms` before `now_ms` (and not
    /// further than that in the future): Pusher offers no other replay guard.
    pub fn is_fresh(&self, now_ms: i64, max_age_ms: i64) -> bool {
        now_ms.abs_diff(self.time_ms) <= max_age_ms.unsigned_abs()
    }
}

/// One event. Which fields are present depends on `name`
/// (`channel_occupied`, `member_added`, `client_event`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Pusher sends a string; a number is accepted and kept as its digits.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<String>,
    /// The client event's name (`client_event` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Pusher sends a JSON-encoded string; Sockudo may send the object itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<i64>,
    /// Anything else the server sends, kept rather than dropped.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(serde::de::Error::custom("user_id must be a string")),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing X-Pusher-Key header")]
    MissingKey,
    #[error("X-Pusher-Key is not this app's key")]
    WrongKey,
    #[error("missing X-Pusher-Signature header")]
    MissingSignature,
    #[error("X-Pusher-Signature does not match the body")]
    BadSignature,
    #[error("content-type must be exactly application/json")]
    WrongContentType,
    #[error("webhook body is not valid: {0}")]
    InvalidBody(String),
}

/// Lowercase hex HMAC-SHA256 of the raw body: the expected signature.
pub fn signature(token: &Token, raw_body: &[u8]) -> String {
    token.sign(raw_body)
}

/// Verifies a delivery given its headers (`None` when absent) and raw body.
/// The content type must be exactly `application/json`, as the Node library
/// requires; signatures must be lowercase hex, as the server sends them.
pub fn verify(
    token: &Token,
    key: Option<&str>,
    signature_header: Option<&str>,
    content_type: Option<&str>,
    raw_body: &[u8],
) -> Result<Webhook, WebhookError> {
    let key = key.ok_or(WebhookError::MissingKey)?;
    if !bool::from(key.as_bytes().ct_eq(token.key().as_bytes())) {
        return Err(WebhookError::WrongKey);
    }
    let given = signature_header.ok_or(WebhookError::MissingSignature)?;
    let expected = signature(token, raw_body);
    // Different lengths compare unequal without looking at the bytes.
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(WebhookError::BadSignature);
    }
    if content_type != Some("application/json") {
        return Err(WebhookError::WrongContentType);
    }
    serde_json::from_slice(raw_body).map_err(|e| WebhookError::InvalidBody(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token::new("key", "secret")
    }

    fn check(
        key: Option<&str>,
        sig: Option<&str>,
        ct: Option<&str>,
        body: &[u8],
    ) -> Result<Webhook, WebhookError> {
        verify(&token(), key, sig, ct, body)
    }

    #[test]
    fn accepts_a_signed_delivery_with_object_or_string_data() {
        let body = br#"{"time_ms":5,"events":[{"name":"client_event","channel":"private-a","event":"client-x","data":{"a":1},"socket_id":"1.2","user_id":7},{"name":"client_event","data":"{\"a\":1}"},{"name":"subscription_count","subscription_count":3,"extra":true}]}"#;
        let sig = signature(&token(), body);
        let hook = check(Some("key"), Some(&sig), Some("application/json"), body).unwrap();
        assert_eq!(hook.time_ms, 5);
        assert_eq!(hook.events[0].data, Some(serde_json::json!({"a": 1})));
        assert_eq!(hook.events[0].user_id.as_deref(), Some("7"));
        assert_eq!(hook.events[1].data, Some(serde_json::json!("{\"a\":1}")));
        assert_eq!(hook.events[2].subscription_count, Some(3));
        assert_eq!(
            hook.events[2].other.get("extra"),
            Some(&serde_json::json!(true))
        );
    }

    #[test]
    fn refuses_each_bad_header() {
        let body = br#"{"time_ms":5,"events":[]}"#;
        let sig = signature(&token(), body);
        let ct = Some("application/json");
        assert_eq!(
            check(None, Some(&sig), ct, body),
            Err(WebhookError::MissingKey)
        );
        assert_eq!(
            check(Some("kex"), Some(&sig), ct, body),
            Err(WebhookError::WrongKey)
        );
        assert_eq!(
            check(Some("key"), None, ct, body),
            Err(WebhookError::MissingSignature)
        );
        let upper = sig.to_uppercase();
        for bad in [upper.as_str(), "", "zz", &sig[1..]] {
            assert_eq!(
                check(Some("key"), Some(bad), ct, body),
                Err(WebhookError::BadSignature)
            );
        }
        for bad_ct in [
            None,
            Some("application/json; charset=utf-8"),
            Some("text/plain"),
        ] {
            assert_eq!(
                check(Some("key"), Some(&sig), bad_ct, body),
                Err(WebhookError::WrongContentType)
            );
        }
    }

    #[test]
    fn signed_junk_is_an_invalid_body() {
        for body in [
            &b"not json"[..],
            b"{}",
            b"{\"time_ms\":\"x\",\"events\":[]}",
            b"\xff",
        ] {
            let sig = signature(&token(), body);
            let result = check(Some("key"), Some(&sig), Some("application/json"), body);
            assert!(
                matches!(result, Err(WebhookError::InvalidBody(_))),
                "{body:?}"
            );
        }
    }

    #[test]
    fn freshness_is_symmetric() {
        let hook = Webhook {
            time_ms: 1_000_000,
            events: vec![],
        };
        assert!(hook.is_fresh(1_000_000 + 300_000, 300_000));
        assert!(!hook.is_fresh(1_000_000 + 300_001, 300_000));
        assert!(!hook.is_fresh(1_000_000 - 300_001, 300_000));
    }
}
