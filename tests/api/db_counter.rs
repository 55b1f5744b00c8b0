//! A loopback TCP proxy in front of Postgres that counts round trips: each
//! burst the client writes after the server last answered (or on a new
//! connection) is one flight, i.e. one sequential round trip. Pipelined
//! messages (tokio-postgres's Parse/Bind/Execute/Sync of one `query_typed`)
//! travel in one burst and count once; BEGIN and COMMIT count as their own.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One round trip: which connection, and what it started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flight {
    pub connection: usize,
    /// `connect` for a connection's first burst, else the first statement's
    /// text (whitespace collapsed, cut at 60 characters).
    pub label: String,
}

#[derive(Default)]
struct Log {
    flights: Mutex<Vec<Flight>>,
    connections: AtomicUsize,
}

pub struct DbCounter {
    pub addr: std::net::SocketAddr,
    log: Arc<Log>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DbCounter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The statement a burst starts with: a simple query ('Q') or an extended
/// protocol Parse ('P': statement name, then the query text).
fn label(chunk: &[u8]) -> String {
    let text = |b: &[u8]| {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        String::from_utf8_lossy(&b[..end]).into_owned()
    };
    let body = chunk.get(5..).unwrap_or_default();
    let sql = match chunk.first() {
        Some(b'Q') => text(body),
        Some(b'P') => {
            let name_end = body.iter().position(|&c| c == 0).unwrap_or(body.len());
            text(body.get(name_end + 1..).unwrap_or_default())
        }
        Some(other) => format!("<message {}>", *other as char),
        None => String::new(),
    };
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(60)
        .collect()
}

impl DbCounter {
    /// Listens on a loopback port and forwards to `upstream` (host, port).
    pub async fn start(upstream: (String, u16)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let log = Arc::new(Log::default());
        let shared = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, log) = (upstream.clone(), shared.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let connection = log.connections.fetch_add(1, Ordering::SeqCst);
                    // True once the server has answered since the client's last burst.
                    let answered = Arc::new(std::sync::atomic::AtomicBool::new(true));
                    let (mut client_rx, mut client_tx) = client.into_split();
                    let (mut server_rx, mut server_tx) = server.into_split();
                    let up = {
                        let (answered, log) = (answered.clone(), log.clone());
                        async move {
                            let mut buf = vec![0u8; 64 * 1024];
                            let mut first = true;
                            loop {
                                let n = match client_rx.read(&mut buf).await {
                                    Ok(0) | Err(_) => break,
                                    Ok(n) => n,
                                };
                                if answered.swap(false, Ordering::SeqCst) {
                                    let label = if first {
                                        "connect".to_owned()
                                    } else {
                                        label(&buf[..n])
                                    };
                                    first = false;
                                    if let Ok(mut flights) = log.flights.lock() {
                                        flights.push(Flight { connection, label });
                                    }
                                }
                                if server_tx.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    };
                    let down = async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match server_rx.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            // Before forwarding: the client's next burst can only follow it.
                            answered.store(true, Ordering::SeqCst);
                            if client_tx.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    tokio::join!(up, down);
                });
            }
        });
        Self { addr, log, task }
    }

    /// Where the log stands now, for [`Self::since`].
    pub fn mark(&self) -> usize {
        self.log.flights.lock().map(|f| f.len()).unwrap_or(0)
    }

    /// The flights since `mark`.
    pub fn since(&self, mark: usize) -> Vec<Flight> {
        self.log
            .flights
            .lock()
            .map(|f| f[mark.min(f.len())..].to_vec())
            .unwrap_or_default()
    }

    /// `url` (a Postgres URL naming the proxied server's host:port) pointed at this proxy.
    pub fn url(&self, url: &str, upstream: &(String, u16)) -> String {
        let from = format!("@{}:{}", upstream.0, upstream.1);
        assert!(url.contains(&from), "{url} does not name {from}");
        url.replacen(&from, &format!("@{}", self.addr), 1)
    }
}

/// The host and port of a Postgres URL (`postgres://user@host:port/...`).
pub fn upstream_of(url: &str) -> (String, u16) {
    let config: tokio_postgres::Config = url.parse().expect("a Postgres URL");
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    (host, config.get_ports().first().copied().unwrap_or(5432))
}
