//! What each `api/**/*.rs` function runs: one route on the official Vercel
//! Rust runtime, whatever path a rewrite shows it.

use crate::app::App;
use crate::routes::Route;
use crate::server;
use vercel_runtime::{Error, Request, ResponseBody, service_fn};

/// Reads the environment once (one line naming a bad variable, then exit 1),
/// then serves `route` for the life of the process.
pub async fn run(route: Route) -> Result<(), Error> {
    crate::server::init_tracing();
    let app = match App::from_env() {
        Ok(app) => app,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    app.db.warm_up();
    vercel_runtime::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move {
            let response = server::handle(&app, route, req).await;
            Ok::<_, Error>(response.map(ResponseBody::from))
        }
    }))
    .await
}
