//! A JWS issuer (Clerk, Supabase, any OIDC/JWKS provider): its keys, fixed or
//! from a cached JWKS, and the claims it must carry (`iss`, `aud`, `azp`).

use super::Failure;
use super::claims::{check_audience, check_issuer, check_times};
use super::jwks::JwksCache;
use super::jws::{self, VerifyKey};
use jsonwebtoken::Algorithm;
use serde_json::Value;

/// Clock skew allowed on `exp`/`nbf` for signed tokens (as for our HS256 tokens).
pub const SKEW_SECS: u64 = 5;

pub enum Keys {
    Fixed(Vec<VerifyKey>),
    Remote(JwksCache),
}

pub struct Issuer {
    pub mode: &'static str,
    pub keys: Vec<Keys>,
    pub issuer: Option<String>,
    pub audiences: Option<Vec<String>>,
    pub authorized_parties: Option<Vec<String>>,
}

impl Issuer {
    pub fn new(mode: &'static str, keys: Vec<Keys>) -> Self {
        Self {
            mode,
            keys,
            issuer: None,
            audiences: None,
            authorized_parties: None,
        }
    }

    /// The claims if one of our keys signed `token` and the claims pass at `now`.
    /// The header's `alg` and `kid` only narrow which of our keys to try; each
    /// key verifies with its own algorithm.
    pub async fn verify(&self, token: &str, now: u64) -> Result<Value, Failure> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Failure::Invalid("malformed token or an algorithm we never accept"))?;
        let kid = header.kid.as_deref();
        let hmac = matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        );
        let mut unavailable = None;
        let mut reason = NO_KEY;
        for source in &self.keys {
            let found = match source {
                Keys::Fixed(keys) => try_keys(token, header.alg, kid, keys),
                // A JWKS holds public keys only: an HMAC token has nothing to look up there.
                Keys::Remote(_) if hmac => None,
                Keys::Remote(cache) => match cache.keys(kid).await {
                    Ok(keys) => try_keys(token, header.alg, kid, &keys),
                    Err(e) => {
                        unavailable = Some(e);
                        None
                    }
                },
            };
            match found {
                Some(Ok(claims)) => {
                    self.check(&claims, now).map_err(Failure::Invalid)?;
                    return Ok(claims);
                }
                Some(Err(r)) => reason = r,
                None => {}
            }
        }
        // Refused by a key we hold: 401. No key to decide with at all: 503, retry.
        match unavailable {
            Some(e) if reason == NO_KEY => Err(Failure::Unavailable(e)),
            _ => Err(Failure::Invalid(reason)),
        }
    }

    fn check(&self, claims: &Value, now: u64) -> Result<(), &'static str> {
        check_times(claims, now, SKEW_SECS)?;
        if let Some(iss) = &self.issuer {
            check_issuer(claims, iss)?;
        }
        if let Some(auds) = &self.audiences {
            check_audience(claims, auds)?;
        }
        if let Some(parties) = &self.authorized_parties {
            match claims.get("azp").and_then(Value::as_str) {
                Some(azp) if parties.iter().any(|p| p == azp) => {}
                _ => return Err("azp is not an authorized party"),
            }
        }
        Ok(())
    }
}

const NO_KEY: &str = "no key of this issuer matches the token's header";

/// `None` when no key fits the header (kid and algorithm); else the first verdict that passes.
fn try_keys(
    token: &str,
    alg: Algorithm,
    kid: Option<&str>,
    keys: &[VerifyKey],
) -> Option<Result<Value, &'static str>> {
    let mut last = None;
    for key in keys {
        let kid_fits = match (kid, key.kid.as_deref()) {
            (Some(want), Some(have)) => want == have,
            _ => true,
        };
        if !kid_fits || key.alg != alg {
            continue;
        }
        match jws::verify(token, key) {
            Ok(claims) => return Some(Ok(claims)),
            Err(e) => last = Some(Err(e)),
        }
    }
    last
}
