//! The delaying proxy's HTTP mode, for Sockudo, which answers every REST call
//! with `connection: close` while Pusher's API keeps connections alive: the
//! client's connection stays open, that header is renamed, and the next
//! request goes up a new loopback connection. The function so sees one
//! connection, as it would with Pusher, and each request costs one round trip.

use crate::proxy::{Link, sleep_until};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

impl Link {
    /// As `serve`, but a closed upstream connection is replaced at the next request
    /// and the client's stays open (`connection: close` is renamed in responses).
    pub(crate) fn serve_keep_alive(
        self,
        client: TcpStream,
        target: SocketAddr,
    ) -> anyhow::Result<()> {
        client.set_nodelay(true)?;
        self.record(self.accepted, true, 0, 0);
        let received = Arc::new(AtomicBool::new(true));
        let link = Arc::new(self);
        let handshake_done = link.accepted + link.one_way * 2;
        let one_way = link.one_way;
        // Responses, from whichever upstream connection, to the client in order.
        let (to_client, responses) = mpsc::channel::<(Instant, Vec<u8>)>();
        let mut client_out = client.try_clone()?;
        let r = received.clone();
        thread::spawn(move || {
            for (due, chunk) in responses {
                sleep_until(due);
                // Marked before the bytes go: the client can only answer them after.
                r.store(true, Ordering::Release);
                if client_out.write_all(&chunk).is_err() {
                    break;
                }
            }
            let _ = client_out.shutdown(Shutdown::Write);
        });
        let (to_server, requests) = mpsc::channel::<(Instant, Vec<u8>)>();
        let mut client_in = client;
        let l = link.clone();
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n @ 1..) = client_in.read(&mut buf) {
                let t = Instant::now();
                if received.swap(false, Ordering::AcqRel) {
                    l.record(t, false, buf[0], n);
                }
                let due = t.max(handshake_done) + one_way;
                if to_server.send((due, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
        thread::spawn(move || {
            let mut server: Option<(TcpStream, Arc<AtomicBool>)> = None;
            for (due, chunk) in requests {
                sleep_until(due);
                if server
                    .as_ref()
                    .is_none_or(|(_, closed)| closed.load(Ordering::Acquire))
                {
                    let Ok(s) = TcpStream::connect(target) else {
                        break;
                    };
                    let _ = s.set_nodelay(true);
                    let closed = Arc::new(AtomicBool::new(false));
                    let (Ok(from), to, c) = (s.try_clone(), to_client.clone(), closed.clone())
                    else {
                        break;
                    };
                    thread::spawn(move || relay_responses(from, to, one_way, c));
                    server = Some((s, closed));
                }
                if let Some((s, _)) = server.as_mut() {
                    if s.write_all(&chunk).is_err() {
                        break;
                    }
                }
            }
            if let Some((s, _)) = server {
                let _ = s.shutdown(Shutdown::Write);
            }
        });
        Ok(())
    }
}

/// One upstream connection's responses, `connection: close` renamed (same length).
fn relay_responses(
    mut from: TcpStream,
    to: mpsc::Sender<(Instant, Vec<u8>)>,
    one_way: Duration,
    closed: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf) {
        let t = Instant::now();
        let mut chunk = buf[..n].to_vec();
        // Marked before the client can see the answer, hence before its next request.
        if rename_close(&mut chunk) {
            closed.store(true, Ordering::Release);
        }
        if to.send((t + one_way, chunk)).is_err() {
            break;
        }
    }
    closed.store(true, Ordering::Release);
}

/// `connection: close` -> `x-upstream: close` (any case), so the client keeps
/// the connection; whether there was one.
pub(crate) fn rename_close(chunk: &mut [u8]) -> bool {
    const FROM: &[u8] = b"connection: close";
    const TO: &[u8] = b"x-upstream: close";
    let (mut i, mut found) = (0, false);
    while i + FROM.len() <= chunk.len() {
        if chunk[i..i + FROM.len()].eq_ignore_ascii_case(FROM) {
            chunk[i..i + FROM.len()].copy_from_slice(TO);
            i += FROM.len();
            found = true;
        } else {
            i += 1;
        }
    }
    found
}
