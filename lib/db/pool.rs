//! The per-process connection pool: built without connecting; a function
//! process starts its first connection at start-up (`warm_up`), else on first use.
//!
//! Neon's pooled endpoint is PgBouncer in transaction mode, so nothing here
//! relies on session state (no SET, temp tables or session advisory locks;
//! those live only in the migration runner, which uses the unpooled URL).
//! Queries go out with `query_typed` (parameter types given, unnamed
//! statement): one round trip each and no named prepared statements, so they
//! work behind any pooler mode, not only one that tracks prepared statements.

use super::DbError;
use super::connect::{ConnectSettings, Tls};
use deadpool_postgres::{
    Hook, HookError, Manager, ManagerConfig, Metrics, Pool, RecyclingMethod, Runtime,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio_postgres::NoTls;

/// A pooled connection. Single statements take `&**client` (a `tokio_postgres::Client`);
/// functions that open a transaction take `&mut client`.
pub type Client = deadpool_postgres::Client;

/// The tokio-postgres client inside a pooled one.
pub(crate) fn pg(client: &mut Client) -> &mut tokio_postgres::Client {
    client
}

/// Pool sizing and timeouts; `Default` is what the functions use.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub pool_size: usize,
    /// Connecting (TCP, TLS, authentication) gives up after this long.
    pub connect_timeout: Duration,
    /// Waiting for a free pool slot gives up after this long.
    pub wait_timeout: Duration,
    /// A connection idle for longer is checked with an empty query before use:
    /// after a function instance was frozen its socket may be dead without anyone having noticed.
    pub verify_after_idle: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            pool_size: 4,
            connect_timeout: Duration::from_secs(5),
            wait_timeout: Duration::from_secs(5),
            verify_after_idle: Duration::from_secs(30),
        }
    }
}

/// The database handle kept for the life of the process; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    warming: Arc<Warming>,
}

/// The start-up connection in flight: requests wait for it rather than open a second one.
#[derive(Default)]
struct Warming {
    /// Held by the warm-up task until its connection is in the pool (or failed).
    gate: Arc<tokio::sync::Mutex<()>>,
    /// Set once the warm-up is over: from then on `client` skips the gate.
    done: AtomicBool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl Db {
    /// At most `pool_size` connections, default timeouts. Makes no connection.
    pub fn new(url: &str, pool_size: usize) -> Result<Self, DbError> {
        let options = DbOptions {
            pool_size,
            ..DbOptions::default()
        };
        Self::with_options(url, &options)
    }

    /// Parses the URL and prepares TLS; makes no connection.
    pub fn with_options(url: &str, options: &DbOptions) -> Result<Self, DbError> {
        let settings = ConnectSettings::from_url(url, options.connect_timeout)?;
        // Fast: a closed connection (killed backend, server restart) is
        // dropped when it comes back to be reused; live ones cost nothing.
        let config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match settings.tls {
            Tls::Off => Manager::from_config(settings.pg, NoTls, config),
            Tls::Rustls(tls) => Manager::from_config(settings.pg, tls, config),
        };
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.wait_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .pre_recycle(verify_if_idle(
                options.verify_after_idle,
                options.connect_timeout,
            ))
            .build()
            .map_err(|e| DbError::Config(format!("building the connection pool: {e}")))?;
        let warming = Arc::new(Warming::default());
        warming.done.store(true, Ordering::Relaxed);
        Ok(Self { pool, warming })
    }

    /// Starts opening one connection now (TCP, TLS and SCRAM are several
    /// round trips to Neon), overlapping with the runtime reading the first
    /// request: on Vercel a process exists because a request arrived. A
    /// request that needs the database meanwhile waits for this connection
    /// instead of opening a second one; if it fails, requests connect as usual.
    /// Needs a tokio runtime.
    pub fn warm_up(&self) {
        let Ok(gate) = self.warming.gate.clone().try_lock_owned() else {
            return; // already warming
        };
        self.warming.done.store(false, Ordering::Release);
        let (pool, warming) = (self.pool.clone(), self.warming.clone());
        tokio::spawn(async move {
            if let Err(e) = pool.get().await {
                tracing::warn!(error = %e, "the start-up database connection failed");
            }
            warming.done.store(true, Ordering::Release);
            drop(gate);
        });
    }

    /// `DATABASE_URL` with `DATABASE_POOL_SIZE` connections at most.
    pub fn from_config(config: &crate::config::Config) -> Result<Self, DbError> {
        Self::new(&config.database_url, config.db_pool_size)
    }

    /// A connection from the pool, connecting if none is free.
    pub async fn client(&self) -> Result<Client, DbError> {
        if !self.warming.done.load(Ordering::Acquire) {
            drop(self.warming.gate.lock().await);
        }
        Ok(self.pool.get().await?)
    }

    /// Connections open now (idle or in use).
    pub fn open_connections(&self) -> usize {
        self.pool.status().size
    }
}

/// When a connection last turned out broken, in ms since the first call (0: never); process-wide.
static LAST_BROKEN_MS: AtomicU64 = AtomicU64::new(0);

fn clock_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let ms = START.get_or_init(Instant::now).elapsed().as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX).saturating_add(1)
}

/// Called for every "unavailable" error. A killed backend's error reaches the
/// caller a moment before its connection task sees the socket close, so the
/// `is_closed` check alone could hand that dead connection to the very next
/// request; for a short while, connections are verified before reuse instead.
pub(crate) fn note_broken_connection() {
    LAST_BROKEN_MS.store(clock_ms(), Ordering::Relaxed);
}

fn recently_broken() -> bool {
    let at = LAST_BROKEN_MS.load(Ordering::Relaxed);
    at != 0 && clock_ms().saturating_sub(at) < 2_000
}

/// Checks a connection with an empty query before reuse when it sat idle long
/// (its socket may have died unnoticed while the instance was frozen) or a
/// connection broke recently (a restart or failover takes several at once).
fn verify_if_idle(after: Duration, timeout: Duration) -> Hook {
    Hook::async_fn(move |client, metrics: &Metrics| {
        let idle = metrics.last_used();
        Box::pin(async move {
            if idle < after && !recently_broken() {
                return Ok(());
            }
            match tokio::time::timeout(timeout, client.simple_query("")).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(HookError::Backend(e)),
                Err(_) => Err(HookError::message("idle connection did not answer")),
            }
        })
    })
}
