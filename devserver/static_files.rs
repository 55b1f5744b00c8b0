//! The demo page: the files esbuild writes to `web/dist/`, served flat.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body_util::Full;
use messaging::http::Response;
use std::path::PathBuf;

fn dist_dir() -> PathBuf {
    std::env::var_os("WEB_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web/dist"))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("map") | Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// `None` when there is no such file: the caller answers 404.
pub fn serve(path: &str) -> Option<Response> {
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        n => n,
    };
    // Flat names only: nothing can climb out of the folder.
    let safe = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && !name.starts_with('.');
    if !safe {
        return None;
    }
    let bytes = match std::fs::read(dist_dir().join(name)) {
        Ok(b) => b,
        Err(_) if name == "index.html" => NOT_BUILT.as_bytes().to_vec(),
        Err(_) => return None,
    };
    let mut response = http::Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = StatusCode::OK;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Some(response)
}

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Messaging demo</title>\
<p>The demo page is not built yet. Run <code>scripts/build-web</code> (the dev stack does it for you).</p>";
