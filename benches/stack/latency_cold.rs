//! The latency run's cold start: a fresh `messages_send` process's first
//! send over TLS through the delaying proxies, its database flights named by
//! their place in the protocol; and whether the server takes direct TLS.

use crate::cold_start::Requests;
use crate::http::Conn;
use crate::latency::{ColdRun, Proxies, counts, mode};
use crate::proxy::Flight;
use crate::stack::{Stack, free_port};
use crate::stats::median;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Names the first connection's flights, by their place in Postgres's
/// protocol over TLS with SCRAM-SHA-256 (after the handshake all is encrypted).
fn name_flights(flights: &[Flight]) -> Vec<String> {
    let first = flights.iter().map(|f| f.conn).min();
    let mut k = 0;
    flights
        .iter()
        .filter(|f| Some(f.conn) == first)
        .map(|f| {
            if f.handshake {
                return "TCP".to_owned();
            }
            // SSLRequest: an 8-byte message, length first.
            if f.bytes == 8 && f.first_byte == 0 {
                return "SSLRequest".to_owned();
            }
            k += 1;
            // DATABASE_URL asks for TLS: after the server's 'S', the handshake.
            match k {
                1 => "TLS ClientHello",
                2 => "TLS Finished + StartupMessage",
                3 => "SCRAM client-first",
                4 => "SCRAM client-final",
                _ => "query",
            }
            .to_owned()
        })
        .collect()
}

pub async fn run(
    stack: &Stack,
    requests: &Requests,
    proxies: &Proxies,
    runs: usize,
) -> anyhow::Result<ColdRun> {
    eprintln!("bench: latency: cold start of messages_send");
    let (mut all, mut samples, mut flights) = (Vec::new(), Vec::new(), Vec::new());
    let mut listening = Vec::new();
    let mut request = String::new();
    for _ in 0..runs {
        let (req, expected) = requests.for_function(stack, "messages_send")?;
        request = req.describe();
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let t0 = Instant::now();
        let f = stack.spawn("messages_send", port)?;
        let stream = crate::cold_start::connect_when_listening(addr).await?;
        listening.push(t0.elapsed());
        let mut conn = Conn::over(stream, addr).await?;
        conn.send(&req).await?.expect(expected, "cold send")?;
        let t1 = Instant::now();
        all.push(t1 - t0);
        samples.push(counts(&proxies.db, &proxies.pusher, t0, t1));
        flights = proxies.db.flights(t0, t1);
        drop(f);
        tokio::time::sleep(proxies.gap).await;
    }
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    Ok(ColdRun {
        request,
        ms: ms(&median(&all)),
        all_ms: all.iter().map(ms).collect(),
        listening_ms: ms(&median(&listening)),
        counts: mode(&samples),
        db_flights: name_flights(&flights),
    })
}

/// Postgres 17's direct TLS (`sslnegotiation=direct`) against this server:
/// one round trip fewer per new connection where the server takes it.
pub async fn direct_tls(database_url: &str) -> String {
    let sep = if database_url.contains('?') { '&' } else { '?' };
    let url = format!("{database_url}{sep}sslnegotiation=direct");
    let attempt = async {
        let db = messaging::db::Db::new(&url, 1)?;
        db.client().await.map(|_| ())
    };
    match tokio::time::timeout(Duration::from_secs(5), attempt).await {
        Ok(Ok(())) => "accepted".into(),
        Ok(Err(e)) => {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            format!("refused ({why})")
        }
        Err(_) => "no answer within 5 s".into(),
    }
}
