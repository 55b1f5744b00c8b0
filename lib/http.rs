//! Request hygiene shared by every route: the body limit, method and
//! content-type checks, and JSON/form/query parsing into named fields.

mod fields;
mod response;

pub use fields::Fields;
pub use response::{Response, error_response, json, json_with_headers};

use crate::error::AppError;
use bytes::Bytes;
use http::{HeaderMap, Method, Uri, header};
use http_body::Body;
use http_body_util::BodyExt;
use std::time::Duration;

/// The contract's limit: exactly 65,536 bytes is accepted.
pub const MAX_BODY_BYTES: usize = 65_536;

/// How much of an oversized body we swallow before answering 413, so the client
/// reads our answer instead of a connection reset; beyond this we just close.
const DRAIN_LIMIT_BYTES: u64 = 4 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// A whole body (at most 64 KiB) must arrive within this long: a client
/// trickling a byte every few seconds would otherwise hold the connection.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(15);

/// A request whose body has been read (within the limit).
#[derive(Debug)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    /// Reads the body, refusing anything over [`MAX_BODY_BYTES`] with 413
    /// without buffering it.
    pub async fn read<B>(req: http::Request<B>) -> Result<Self, AppError>
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        Self::read_within(req, BODY_READ_TIMEOUT).await
    }

    /// [`Request::read`] with its own deadline for the body (408 after it).
    pub async fn read_within<B>(req: http::Request<B>, limit: Duration) -> Result<Self, AppError>
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        tokio::time::timeout(limit, Self::read_body(req))
            .await
            .unwrap_or(Err(AppError::RequestTimeout))
    }

    async fn read_body<B>(req: http::Request<B>) -> Result<Self, AppError>
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        let (parts, body) = req.into_parts();
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            drain(body).await;
            return Err(AppError::PayloadTooLarge);
        }
        let mut body = body;
        let mut buf = Vec::new();
        // The caller's deadline (read_within) bounds a trickling body.
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                AppError::InvalidJson(format!("the request body could not be read: {e}"))
            })?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > MAX_BODY_BYTES {
                    drain(body).await;
                    return Err(AppError::PayloadTooLarge);
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(Self {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body: Bytes::from(buf),
        })
    }

    pub fn header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Only `allowed` methods pass; others get 405 with `Allow`.
    pub fn require_method(&self, allowed: &[Method], allow: &'static str) -> Result<(), AppError> {
        if allowed.contains(&self.method) {
            Ok(())
        } else {
            Err(AppError::MethodNotAllowed { allow })
        }
    }

    /// The media type without parameters, lowercased (`application/json`).
    pub fn media_type(&self) -> Option<String> {
        let raw = self.header(header::CONTENT_TYPE)?;
        let essence = raw.split(';').next().unwrap_or("").trim();
        Some(essence.to_ascii_lowercase())
    }

    /// The body as a JSON object, for routes that take JSON only.
    pub fn json_fields(&self) -> Result<Fields, AppError> {
        match self.media_type().as_deref() {
            Some("application/json") => Fields::from_json(&self.body),
            _ => Err(AppError::UnsupportedMediaType(
                "this route takes application/json",
            )),
        }
    }

    /// JSON or `application/x-www-form-urlencoded` (what pusher-js sends).
    pub fn json_or_form_fields(&self) -> Result<Fields, AppError> {
        match self.media_type().as_deref() {
            Some("application/json") => Fields::from_json(&self.body),
            Some("application/x-www-form-urlencoded") => Fields::from_form(&self.body),
            _ => Err(AppError::UnsupportedMediaType(
                "this route takes application/x-www-form-urlencoded or application/json",
            )),
        }
    }

    pub fn query_fields(&self) -> Result<Fields, AppError> {
        Fields::from_query(self.uri.query().unwrap_or(""))
    }
}

/// Reads and discards what is left of a body, within a byte and time budget.
async fn drain<B>(mut body: B)
where
    B: Body<Data = Bytes> + Unpin,
{
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen: u64 = 0;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen += data.len() as u64;
                if seen > DRAIN_LIMIT_BYTES {
                    break;
                }
            }
        }
    })
    .await;
}
