//! A JWKS fetched once per process and cached. An unknown `kid` refetches, at
//! most once a minute; a failed refetch keeps the cached keys working. With no
//! key at all (the first fetch failed) callers get `Unavailable` (503, retry),
//! and fetching is retried at most every 5 s.

use super::jws::{VerifyKey, keys_from_jwks};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const REFETCH_UNKNOWN_KID: Duration = Duration::from_secs(60);
const RETRY_WITHOUT_KEYS: Duration = Duration::from_secs(5);
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// A JWKS is a few KB; a larger answer is not one.
const MAX_BYTES: usize = 256 * 1024;

pub struct JwksCache {
    url: String,
    state: Mutex<State>,
    refetch_unknown_kid: Duration,
}

#[derive(Default)]
struct State {
    keys: Arc<Vec<VerifyKey>>,
    last_fetch: Option<Instant>,
}

impl JwksCache {
    pub fn new(url: String) -> Self {
        Self::with_refetch_interval(url, REFETCH_UNKNOWN_KID)
    }

    /// [`JwksCache::new`] with another minimum gap between refetches (tests).
    pub fn with_refetch_interval(url: String, refetch_unknown_kid: Duration) -> Self {
        Self {
            url,
            state: Mutex::new(State::default()),
            refetch_unknown_kid,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The cached keys, refreshed first when `kid` is not among them (rate limited).
    pub async fn keys(&self, kid: Option<&str>) -> Result<Arc<Vec<VerifyKey>>, String> {
        let mut st = self.state.lock().await;
        let known = match kid {
            Some(kid) => st.keys.iter().any(|k| k.kid.as_deref() == Some(kid)),
            None => !st.keys.is_empty(),
        };
        if known {
            return Ok(st.keys.clone());
        }
        let gap = if st.keys.is_empty() {
            RETRY_WITHOUT_KEYS
        } else {
            self.refetch_unknown_kid
        };
        if st.last_fetch.is_none_or(|t| t.elapsed() >= gap) {
            st.last_fetch = Some(Instant::now());
            match fetch(&self.url).await {
                Ok(keys) => st.keys = Arc::new(keys),
                Err(e) if st.keys.is_empty() => return Err(e),
                Err(e) => {
                    tracing::warn!(url = %self.url, error = %e, "JWKS refetch failed; keeping the cached keys")
                }
            }
        }
        if st.keys.is_empty() {
            return Err(format!(
                "no key from {} yet (the last fetch failed)",
                self.url
            ));
        }
        Ok(st.keys.clone())
    }
}

async fn fetch(url: &str) -> Result<Vec<VerifyKey>, String> {
    let client = http_client()?;
    let mut resp = client
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("fetching the JWKS {url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("fetching the JWKS {url}: HTTP {}", resp.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading the JWKS {url}: {e}"))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(format!("the JWKS {url} is larger than {MAX_BYTES} bytes"));
        }
    }
    let keys = keys_from_jwks(&body).map_err(|e| format!("the JWKS {url} {e}"))?;
    tracing::info!(url, keys = keys.len(), "JWKS fetched");
    Ok(keys)
}

fn http_client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(Duration::from_millis(1500))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| format!("HTTP client setup: {e}"))?;
    Ok(CLIENT.get_or_init(|| client))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn jwks_body() -> String {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/auth/vectors.json")).unwrap();
        v["jwks"]["jwks"].to_string()
    }

    #[tokio::test]
    async fn an_unknown_kid_refetches_at_most_once_per_interval_and_outages_keep_the_cache() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (counter, is_down) = (hits.clone(), down.clone());
        let body: serde_json::Value = serde_json::from_str(&jwks_body()).unwrap();
        let server = tokio::spawn(crate::server::serve(listener, move |_req| {
            // Down: 503 even on a kept-alive connection.
            let status = if is_down.load(Ordering::SeqCst) {
                http::StatusCode::SERVICE_UNAVAILABLE
            } else {
                counter.fetch_add(1, Ordering::SeqCst);
                http::StatusCode::OK
            };
            let response = crate::http::json(status, &body);
            async move { response }
        }));
        let gap = Duration::from_millis(300);
        let cache = JwksCache::with_refetch_interval(url, gap);
        assert_eq!(cache.keys(Some("oidc-rs-1")).await.unwrap().len(), 2);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        cache.keys(Some("unknown")).await.unwrap();
        cache.keys(Some("oidc-rs-1")).await.unwrap();
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "within the interval: no refetch"
        );
        tokio::time::sleep(gap + Duration::from_millis(50)).await;
        cache.keys(Some("unknown")).await.unwrap();
        cache.keys(Some("unknown")).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2, "one refetch per interval");
        down.store(true, Ordering::SeqCst);
        tokio::time::sleep(gap + Duration::from_millis(50)).await;
        // The issuer is down: known keys still work, an unknown kid gets the cached set.
        assert!(cache.keys(Some("unknown")).await.is_ok());
        assert!(cache.keys(Some("oidc-rs-1")).await.is_ok());
        // A cache that never got a key is unavailable.
        let empty = JwksCache::new(cache.url().to_owned());
        assert!(empty.keys(Some("oidc-rs-1")).await.is_err());
        server.abort();
    }
}
