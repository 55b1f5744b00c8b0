//! Every route on one port (the local dev server and the tests), and the
//! per-request wrapper shared with the Vercel functions.

use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::http::{Request, Response, error_response};
use crate::routes::Route;
use bytes::Bytes;
use futures_util::FutureExt;
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Logs to stderr once per process; `RUST_LOG` filters (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}

/// Runs one route: reads the body within the limit, calls the handler, and
/// turns every failure, a panic included, into the contract's error JSON.
pub async fn handle<B>(app: &App, route: Route, req: http::Request<B>) -> Response
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    handle_with(app, req, |app, req| route.handle(app, req)).await
}

/// [`handle`] for any handler (the dev server's own routes use it too).
pub async fn handle_with<'a, B, F, Fut>(app: &'a App, req: http::Request<B>, handler: F) -> Response
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
    F: FnOnce(&'a App, Request) -> Fut,
    Fut: Future<Output = AppResult<Response>> + 'a,
{
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let result = AssertUnwindSafe(async {
        let req = Request::read(req).await?;
        handler(app, req).await
    })
    .catch_unwind()
    .await;
    let response = match result {
        Ok(Ok(response)) => response,
        Ok(Err(err)) => error_response(&err),
        Err(_) => error_response(&AppError::Internal(anyhow::anyhow!(
            "the handler panicked on {method} {path}"
        ))),
    };
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    response
}

/// Routes by path; unknown paths get the contract's JSON 404.
pub async fn dispatch<B>(app: &App, req: http::Request<B>) -> Response
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    match Route::from_path(req.uri().path()) {
        Some(route) => handle(app, route, req).await,
        None => error_response(&AppError::NotFound),
    }
}

/// Limits on slow clients for [`serve_with`].
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// A request head (and an idle keep-alive connection) must arrive within this long.
    pub header_read: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        // Long enough for any real client, short enough that a connection
        // trickling a byte every few seconds is closed (bodies: BODY_READ_TIMEOUT).
        Self {
            header_read: Duration::from_secs(15),
        }
    }
}

/// Serves HTTP/1.1 on `listener` until the task is dropped.
pub async fn serve<F, Fut>(listener: TcpListener, handler: F)
where
    F: Fn(http::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    serve_with(listener, ServeOptions::default(), handler).await
}

/// [`serve`] with explicit limits (tests use short ones).
pub async fn serve_with<F, Fut>(listener: TcpListener, options: ServeOptions, handler: F)
where
    F: Fn(http::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, std::convert::Infallible>(handler(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(options.header_read)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Serves every route of `app` on `listener` (tests and benchmarks).
pub async fn serve_app(listener: TcpListener, app: Arc<App>) {
    serve(listener, move |req| {
        let app = app.clone();
        async move { dispatch(&app, req).await }
    })
    .await
}
