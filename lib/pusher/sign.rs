//! REST request signing (auth_version 1.0), pure: the clock is an argument.
//! Follows the Node library's `createSignedQueryString` step by step.

use super::error::PusherError;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use std::fmt;

/// An app key and its secret: what signs requests, auth strings and webhooks.
#[derive(Clone)]
pub struct Token {
    key: String,
    secret: String,
}

impl Token {
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// Lowercase hex HMAC-SHA256 of `message` under the secret.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.mac(message))
    }

    pub(crate) fn mac(&self, message: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Parameters the signing step owns; a caller may not set them.
fn is_reserved(key: &str) -> bool {
    key.starts_with("auth_") || key == "body_md5"
}

/// Lowercase hex MD5 of the exact body bytes sent.
pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// A signed query: its parts are public so the vectors can check each one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedQuery {
    /// Every parameter except `auth_signature`, sorted by key, unescaped.
    pub params: Vec<(String, String)>,
    pub string_to_sign: String,
    pub signature: String,
}

impl SignedQuery {
    /// `k=v&...&auth_signature=<sig>`, unescaped, exactly as the Node library
    /// builds it (signature last).
    pub fn query_string(&self) -> String {
        let mut query = join_params(&self.params, |v| v.to_owned());
        query.push_str("&auth_signature=");
        query.push_str(&self.signature);
        query
    }

    /// The same query percent-encoded for a URL. Ordinary values (keys, hex,
    /// digits, `user_count,subscription_count`, `presence-`) come out
    /// unchanged; the server decodes before checking the signature.
    pub fn url_query(&self) -> String {
        let mut query = join_params(&self.params, percent_encode);
        query.push_str("&auth_signature=");
        query.push_str(&self.signature);
        query
    }
}

fn join_params(params: &[(String, String)], encode: impl Fn(&str) -> String) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Signs one request. `path` is the full path (`/apps/{id}/...`, no query);
/// `body` is the exact bytes sent (none or empty: no `body_md5`);
/// `timestamp` is Unix seconds.
pub fn sign_request(
    token: &Token,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: Option<&[u8]>,
    timestamp: u64,
) -> Result<SignedQuery, PusherError> {
    let mut all = vec![
        ("auth_key".to_owned(), token.key.clone()),
        ("auth_timestamp".to_owned(), timestamp.to_string()),
        ("auth_version".to_owned(), "1.0".to_owned()),
    ];
    if let Some(body) = body.filter(|b| !b.is_empty()) {
        all.push(("body_md5".to_owned(), body_md5(body)));
    }
    for (key, value) in params {
        if is_reserved(key) {
            return Err(PusherError::ReservedParameter(key.clone()));
        }
        // Later values replace earlier ones, as assigning to a JS object does.
        all.retain(|(k, _)| k != key);
        all.push((key.clone(), value.clone()));
    }
    // JavaScript compares strings by UTF-16 code units.
    all.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    let string_to_sign = format!(
        "{}\n{}\n{}",
        method.to_ascii_uppercase(),
        path,
        join_params(&all, |v| v.to_owned())
    );
    let signature = token.sign(string_to_sign.as_bytes());
    Ok(SignedQuery {
        params: all,
        string_to_sign,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example in Pusher's REST API docs (PROTOCOL.md §3).
    #[test]
    fn reproduces_the_docs_worked_example() {
        let token = Token::new("278d425bdf160c739803", "7ad3773142a6692b25b8");
        let body = r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        let signed = sign_request(
            &token,
            "POST",
            "/apps/3/events",
            &[],
            Some(body.as_bytes()),
            1353088179,
        )
        .unwrap();
        assert_eq!(
            body_md5(body.as_bytes()),
            "ec365a775a4cd0599faeb73354201b6f"
        );
        assert_eq!(
            signed.signature,
            "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
        );
        assert!(
            signed
                .query_string()
                .ends_with(&format!("&auth_signature={}", signed.signature))
        );
    }

    #[test]
    fn params_are_sorted_and_reserved_names_refused() {
        let token = Token::new("k", "s");
        let params = [
            ("zeta".to_owned(), "1".to_owned()),
            ("alpha".to_owned(), "a b".to_owned()),
        ];
        let signed = sign_request(&token, "get", "/apps/1/channels", &params, None, 7).unwrap();
        assert_eq!(
            signed.string_to_sign,
            "GET\n/apps/1/channels\nalpha=a b&auth_key=k&auth_timestamp=7&auth_version=1.0&zeta=1"
        );
        assert!(signed.url_query().starts_with("alpha=a%20b&auth_key=k"));
        for reserved in ["auth_key", "auth_signature", "auth_other", "body_md5"] {
            let params = [(reserved.to_owned(), "x".to_owned())];
            let err = sign_request(&token, "GET", "/x", &params, None, 7).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{reserved} is a required parameter and cannot be overidden")
            );
        }
    }

    #[test]
    fn empty_bodies_get_no_md5() {
        let token = Token::new("k", "s");
        let signed = sign_request(&token, "POST", "/x", &[], Some(b""), 1).unwrap();
        assert!(signed.params.iter().all(|(k, _)| k != "body_md5"));
    }
}
