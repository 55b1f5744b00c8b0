//! Latency injection (`scripts/bench --latency`): the functions reach
//! Postgres (TLS, SCRAM) and Sockudo through delaying proxies, so each
//! round trip costs what a Vercel→Neon or Vercel→Pusher hop would. Per
//! profile: warm latency of each route one request at a time, the round
//! trips counted on each route's response path, and a cold start.

use crate::args::Plan;
use crate::cold_start::Requests;
use crate::http::{Conn, Req};
use crate::proxy::{Flight, Proxy, Upstream};
use crate::stack::{Function, Stack};
use crate::stats::Summary;
use anyhow::Context;
use serde::Serialize;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Profile {
    pub name: &'static str,
    pub db_rtt_ms: f64,
    pub pusher_rtt_ms: f64,
}

/// The issue's two profiles, after the proxies alone (no delay) as a baseline.
pub const PROFILES: [Profile; 3] = [
    Profile {
        name: "loopback (proxies, no delay)",
        db_rtt_ms: 0.0,
        pusher_rtt_ms: 0.0,
    },
    Profile {
        name: "same region",
        db_rtt_ms: 2.0,
        pusher_rtt_ms: 8.0,
    },
    Profile {
        name: "cross region",
        db_rtt_ms: 20.0,
        pusher_rtt_ms: 40.0,
    },
];

/// Round trips a request waited for: flights (TCP handshakes included) and new connections.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Counts {
    pub db: usize,
    pub db_new: usize,
    pub pusher: usize,
    pub pusher_new: usize,
}

#[derive(Debug, Serialize)]
pub struct RouteRun {
    pub name: String,
    pub request: String,
    pub latency: Summary,
    /// On the response path (request start -> response), the most common count.
    pub counts: Counts,
    /// After the response, before the next request (work moved off the path).
    pub after: Counts,
}

#[derive(Debug, Serialize)]
pub struct ColdRun {
    pub request: String,
    /// Median spawn -> first database-backed 2xx, ms.
    pub ms: f64,
    pub all_ms: Vec<f64>,
    /// Median spawn -> the function listening (the first request can arrive):
    /// how long the start-up connection has before a request waits for it.
    pub listening_ms: f64,
    pub counts: Counts,
    /// The first database connection's flights, named by their place in the protocol.
    pub db_flights: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ProfileRun {
    pub profile: Profile,
    pub routes: Vec<RouteRun>,
    pub cold: ColdRun,
}

/// The warm routes measured, each in its own function process.
const ROUTES: [(&str, &str); 6] = [
    ("send", "messages_send"),
    ("history", "messages_history"),
    ("channel auth", "pusher_auth"),
    ("read", "messages_read"),
    ("typing", "messages_typing"),
    ("react", "messages_react"),
];

fn resolve(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()?
        .next()
        .with_context(|| format!("{host}:{port} does not resolve"))
}

/// Where the functions' database and Pusher traffic really goes.
pub struct Targets {
    db: SocketAddr,
    db_url: url::Url,
    pusher: SocketAddr,
}

impl Targets {
    pub fn of(stack: &Stack) -> anyhow::Result<Self> {
        let db_url = url::Url::parse(&stack.config.database_url)?;
        let db = resolve(
            db_url.host_str().context("DATABASE_URL has no host")?,
            db_url.port().unwrap_or(5432),
        )?;
        let p = &stack.config.pusher;
        let pusher = resolve(p.host(), p.port().unwrap_or(80))?;
        Ok(Self { db, db_url, pusher })
    }
}

pub(crate) fn counts(db: &Proxy, pusher: &Proxy, from: Instant, to: Instant) -> Counts {
    let (d, p) = (db.flights(from, to), pusher.flights(from, to));
    let new = |f: &[Flight]| f.iter().filter(|x| x.handshake).count();
    Counts {
        db: d.len(),
        db_new: new(&d),
        pusher: p.len(),
        pusher_new: new(&p),
    }
}

/// The most common value (ties: the smallest).
pub(crate) fn mode(samples: &[Counts]) -> Counts {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let mut best = (0, Counts::default());
    let mut i = 0;
    while i < sorted.len() {
        let n = sorted[i..].iter().take_while(|c| **c == sorted[i]).count();
        if n > best.0 {
            best = (n, sorted[i]);
        }
        i += n;
    }
    best.1
}

pub(crate) struct Proxies {
    pub db: Proxy,
    pub pusher: Proxy,
    /// A pause long enough for work after a response to show in the logs.
    pub gap: Duration,
}

/// The `i`th request of `reqs` (in turn), answered with its expected status.
async fn call(conn: &mut Conn, reqs: &[(Req, u16)], i: usize, name: &str) -> anyhow::Result<()> {
    let (req, expected) = &reqs[i % reqs.len()];
    conn.send(req).await?.expect(*expected, name)?;
    Ok(())
}

/// `reqs` in turn: counted one at a time with a pause after each, then timed back to back.
async fn route(
    name: &str,
    f: &Function,
    reqs: &[(Req, u16)],
    proxies: &Proxies,
    samples: usize,
) -> anyhow::Result<RouteRun> {
    eprintln!("bench: latency: {name}");
    let mut conn = Conn::open(f.addr).await?;
    for i in 0..5 {
        call(&mut conn, reqs, i, name).await?;
    }
    let (mut on_path, mut after) = (Vec::new(), Vec::new());
    for i in 0..7 {
        let t0 = Instant::now();
        call(&mut conn, reqs, i, name).await?;
        let t1 = Instant::now();
        tokio::time::sleep(proxies.gap).await;
        on_path.push(counts(&proxies.db, &proxies.pusher, t0, t1));
        after.push(counts(&proxies.db, &proxies.pusher, t1, Instant::now()));
    }
    let mut ns = Vec::with_capacity(samples);
    for i in 0..samples {
        let t0 = Instant::now();
        call(&mut conn, reqs, i, name).await?;
        ns.push(u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Ok(RouteRun {
        name: name.to_owned(),
        request: reqs[0].0.describe(),
        latency: Summary::from_ns(ns, None),
        counts: mode(&on_path),
        after: mode(&after),
    })
}

/// One profile: proxies up, the route functions started behind them, then measured.
pub async fn profile(
    base: &Stack,
    targets: &Targets,
    requests: &Requests,
    plan: &Plan,
    profile: Profile,
) -> anyhow::Result<ProfileRun> {
    eprintln!(
        "bench: latency profile {}: DB RTT {} ms, Pusher RTT {} ms",
        profile.name, profile.db_rtt_ms, profile.pusher_rtt_ms
    );
    let rtt = |ms: f64| Duration::from_secs_f64(ms / 1e3);
    let proxies = Proxies {
        db: Proxy::start(targets.db, rtt(profile.db_rtt_ms), Upstream::Tcp)?,
        pusher: Proxy::start(
            targets.pusher,
            rtt(profile.pusher_rtt_ms),
            Upstream::HttpKeepAlive,
        )?,
        gap: rtt(profile.db_rtt_ms.max(profile.pusher_rtt_ms) * 4.0 + 30.0),
    };
    let mut url = targets.db_url.clone();
    url.set_port(Some(proxies.db.addr.port()))
        .map_err(|()| anyhow::anyhow!("DATABASE_URL takes no port"))?;
    let mut stack = base.clone_env();
    stack.set_env("DATABASE_URL", url.as_str());
    stack.set_env("PUSHER_PORT", &proxies.pusher.addr.port().to_string());
    let samples = if plan.quick { 40 } else { 200 };
    let mut routes = Vec::new();
    for (name, bin) in ROUTES {
        let f = stack.start(bin).await?;
        let mut reqs = vec![requests.for_function(&stack, bin)?];
        if bin == "messages_react" {
            // Add, then remove: each call changes something and is published.
            let body = format!(
                r#"{{"message_id":{},"emoji":"+1","action":"remove"}}"#,
                requests.message_id
            );
            reqs.push((reqs[0].0.with_body(body), 200));
        }
        routes.push(route(name, &f, &reqs, &proxies, samples).await?);
    }
    let cold = crate::latency_cold::run(&stack, requests, &proxies, plan.cold_runs).await?;
    Ok(ProfileRun {
        profile,
        routes,
        cold,
    })
}

/// The warm request for a fresh process's first send (it inserts a message).
pub async fn first_message(stack: &Stack, requests: &Requests) -> anyhow::Result<()> {
    let f = stack.start("messages_send").await?;
    let (req, expected) = requests.for_function(stack, "messages_send")?;
    Conn::open(f.addr)
        .await?
        .send(&req)
        .await?
        .expect(expected, "send")?;
    Ok(())
}
