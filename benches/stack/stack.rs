//! The stack under test: the production environment (set by scripts/bench)
//! and the function binaries, each run as its own process on the Vercel runtime.

use anyhow::{Context, bail};
use messaging::auth::{self, Claims};
use messaging::config::{Config, Env};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the functions read in production (see the README's Configuration);
/// only these are passed on, so nothing from the shell leaks in.
const FUNCTION_VARS: &[&str] = &[
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "PUSHER_APP_ID",
    "PUSHER_SECRET",
    "NEXT_PUBLIC_PUSHER_KEY",
    "NEXT_PUBLIC_PUSHER_CLUSTER",
    "PUSHER_HOST",
    "PUSHER_PORT",
    "PUSHER_SCHEME",
    "SESSION_SECRET",
    "SESSION_COOKIE",
    "CRON_SECRET",
    "RUST_LOG",
    "RATE_LIMIT_SEND",
    "RATE_LIMIT_TYPING",
    "RATE_LIMIT_REACT",
    "RATE_LIMIT_CHANNEL_AUTH",
    "RATE_LIMIT_CONVERSATION_CREATE",
];

/// Every api/ binary, as Cargo.toml names them.
pub const FUNCTIONS: [&str; 9] = [
    "messages_send",
    "messages_history",
    "pusher_auth",
    "conversations",
    "cron_redeliver",
    "messages_read",
    "messages_typing",
    "messages_react",
    "pusher_webhook",
];

pub struct Stack {
    pub config: Config,
    pub bin_dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Stack {
    pub fn from_env(bin_dir: PathBuf) -> anyhow::Result<Self> {
        let config = Config::from_env(&Env::process()).context(
            "the benchmark reads the functions' environment (run it through scripts/bench)",
        )?;
        let mut env: Vec<(String, String)> = FUNCTION_VARS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
            .collect();
        // An experiment knob: the functions' tokio worker threads, without
        // also changing the load generator's (which reads TOKIO_WORKER_THREADS too).
        if let Ok(n) = std::env::var("BENCH_FUNCTION_WORKER_THREADS") {
            env.push(("TOKIO_WORKER_THREADS".into(), n));
        }
        Ok(Self {
            config,
            bin_dir,
            env,
        })
    }

    /// The same stack, its functions' environment to be changed with `set_env`.
    pub fn clone_env(&self) -> Self {
        Self {
            config: self.config.clone(),
            bin_dir: self.bin_dir.clone(),
            env: self.env.clone(),
        }
    }

    /// Sets (or replaces) one variable of the functions' environment.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Variables set for the functions beyond the production ones (experiments).
    pub fn extra_env(&self) -> String {
        self.env
            .iter()
            .filter(|(k, _)| k == "TOKIO_WORKER_THREADS" || k.starts_with("RATE_LIMIT_"))
            .map(|(k, v)| format!(", {k}={v}"))
            .collect()
    }

    /// The pool size the functions run with (DATABASE_POOL_SIZE, default 4).
    pub fn pool_size(&self) -> usize {
        self.config.db_pool_size
    }

    /// A session token as the Next.js app would issue it.
    pub fn token(&self, user: &str, name: &str, role: &str) -> anyhow::Result<String> {
        let exp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() + 6 * 3600;
        let claims = Claims {
            sub: user.into(),
            exp,
            name: Some(name.into()),
            role: Some(role.into()),
        };
        let session = self
            .config
            .session
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the benchmark signs in with SESSION_SECRET"))?;
        auth::issue_session(&claims, session).map_err(|e| anyhow::anyhow!("{e:?}"))
    }

    /// Spawns `bin` on `port` without waiting for it.
    pub fn spawn(&self, bin: &str, port: u16) -> anyhow::Result<Function> {
        let exe = self.bin_dir.join(bin);
        let mut cmd = Command::new(&exe);
        cmd.env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("VERCEL_DEV_PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().with_context(|| {
            format!(
                "spawning {} (run cargo build --release --bins)",
                exe.display()
            )
        })?;
        Ok(Function {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        })
    }

    /// Spawns `bin` and waits until it answers the runtime's ping.
    pub async fn start(&self, bin: &str) -> anyhow::Result<Function> {
        let mut f = self.spawn(bin, free_port()?)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = f.child.try_wait()? {
                bail!("{bin} exited at start ({status}); run it by hand to see why");
            }
            if let Ok(mut conn) = crate::http::Conn::open(f.addr).await {
                if let Ok(a) = conn.send(&crate::http::Req::get("/_vercel/ping")).await {
                    if a.status == 200 {
                        return Ok(f);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bail!("{bin} did not answer on {} within 10 s", f.addr)
    }
}

/// A running function process, killed on drop.
pub struct Function {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Function {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
