//! Any OIDC/JWKS issuer (Auth0, Firebase, Cognito, ...): Bearer tokens signed
//! with a key from `AUTH_JWKS_URL` (fetched, cached) or `AUTH_JWKS_JSON`
//! (inline), carrying `iss = AUTH_ISSUER` and `aud` naming `AUTH_AUDIENCE`.

use super::issuer::{Issuer, Keys};
use super::jwks::JwksCache;
use super::settings::{JwksSource, OidcSettings};

pub fn issuer(settings: &OidcSettings) -> Result<Issuer, String> {
    let keys = match &settings.jwks {
        JwksSource::Url(url) => Keys::Remote(JwksCache::new(url.clone())),
        JwksSource::Json(json) => Keys::Fixed(super::jws::keys_from_jwks(json.as_bytes())?),
    };
    let mut issuer = Issuer::new("oidc", vec![keys]);
    issuer.issuer = Some(settings.issuer.clone());
    issuer.audiences = Some(settings.audiences.clone());
    Ok(issuer)
}
