//! Auth.js v5 (`next-auth@5`, `@auth/core`) JWT sessions: a JWE, `alg: dir`,
//! `enc: A256CBC-HS512` (its decoder also takes `A256GCM`), keyed by
//! HKDF-SHA256(secret, salt = cookie name, info = "Auth.js Generated
//! Encryption Key (<salt>)", 64 bytes; 32 for A256GCM). The header's `kid` is
//! the key's RFC 7638 thumbprint and picks the secret during rotation; 15 s of
//! clock tolerance (`@auth/core/jwt.js`, checked in tools/auth-vectors/).

use super::Failure;
use super::jwe::{self, Enc};
use serde_json::Value;

/// Auth.js's `clockTolerance`.
pub const SKEW_SECS: u64 = 15;
pub const COOKIE_NAMES: [&str; 2] = ["__Secure-authjs.session-token", "authjs.session-token"];

struct DerivedKey {
    salt: String,
    enc: Enc,
    key: Vec<u8>,
    kid: String,
}

pub struct AuthJs {
    cookie_names: Vec<String>,
    /// For each salt and enc, one key per secret, in Auth.js's order.
    keys: Vec<DerivedKey>,
}

/// Auth.js's order: `AUTH_SECRET_3`, `_2`, `_1`, then `AUTH_SECRET` (each `_N` is unshifted in front).
pub fn ordered_secrets(current: Option<String>, numbered: [Option<String>; 3]) -> Vec<String> {
    let mut out: Vec<String> = current.into_iter().collect();
    for s in numbered.into_iter().flatten() {
        out.insert(0, s);
    }
    out
}

pub fn derive(secret: &[u8], salt: &str, enc: Enc) -> Vec<u8> {
    let info = format!("Auth.js Generated Encryption Key ({salt})");
    jwe::hkdf_sha256(secret, salt.as_bytes(), &info, enc.key_len())
}

impl AuthJs {
    /// Derives every key once per process (a few µs each).
    pub fn new(secrets: &[String], cookie_names: Vec<String>) -> Self {
        let mut keys = Vec::new();
        for salt in &cookie_names {
            for enc in [Enc::A256CbcHs512, Enc::A256Gcm] {
                for secret in secrets {
                    let key = derive(secret.as_bytes(), salt, enc);
                    keys.push(DerivedKey {
                        salt: salt.clone(),
                        enc,
                        kid: jwe::oct_thumbprint(&key),
                        key,
                    });
                }
            }
        }
        Self { cookie_names, keys }
    }

    pub fn cookie_names(&self) -> &[String] {
        &self.cookie_names
    }

    /// The claims of a session cookie named `salt`, checked against `now`.
    pub fn verify(&self, token: &str, salt: &str, now: u64) -> Result<Value, Failure> {
        let compact = jwe::parse(token, &[Enc::A256CbcHs512, Enc::A256Gcm])
            .map_err(|e| Failure::Invalid(jwe_reason(e)))?;
        let mut candidates = self
            .keys
            .iter()
            .filter(|k| k.salt == salt && k.enc == compact.enc);
        // Without a kid Auth.js uses its first secret; with one, the secret whose key it names.
        let key = match compact.header.kid.as_deref() {
            None => candidates.next(),
            Some(kid) => candidates.find(|k| k.kid == kid),
        }
        .ok_or(Failure::Invalid("no secret matches the token's kid"))?;
        let plain = compact
            .decrypt(&key.key)
            .map_err(|e| Failure::Invalid(jwe_reason(e)))?;
        let claims: Value = serde_json::from_slice(&plain)
            .map_err(|_| Failure::Invalid("the payload is not JSON"))?;
        super::claims::check_times(&claims, now, SKEW_SECS).map_err(Failure::Invalid)?;
        Ok(claims)
    }
}

pub(crate) fn jwe_reason(e: jwe::JweError) -> &'static str {
    match e {
        jwe::JweError::Malformed => "malformed JWE",
        jwe::JweError::UnsupportedHeader => "a JWE header this mode does not write",
        jwe::JweError::Decrypt => "the JWE does not decrypt (wrong secret or tampered)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_order_is_auth_js_own() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            ordered_secrets(s("main"), [s("one"), None, s("three")]),
            ["three", "one", "main"]
        );
    }
}
