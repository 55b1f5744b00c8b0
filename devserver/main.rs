//! The local dev server: every function's route on one port, as `vercel dev`
//! would route them, plus a development login. `next dev` (scripts/dev) sits
//! in front of it and forwards `/api/*` here, so the browser sees one origin.
//! Not deployed: Vercel only builds the binaries under `api/`.

mod dev_login;
mod guard;
mod seed;

use messaging::app::App;
use messaging::error::AppError;
use messaging::http::{Response, error_response};
use messaging::{db, server};
use std::net::SocketAddr;
use std::sync::Arc;

#[tokio::main]
async fn main() {
    server::init_tracing();
    let app = match App::from_env() {
        Ok(app) => app,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let port: u16 = match std::env::var("PORT").ok().filter(|p| !p.is_empty()) {
        None => 3000,
        Some(p) => p.parse().unwrap_or_else(|_| {
            eprintln!("configuration error: PORT: is not a port number: {p:?}");
            std::process::exit(1);
        }),
    };
    if let Err(e) = startup(&app).await {
        eprintln!("devserver: {e:#}");
        std::process::exit(1);
    }
    // A shared or remote database must never hand out sessions to anyone who asks.
    let dev_login = guard::is_local_database(&app.config.database_url);
    if !dev_login {
        println!(
            "devserver: dev login is off: DATABASE_URL is not a local database (loopback host or Unix socket)"
        );
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("devserver: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("devserver: listening on http://{addr}");
    let serve = server::serve(listener, move |req| {
        let app = app.clone();
        async move { route(&app, dev_login, req).await }
    });
    tokio::select! {
        () = serve => {}
        _ = shutdown_signal() => println!("devserver: stopping"),
    }
}

/// Migrations, then the demo users and their conversation (both idempotent).
async fn startup(app: &Arc<App>) -> anyhow::Result<()> {
    let url = app
        .config
        .database_url_unpooled
        .as_deref()
        .unwrap_or(&app.config.database_url);
    let applied = db::migrate::run(url).await?;
    if !applied.is_empty() {
        println!("devserver: applied migrations {applied:?}");
    }
    seed::demo_data(app).await
}

async fn route(app: &App, dev_login: bool, req: http::Request<hyper::body::Incoming>) -> Response {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok());
    if !guard::is_loopback_host(host) {
        return error_response(&AppError::Forbidden(
            "the dev server answers only loopback host names (localhost, 127.0.0.1, [::1])",
        ));
    }
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/api/dev/login" if !dev_login => error_response(&AppError::Forbidden(
            "dev login is off: DATABASE_URL is not a local database",
        )),
        "/api/dev/login" => server::handle_with(app, req, dev_login::login).await,
        "/api/dev/config" => server::handle_with(app, req, dev_login::pusher_config).await,
        p if p.starts_with("/api/") => server::dispatch(app, req).await,
        // Pages are the Next.js app's (app/), served by `next dev` in front of this server.
        _ => error_response(&AppError::NotFound),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
