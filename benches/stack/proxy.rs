//! A delaying TCP proxy on loopback: a fixed one-way delay each way, and a
//! log of connections and flights, so that a route's round trips to Postgres
//! or Pusher can be counted and felt as they would be across a network.
//!
//! Each chunk is written on `delay` after it was read (delays overlap, they
//! are not served one after the other), in order. A new connection's first
//! bytes to the server also wait one round trip, the TCP handshake a real
//! network would take before the client could send. A flight is a client
//! write that follows something received (or the connection's first write):
//! a round trip the client waited for. Plain threads, not tokio: `sleep` here
//! is precise to tens of microseconds, tokio's timer only to a millisecond.
//!
//! `Upstream::HttpKeepAlive` (proxy_http.rs) is for Sockudo's REST API.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::proxy_http::rename_close;

/// One client flight, or a connection's TCP handshake (`handshake`).
#[derive(Debug, Clone, Copy)]
pub struct Flight {
    pub at: Instant,
    pub conn: usize,
    pub handshake: bool,
    /// The first byte the client sent in this flight (0 for a handshake).
    pub first_byte: u8,
    pub bytes: usize,
}

/// How the upstream server treats connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    Tcp,
    HttpKeepAlive,
}

pub struct Proxy {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Flight>>>,
    stop: Arc<AtomicBool>,
}

pub(crate) struct Link {
    pub(crate) one_way: Duration,
    log: Arc<Mutex<Vec<Flight>>>,
    conn: usize,
    pub(crate) accepted: Instant,
    upstream: Upstream,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target` with `rtt / 2` each way.
    pub fn start(target: SocketAddr, rtt: Duration, upstream: Upstream) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log2, stop2) = (log.clone(), stop.clone());
        let next = AtomicUsize::new(0);
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let link = Link {
                    one_way: rtt / 2,
                    log: log2.clone(),
                    conn: next.fetch_add(1, Ordering::Relaxed),
                    accepted: Instant::now(),
                    upstream,
                };
                if let Err(e) = link.serve(client, target) {
                    eprintln!("bench: proxy to {target}: {e}");
                }
            }
        });
        Ok(Self { addr, log, stop })
    }

    /// Flights (handshakes included) logged between `from` and `to`.
    pub fn flights(&self, from: Instant, to: Instant) -> Vec<Flight> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter()
            .filter(|f| f.at >= from && f.at <= to)
            .copied()
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

impl Link {
    pub(crate) fn record(&self, at: Instant, handshake: bool, first_byte: u8, bytes: usize) {
        let flight = Flight {
            at,
            conn: self.conn,
            handshake,
            first_byte,
            bytes,
        };
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(flight);
    }

    fn serve(self, client: TcpStream, target: SocketAddr) -> anyhow::Result<()> {
        if self.upstream == Upstream::HttpKeepAlive {
            return self.serve_keep_alive(client, target);
        }
        let server = TcpStream::connect(target)?;
        client.set_nodelay(true)?;
        server.set_nodelay(true)?;
        self.record(self.accepted, true, 0, 0);
        // Set when the client has been handed bytes since its last write.
        let received = Arc::new(AtomicBool::new(true));
        let link = Arc::new(self);
        // Client -> server: nothing leaves before the handshake's round trip is over.
        let handshake_done = link.accepted + link.one_way * 2;
        let (c_in, s_out) = (client.try_clone()?, server.try_clone()?);
        let (l, r) = (link.clone(), received.clone());
        pump(c_in, s_out, link.one_way, move |t, chunk| {
            if r.swap(false, Ordering::AcqRel) {
                l.record(t, false, chunk[0], chunk.len());
            }
            t.max(handshake_done)
        });
        let r = received.clone();
        pump_then(
            server,
            client,
            link.one_way,
            |t, _| t,
            move || r.store(true, Ordering::Release),
        );
        Ok(())
    }
}

pub(crate) fn sleep_until(due: Instant) {
    let now = Instant::now();
    if due > now {
        thread::sleep(due - now);
    }
}

fn pump(
    from: TcpStream,
    to: TcpStream,
    one_way: Duration,
    on_read: impl FnMut(Instant, &[u8]) -> Instant + Send + 'static,
) {
    pump_then(from, to, one_way, on_read, || {});
}

/// Reads `from` on one thread and writes `to` on another, each chunk at
/// `on_read(read at) + one_way`; `written` runs just before each write.
fn pump_then(
    mut from: TcpStream,
    mut to: TcpStream,
    one_way: Duration,
    mut on_read: impl FnMut(Instant, &[u8]) -> Instant + Send + 'static,
    written: impl Fn() + Send + 'static,
) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let t = Instant::now();
                    let due = on_read(t, &buf[..n]) + one_way;
                    if tx.send((due, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
        // Dropping `tx` ends the writer after it has written what is queued.
    });
    thread::spawn(move || {
        for (due, chunk) in rx {
            sleep_until(due);
            // Marked before the bytes go: the client can only answer them after.
            written();
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Checked under `cargo test`: delays hold each way and flights are counted.
pub fn self_check() -> anyhow::Result<()> {
    let echo = TcpListener::bind(("127.0.0.1", 0))?;
    let echo_addr = echo.local_addr()?;
    thread::spawn(move || {
        if let Ok((mut s, _)) = echo.accept() {
            let mut buf = [0u8; 1024];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 || s.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    });
    let rtt = Duration::from_millis(20);
    let proxy = Proxy::start(echo_addr, rtt, Upstream::Tcp)?;
    let t0 = Instant::now();
    let mut s = TcpStream::connect(proxy.addr)?;
    let mut buf = [0u8; 16];
    for _ in 0..2 {
        s.write_all(b"ping")?;
        s.read_exact(&mut buf[..4])?;
    }
    let elapsed = t0.elapsed();
    // Handshake + two round trips (generous above: a busy machine wakes threads late).
    anyhow::ensure!(
        elapsed >= rtt * 3 && elapsed < rtt * 3 + Duration::from_millis(100),
        "proxy delay is off: {elapsed:?} for 3 round trips of {rtt:?}"
    );
    let flights = proxy.flights(t0, Instant::now());
    let writes = flights.iter().filter(|f| !f.handshake).count();
    let handshakes = flights.iter().filter(|f| f.handshake).count();
    anyhow::ensure!(
        (handshakes, writes) == (1, 2),
        "proxy counted {handshakes} connections and {writes} flights, not 1 and 2"
    );
    let mut head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n".to_vec();
    anyhow::ensure!(rename_close(&mut head) && head == b"HTTP/1.1 200 OK\r\nx-upstream: close\r\n");
    Ok(())
}
