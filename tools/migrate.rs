//! Applies pending migrations to DATABASE_URL_UNPOOLED (else DATABASE_URL) and names each one applied.

use messaging::config::Env;
use messaging::db::migrate;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let result = match migrate::url_from_env(&Env::process()) {
        Ok(url) => migrate::run(&url)
            .await
            .map_err(|e| format!("{:#}", anyhow::Error::new(e))),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(applied) if applied.is_empty() => println!("migrate: up to date"),
        Ok(applied) => println!("migrate: applied {}", applied.join(", ")),
        Err(e) => {
            eprintln!("migrate: {e}");
            std::process::exit(1);
        }
    }
}
