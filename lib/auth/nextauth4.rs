//! NextAuth v4 JWT sessions: a JWE, `alg: dir`, `enc: A256GCM`, keyed by
//! HKDF-SHA256(secret, empty salt, info "NextAuth.js Generated Encryption
//! Key", 32 bytes); 15 s of clock tolerance (`next-auth/jwt/index.js`).

use super::Failure;
use super::authjs::jwe_reason;
use super::jwe::{self, Enc};
use serde_json::Value;

pub const SKEW_SECS: u64 = 15;
pub const COOKIE_NAMES: [&str; 2] = [
    "__Secure-next-auth.session-token",
    "next-auth.session-token",
];

pub struct NextAuth4 {
    key: Vec<u8>,
    cookie_names: Vec<String>,
}

impl NextAuth4 {
    pub fn new(secret: &str) -> Self {
        Self {
            key: jwe::hkdf_sha256(
                secret.as_bytes(),
                b"",
                "NextAuth.js Generated Encryption Key",
                32,
            ),
            cookie_names: COOKIE_NAMES.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn cookie_names(&self) -> &[String] {
        &self.cookie_names
    }

    pub fn verify(&self, token: &str, now: u64) -> Result<Value, Failure> {
        let compact =
            jwe::parse(token, &[Enc::A256Gcm]).map_err(|e| Failure::Invalid(jwe_reason(e)))?;
        let plain = compact
            .decrypt(&self.key)
            .map_err(|e| Failure::Invalid(jwe_reason(e)))?;
        let claims: Value = serde_json::from_slice(&plain)
            .map_err(|_| Failure::Invalid("the payload is not JSON"))?;
        super::claims::check_times(&claims, now, SKEW_SECS).map_err(Failure::Invalid)?;
        Ok(claims)
    }
}
