//! A lean HTTP/1.1 keep-alive client: one connection per load worker, as a
//! browser or the Vercel edge would hold, and no pool in between.

use anyhow::{Context, anyhow};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

pub const JSON: &str = "application/json";
pub const FORM: &str = "application/x-www-form-urlencoded";

/// One request; build it once per worker and send it many times.
#[derive(Clone)]
pub struct Req {
    method: Method,
    path: String,
    bearer: Option<HeaderValue>,
    content_type: Option<&'static str>,
    headers: Vec<(&'static str, HeaderValue)>,
    body: Bytes,
}

impl Req {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            bearer: None,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    pub fn post(path: impl Into<String>, content_type: &'static str, body: String) -> Self {
        let mut req = Self::new(Method::POST, path);
        req.content_type = Some(content_type);
        req.body = Bytes::from(body);
        req
    }

    pub fn bearer(mut self, token: &str) -> anyhow::Result<Self> {
        self.bearer = Some(HeaderValue::from_str(&format!("Bearer {token}"))?);
        Ok(self)
    }

    pub fn header(mut self, name: &'static str, value: &str) -> anyhow::Result<Self> {
        self.headers.push((name, HeaderValue::from_str(value)?));
        Ok(self)
    }

    /// `METHOD /path`, for the report.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn with_body(&self, body: String) -> Self {
        let mut req = self.clone();
        req.body = Bytes::from(body);
        req
    }
}

/// The status and body of one response.
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Fails unless the status is `expected`, quoting the body.
    pub fn expect(self, expected: u16, what: &str) -> anyhow::Result<Self> {
        if self.status == expected {
            Ok(self)
        } else {
            Err(anyhow!(
                "{what}: expected {expected}, got {}: {}",
                self.status,
                self.text()
            ))
        }
    }
}

pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        Self::over(stream, addr).await
    }

    /// Speaks HTTP/1.1 over an already connected stream (cold start polls the connect itself).
    pub async fn over(stream: TcpStream, addr: SocketAddr) -> anyhow::Result<Self> {
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: HeaderValue::from_str(&addr.to_string())?,
        })
    }

    pub async fn send(&mut self, req: &Req) -> anyhow::Result<Answer> {
        let mut builder = Request::builder()
            .method(req.method.clone())
            .uri(req.path.as_str())
            .header(HOST, self.host.clone());
        if let Some(bearer) = &req.bearer {
            builder = builder.header(AUTHORIZATION, bearer.clone());
        }
        if let Some(ct) = req.content_type {
            builder = builder.header(CONTENT_TYPE, ct);
        }
        for (name, value) in &req.headers {
            builder = builder.header(*name, value.clone());
        }
        let request = builder.body(Full::new(req.body.clone()))?;
        self.sender.ready().await.context("connection closed")?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer { status, body })
    }
}
