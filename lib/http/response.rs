//! JSON responses, and errors rendered as the contract's error shape.

use crate::error::AppError;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;

pub type Response = http::Response<Full<Bytes>>;

pub fn json(status: StatusCode, value: &impl Serialize) -> Response {
    json_with_headers(status, value, &[])
}

pub fn json_with_headers(
    status: StatusCode,
    value: &impl Serialize,
    headers: &[(header::HeaderName, HeaderValue)],
) -> Response {
    let body = match serde_json::to_vec(value) {
        Ok(body) => body,
        Err(e) => return error_response(&AppError::internal(e)),
    };
    let mut response = http::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // A JSON answer is never sniffed into something a browser would run.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    for (name, value) in headers {
        h.append(name.clone(), value.clone());
    }
    response
}

/// Logs what the caller must not see, then renders what they may.
pub fn error_response(err: &AppError) -> Response {
    match err {
        AppError::Internal(cause) => {
            tracing::error!(error = format!("{cause:#}"), "internal error")
        }
        AppError::Unavailable(cause) => {
            tracing::warn!(error = format!("{cause:#}"), "database unavailable")
        }
        _ => {}
    }
    let body = serde_json::json!({
        "error": { "code": err.code(), "message": err.public_message() }
    });
    let mut extra = Vec::new();
    match err {
        AppError::MethodNotAllowed { allow } => {
            extra.push((header::ALLOW, HeaderValue::from_static(allow)));
        }
        AppError::RateLimited { retry_after_secs } => {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                extra.push((header::RETRY_AFTER, v));
            }
        }
        AppError::Unauthenticated(_) => {
            // RFC 6750: a 401 names the scheme that would work.
            extra.push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        AppError::PayloadTooLarge | AppError::RequestTimeout => {
            // We did not read the whole body, so the connection cannot be reused.
            extra.push((header::CONNECTION, HeaderValue::from_static("close")));
        }
        _ => {}
    }
    json_with_headers(err.status(), &body, &extra)
}
