//! A fresh Sockudo (a real Pusher-protocol server) per test: free loopback
//! port, temporary config and working directory, killed on Drop, and
//! watched by a tiny shell loop that kills it if the test process dies.
#![allow(dead_code)]

use messaging::config::Env;
use messaging::pusher::PusherConfig;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "sockudo_config.rs"]
mod sockudo_config;
use sockudo_config::config_toml;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
pub const TEST_MASTER_KEY_BASE64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[derive(Default, Clone)]
pub struct SockudoOptions {
    /// Where Sockudo posts webhooks (channel_occupied, channel_vacated,
    /// member_added, member_removed, client_event); none when absent.
    pub webhook_url: Option<String>,
}

pub struct Sockudo {
    pub app_id: String,
    pub key: String,
    pub secret: String,
    pub host: String,
    pub port: u16,
    dir: PathBuf,
    server: Child,
    watchdog: Child,
}

impl Sockudo {
    pub async fn start() -> Self {
        Self::start_with(SockudoOptions::default()).await
    }

    /// Retries on a fresh port when another process took ours first.
    pub async fn start_with(options: SockudoOptions) -> Self {
        let mut last_log = String::new();
        for _ in 0..3 {
            match Self::try_start(&options).await {
                Ok(sockudo) => return sockudo,
                Err(log) => last_log = log,
            }
        }
        panic!("sockudo did not become healthy; log tail:\n{last_log}");
    }

    async fn try_start(options: &SockudoOptions) -> Result<Self, String> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("sockudo-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let port = free_port();
        let (app_id, key, secret) = (
            format!("app{n}"),
            format!("key{n}abcdef"),
            format!("secret{n}ghijkl"),
        );
        let config = config_toml(port, &app_id, &key, &secret, options.webhook_url.as_deref());
        std::fs::write(dir.join("sockudo.toml"), config).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("sockudo.log")).map_err(|e| e.to_string())?;
        let server = Command::new(sockudo_bin())
            .args(["--config", "sockudo.toml"])
            .current_dir(&dir)
            // Sockudo reads generic names (PORT, HOST, DEBUG, REDIS_URL...)
            // from the environment; only the config file may decide.
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawning sockudo: {e}"))?;
        let watchdog = spawn_watchdog(server.id(), &dir);
        let mut sockudo = Self {
            app_id,
            key,
            secret,
            host: "127.0.0.1".into(),
            port,
            dir,
            server,
            watchdog,
        };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while Instant::now() < deadline {
            if sockudo.server.try_wait().ok().flatten().is_some() {
                return Err(sockudo.log_tail());
            }
            if sockudo.is_healthy().await {
                return Ok(sockudo);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(sockudo.log_tail())
    }

    async fn is_healthy(&self) -> bool {
        let Ok(mut stream) = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await
        else {
            return false;
        };
        let request = format!(
            "GET /up/{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.app_id, self.host
        );
        if stream.write_all(request.as_bytes()).await.is_err() {
            return false;
        }
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(1), stream.read_to_end(&mut answer)).await;
        read.is_ok() && answer.starts_with(b"HTTP/1.1 200")
    }

    /// Stops the server, as an outage would; [`Sockudo::restart`] brings it
    /// back on the same port with the same app.
    pub fn stop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }

    pub async fn restart(&mut self) {
        self.stop();
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("sockudo.log"))
            .expect("the sockudo log");
        self.server = Command::new(sockudo_bin())
            .args(["--config", "sockudo.toml"])
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the sockudo log"))
            .stderr(log)
            .spawn()
            .expect("respawning sockudo");
        self.watchdog = spawn_watchdog(self.server.id(), &self.dir);
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while Instant::now() < deadline {
            if self.is_healthy().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("sockudo did not come back; log tail:\n{}", self.log_tail());
    }

    /// Credentials for this server, through the same env names as production.
    pub fn pusher_config(&self) -> PusherConfig {
        self.pusher_config_with(&self.secret, None)
    }

    pub fn pusher_config_with(
        &self,
        secret: &str,
        master_key_base64: Option<&str>,
    ) -> PusherConfig {
        let port = self.port.to_string();
        let mut pairs = vec![
            ("PUSHER_APP_ID", self.app_id.as_str()),
            ("PUSHER_SECRET", secret),
            ("NEXT_PUBLIC_PUSHER_KEY", self.key.as_str()),
            ("PUSHER_HOST", self.host.as_str()),
            ("PUSHER_PORT", port.as_str()),
            ("PUSHER_SCHEME", "http"),
        ];
        if let Some(b64) = master_key_base64 {
            pairs.push(("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", b64));
        }
        PusherConfig::from_env(&Env::from_pairs(pairs)).expect("test Pusher config")
    }

    /// The pusher-js WebSocket endpoint for this app.
    pub fn ws_url(&self) -> String {
        format!(
            "ws://{}:{}/app/{}?protocol=7&client=rust-test&version=1.0&flash=false",
            self.host, self.port, self.key
        )
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("sockudo.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Sockudo {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills `server_pid` and removes its directory once this test process is
/// gone (even after SIGKILL); exits by itself when the server does.
fn spawn_watchdog(server_pid: u32, dir: &Path) -> Child {
    let script = "while kill -0 \"$1\" 2>/dev/null && kill -0 \"$2\" 2>/dev/null; do sleep 0.2; done; \
                  if ! kill -0 \"$1\" 2>/dev/null; then kill -9 \"$2\" 2>/dev/null; rm -rf \"$3\"; fi";
    Command::new("sh")
        .args([
            "-c",
            script,
            "sockudo-watchdog",
            &std::process::id().to_string(),
            &server_pid.to_string(),
        ])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning the sockudo watchdog")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("binding a free port");
    listener.local_addr().expect("local address").port()
}

/// `SOCKUDO_BIN`, else whatever `scripts/sockudo-install` prints (it builds
/// only when the binary is missing).
pub fn sockudo_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("SOCKUDO_BIN").filter(|b| !b.is_empty()) {
            return PathBuf::from(bin);
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sockudo-install");
        let output = Command::new(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(output.status.success(), "{} failed", script.display());
        let path = String::from_utf8_lossy(&output.stdout);
        PathBuf::from(path.lines().last().unwrap_or_default().trim())
    })
    .clone()
}
