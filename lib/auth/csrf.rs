//! Cross-site request forgery: once a cookie alone is enough to act, a page on
//! another site could make the browser act. A state-changing request
//! authenticated by a cookie (not a Bearer header) must come from our own
//! origin: its `Origin` names this host (or one of `AUTH_TRUSTED_ORIGINS`),
//! or, without `Origin`, `Sec-Fetch-Site` says `same-origin`. Browsers send
//! both on every cross-site POST, and pusher-js's auth request from our own
//! pages carries our origin.

use crate::error::AppError;
use http::{HeaderMap, Method, header};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Csrf {
    /// Extra origins (`https://app.example.com`), lowercased, without a trailing slash.
    pub trusted_origins: Vec<String>,
}

const REFUSED: &str = "a request signed in by cookie alone must come from this site's own pages (Origin or Sec-Fetch-Site)";

pub fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl Csrf {
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), AppError> {
        if !is_state_changing(method) {
            return Ok(());
        }
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        match get("origin").filter(|o| !o.is_empty() && *o != "null") {
            Some(origin) => {
                let origin = origin.trim_end_matches('/').to_ascii_lowercase();
                let host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
                let ours = [get(header::HOST.as_str()), get("x-forwarded-host")]
                    .into_iter()
                    .flatten()
                    .flat_map(|h| h.split(','))
                    .any(|h| h.trim().eq_ignore_ascii_case(host));
                if ours || self.trusted_origins.contains(&origin) {
                    Ok(())
                } else {
                    tracing::info!(origin, "refused a cross-site request authorized by cookie");
                    Err(AppError::Forbidden(REFUSED))
                }
            }
            None if get("sec-fetch-site") == Some("same-origin") => Ok(()),
            None => {
                tracing::info!("refused a cookie-only request without Origin or Sec-Fetch-Site");
                Err(AppError::Forbidden(REFUSED))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_our_own_origin_may_post_with_a_cookie() {
        let csrf = Csrf {
            trusted_origins: vec!["http://localhost:3001".into()],
        };
        let post = Method::POST;
        let ok = |h: &HeaderMap| csrf.check(&post, h).is_ok();
        assert!(ok(&headers(&[
            ("host", "app.example.com"),
            ("origin", "https://app.example.com")
        ])));
        assert!(ok(&headers(&[
            ("host", "127.0.0.1:3230"),
            ("origin", "http://127.0.0.1:3230")
        ])));
        assert!(ok(&headers(&[
            ("host", "x"),
            ("origin", "http://localhost:3001")
        ])));
        assert!(ok(&headers(&[
            ("host", "app.example.com"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!ok(&headers(&[
            ("host", "app.example.com"),
            ("origin", "https://evil.example")
        ])));
        assert!(!ok(&headers(&[
            ("host", "app.example.com"),
            ("origin", "https://sub.app.example.com")
        ])));
        assert!(!ok(&headers(&[
            ("host", "app.example.com"),
            ("origin", "null")
        ])));
        assert!(!ok(&headers(&[
            ("host", "app.example.com"),
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!ok(&headers(&[
            ("host", "app.example.com"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!ok(&headers(&[("host", "app.example.com")])));
        // Reads are not state-changing.
        assert!(
            csrf.check(
                &Method::GET,
                &headers(&[("origin", "https://evil.example")])
            )
            .is_ok()
        );
    }
}
