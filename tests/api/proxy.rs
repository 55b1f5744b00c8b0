//! A loopback TCP proxy in front of Sockudo's HTTP API: holds each request
//! for a fixed delay (a slow Pusher) and counts the requests it forwards.

use crate::sockudo::Sockudo;
use messaging::config::Env;
use messaging::pusher::PusherConfig;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct SlowPusher {
    pub port: u16,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SlowPusher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether a chunk from the client starts an HTTP request (not a body's continuation).
fn starts_request(chunk: &[u8]) -> bool {
    chunk.starts_with(b"POST ") || chunk.starts_with(b"GET ")
}

impl SlowPusher {
    pub async fn start(sockudo: &Sockudo, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let upstream = (sockudo.host.clone(), sockudo.port);
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut client_rx, mut client_tx) = client.into_split();
                    let (mut server_rx, mut server_tx) = server.into_split();
                    let up = async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match client_rx.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if starts_request(&buf[..n]) {
                                counter.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(delay).await;
                            }
                            if server_tx.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    let down = async move {
                        let _ = tokio::io::copy(&mut server_rx, &mut client_tx).await;
                    };
                    tokio::join!(up, down);
                });
            }
        });
        Self {
            port,
            requests,
            task,
        }
    }

    /// HTTP requests forwarded so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The Pusher configuration of `sockudo`'s app, pointed at this proxy.
    pub fn pusher_config(&self, sockudo: &Sockudo) -> PusherConfig {
        let port = self.port.to_string();
        let pairs = vec![
            ("PUSHER_APP_ID", sockudo.app_id.as_str()),
            ("PUSHER_SECRET", sockudo.secret.as_str()),
            ("NEXT_PUBLIC_PUSHER_KEY", sockudo.key.as_str()),
            ("PUSHER_HOST", sockudo.host.as_str()),
            ("PUSHER_PORT", port.as_str()),
            ("PUSHER_SCHEME", "http"),
        ];
        PusherConfig::from_env(&Env::from_pairs(pairs)).expect("proxied Pusher config")
    }
}
