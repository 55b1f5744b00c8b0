//! The one HTTP client of the process (rustls with ring and the webpki roots,
//! keep-alive) and the step that signs, sends and reads one REST request.

use super::error::PusherError;
use super::requests::{Method, RestRequest};
use super::sign::Token;
use serde::de::DeserializeOwned;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
/// Identifies us in Pusher's logs, as the official libraries do.
const LIBRARY: &str = concat!("messaging-rust ", env!("CARGO_PKG_VERSION"));

/// Built on first use and shared by every `Pusher`, so a function instance
/// keeps one connection pool (and its TLS sessions) across invocations.
fn http_client() -> Result<&'static reqwest::Client, PusherError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = build_client()?;
    Ok(CLIENT.get_or_init(|| client))
}

fn build_client() -> Result<reqwest::Client, PusherError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PusherError::ClientSetup(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(CONNECT_TIMEOUT)
        // Shorter than typical server keep-alive, so a thawed serverless
        // instance rarely reuses a connection the server already closed.
        .pool_idle_timeout(Duration::from_secs(30))
        .tcp_keepalive(Duration::from_secs(30))
        .build()
        .map_err(|e| PusherError::ClientSetup(e.to_string()))
}

/// Unix seconds now: a clock before 1970 signs as 0 and Pusher answers 401.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Signs `request` now and sends it; a 2xx answer's body, else the typed error.
pub(crate) async fn send(
    base_url: &str,
    token: &Token,
    timeout: Duration,
    request: &RestRequest,
) -> Result<bytes::Bytes, PusherError> {
    let signed = request.sign(token, unix_now())?;
    let url = format!("{base_url}{}?{}", request.path, signed.url_query());
    let method = match request.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
    };
    let mut builder = http_client()?
        .request(method, url)
        .timeout(timeout)
        .header("x-pusher-library", LIBRARY);
    if let (Some(body), Some(content_type)) = (&request.body, request.content_type()) {
        builder = builder
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.clone());
    }
    let response = builder.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(transport_error)?;
    if !(200..300).contains(&status) {
        return Err(PusherError::from_status(status, &bytes));
    }
    Ok(bytes)
}

pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, PusherError> {
    serde_json::from_slice(body).map_err(|e| PusherError::InvalidResponse(e.to_string()))
}

/// The URL carries only public values, but is dropped to keep logs short.
fn transport_error(error: reqwest::Error) -> PusherError {
    let error = error.without_url();
    if error.is_timeout() {
        PusherError::Timeout(error)
    } else {
        PusherError::Transport(error)
    }
}
