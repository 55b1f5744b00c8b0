//! Signed tokens (JWS) with a key whose algorithm we fixed in advance:
//! from the mode (HS256 secrets) or from the key itself (a JWK's `alg`, else
//! its type and curve), never from the token's header.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::str::FromStr;

pub struct VerifyKey {
    pub kid: Option<String>,
    pub alg: Algorithm,
    pub key: DecodingKey,
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl VerifyKey {
    pub fn hs256(secret: &[u8]) -> Self {
        Self {
            kid: None,
            alg: Algorithm::HS256,
            key: DecodingKey::from_secret(secret),
        }
    }

    /// A public key in PEM (SPKI or PKCS#1), RS256 (Clerk's `CLERK_JWT_KEY`).
    pub fn rs256_pem(pem: &str) -> Result<Self, String> {
        let key = DecodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| format!("is not an RSA public key in PEM: {e}"))?;
        Ok(Self {
            kid: None,
            alg: Algorithm::RS256,
            key,
        })
    }
}

/// The signing keys of a JWKS document. Keys for encryption, symmetric keys
/// and unknown types are skipped; a document with no usable key is an error.
pub fn keys_from_jwks(json: &[u8]) -> Result<Vec<VerifyKey>, String> {
    let doc: Value = serde_json::from_slice(json).map_err(|e| format!("is not JSON: {e}"))?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("has no \"keys\" array")?;
    let usable: Vec<VerifyKey> = keys.iter().filter_map(key_from_jwk).collect();
    if usable.is_empty() {
        return Err("has no usable signing key (RSA, EC P-256/P-384 or Ed25519)".into());
    }
    Ok(usable)
}

fn key_from_jwk(jwk: &Value) -> Option<VerifyKey> {
    if jwk
        .get("use")
        .and_then(Value::as_str)
        .is_some_and(|u| u != "sig")
    {
        return None;
    }
    let kty = jwk.get("kty")?.as_str()?;
    let crv = jwk.get("crv").and_then(Value::as_str);
    let alg = match (jwk.get("alg").and_then(Value::as_str), kty, crv) {
        (Some(alg), _, _) => Algorithm::from_str(alg).ok()?,
        (None, "RSA", _) => Algorithm::RS256,
        (None, "EC", Some("P-256")) => Algorithm::ES256,
        (None, "EC", Some("P-384")) => Algorithm::ES384,
        (None, "OKP", Some("Ed25519")) => Algorithm::EdDSA,
        _ => return None,
    };
    // A JWKS publishes public keys: a shared secret there would let anyone sign.
    let family_ok = match kty {
        "RSA" => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        "EC" => matches!(
            (alg, crv),
            (Algorithm::ES256, Some("P-256")) | (Algorithm::ES384, Some("P-384"))
        ),
        "OKP" => alg == Algorithm::EdDSA && crv == Some("Ed25519"),
        _ => false,
    };
    if !family_ok {
        return None;
    }
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).ok()?;
    let key = DecodingKey::from_jwk(&parsed).ok()?;
    Some(VerifyKey {
        kid: jwk.get("kid").and_then(Value::as_str).map(str::to_owned),
        alg,
        key,
    })
}

/// The `kid` in the token's header (only to pick a key; the key fixes the algorithm).
pub fn header_kid(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok()?.kid
}

/// The claims, if `key` signed the token with the key's own algorithm.
/// Time, issuer and audience are checked by the caller, with its clock.
pub fn verify(token: &str, key: &VerifyKey) -> Result<Value, &'static str> {
    let mut v = Validation::new(key.alg);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    match jsonwebtoken::decode::<Value>(token, &key.key, &v) {
        Ok(data) if data.claims.is_object() => Ok(data.claims),
        Ok(_) => Err("the claims are not a JSON object"),
        Err(e) => Err(match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                "the header's algorithm is not the key's"
            }
            jsonwebtoken::errors::ErrorKind::InvalidSignature => "bad signature",
            _ => "malformed token",
        }),
    }
}
