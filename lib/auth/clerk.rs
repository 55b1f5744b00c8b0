//! Clerk: RS256 session tokens in the `__session` cookie or a Bearer header,
//! verified with `CLERK_JWT_KEY` (the PEM public key: no network call) or the
//! JWKS at `CLERK_JWKS_URL`; `azp` must be one of `CLERK_AUTHORIZED_PARTIES`.

use super::issuer::{Issuer, Keys};
use super::jwks::JwksCache;
use super::jws::VerifyKey;
use super::settings::ClerkSettings;

pub const COOKIE_NAME: &str = "__session";

pub fn issuer(settings: &ClerkSettings) -> Result<Issuer, String> {
    let mut keys = Vec::new();
    if let Some(pem) = &settings.pem {
        keys.push(Keys::Fixed(vec![VerifyKey::rs256_pem(pem)?]));
    }
    if let Some(url) = &settings.jwks_url {
        keys.push(Keys::Remote(JwksCache::new(url.clone())));
    }
    let mut issuer = Issuer::new("clerk", keys);
    issuer.authorized_parties =
        (!settings.authorized_parties.is_empty()).then(|| settings.authorized_parties.clone());
    Ok(issuer)
}
