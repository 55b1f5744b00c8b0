//! The latency-injection run's report: per profile, each route's latency and
//! round trips beside the targets, and the cold start over TLS.

use crate::latency::{ColdRun, Counts, ProfileRun, RouteRun};
use crate::machine::Machine;
use crate::pusher_js::PusherJs;
use crate::table::ms;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct LatencyReport {
    pub machine: Machine,
    pub quick: bool,
    pub command: String,
    /// How the functions reach Postgres (TLS, authentication).
    pub database: String,
    /// What the server said to `sslnegotiation=direct`.
    pub direct_tls: String,
    pub profiles: Vec<ProfileRun>,
    pub pusher_js: Option<PusherJs>,
    /// The same sends to the Rust WebSocket subscriber, just before (for comparison).
    pub delivery_ws: crate::delivery::DeliveryRun,
}

fn trips(c: &Counts) -> String {
    let new = |n: usize| {
        if n == 0 {
            String::new()
        } else {
            format!(" ({n} new conn.)")
        }
    };
    format!(
        "DB {}{} · Pusher {} req.{}",
        c.db,
        new(c.db_new),
        c.pusher - c.pusher_new,
        new(c.pusher_new)
    )
}

fn after(c: &Counts) -> String {
    if *c == Counts::default() {
        "none".into()
    } else {
        trips(c)
    }
}

/// "met" or "**missed**: …" from (what, value, limit) checks, met when value <= limit.
fn verdict(checks: &[(&str, f64, f64, &str)]) -> String {
    let missed: Vec<String> = checks
        .iter()
        .filter(|(_, v, limit, _)| v > limit)
        .map(|(what, v, limit, unit)| match *unit {
            "ms" => format!(
                "{what} {} ms vs {} ms (+{} ms)",
                ms(*v),
                ms(*limit),
                ms(v - limit)
            ),
            _ => format!("{what} {v} vs {limit}"),
        })
        .collect();
    if missed.is_empty() {
        "met".into()
    } else {
        format!("**missed**: {}", missed.join("; "))
    }
}

fn row(cells: [&str; 6]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

fn route_row(p: &ProfileRun, r: &RouteRun) -> String {
    let (db, pusher) = (p.profile.db_rtt_ms, p.profile.pusher_rtt_ms);
    let lat = format!("{} · {}", ms(r.latency.p50), ms(r.latency.p99));
    let c = &r.counts;
    let (target, checks) = if r.name == "send" {
        let limit = db + pusher + 1.5;
        (
            format!(
                "p50 ≤ {} ms (DB + Pusher RTT + 1.5); DB 1 · Pusher 1",
                ms(limit)
            ),
            vec![
                ("p50", r.latency.p50, limit, "ms"),
                ("DB", c.db as f64, 1.0, ""),
                ("Pusher requests", (c.pusher - c.pusher_new) as f64, 1.0, ""),
                ("new connections", (c.db_new + c.pusher_new) as f64, 0.0, ""),
            ],
        )
    } else {
        ("DB 1".to_owned(), vec![("DB", c.db as f64, 1.0, "")])
    };
    let name = if r.name == "send" {
        "send, c=1".to_owned()
    } else {
        r.name.clone()
    };
    row([
        &name,
        &lat,
        &trips(c),
        &after(&r.after),
        &target,
        &verdict(&checks),
    ])
}

fn cold_row(p: &ProfileRun, c: &ColdRun, baseline_ms: f64) -> String {
    let (db, pusher) = (p.profile.db_rtt_ms, p.profile.pusher_rtt_ms);
    let limit = 4.0 * db + pusher;
    let network = c.ms - baseline_ms;
    let in_rtts = if db > 0.0 {
        format!(
            " = loopback {} + {:.1} DB RTTs",
            ms(baseline_ms),
            network / db
        )
    } else {
        String::new()
    };
    let result = format!(
        "{} ms{in_rtts} (listening after {} ms)",
        ms(c.ms),
        ms(c.listening_ms)
    );
    let counts = format!("{}: {}", trips(&c.counts), c.db_flights.join(" → "));
    let mut checks = vec![
        ("DB", c.counts.db as f64, 4.0, ""),
        ("Pusher round trips", c.counts.pusher as f64, 1.0, ""),
    ];
    if db > 0.0 {
        checks.insert(0, ("network time", network, limit, "ms"));
    }
    row([
        "cold: first send of a fresh process",
        &result,
        &counts,
        "",
        &format!("≤ 4 DB RTT + 1 Pusher RTT = {} ms over loopback", ms(limit)),
        &verdict(&checks),
    ])
}

impl LatencyReport {
    pub fn text(&self) -> String {
        let m = &self.machine;
        let mut t = format!(
            "{} Run: {}{}\n\
             Database: {}. Direct TLS (sslnegotiation=direct): {}.\n\
             DB: round trips the function waited for (a new connection's TCP handshake counts one); \
             Pusher: requests, and new connections (each one more round trip; locally plain HTTP, \
             production adds TLS). Counted by the delaying proxies (benches/stack/proxy.rs) from \
             request start to response, the most common count over 7 requests; p50 · p99 over {} \
             requests, one at a time, on one keep-alive connection. Sockudo closes every REST \
             connection (`connection: close`); the Pusher proxy keeps the function's open, as \
             Pusher's API does.\n",
            m.header(),
            self.command,
            if self.quick {
                " (QUICK: fewer samples)"
            } else {
                ""
            },
            self.database,
            self.direct_tls,
            self.profiles
                .first()
                .and_then(|p| p.routes.first())
                .map_or(0, |r| r.latency.n),
        );
        let baseline = self
            .profiles
            .iter()
            .find(|p| p.profile.db_rtt_ms == 0.0)
            .map_or(0.0, |p| p.cold.ms);
        for p in &self.profiles {
            t += &format!(
                "\n**{}**: DB RTT {} ms, Pusher RTT {} ms\n\n",
                p.profile.name, p.profile.db_rtt_ms, p.profile.pusher_rtt_ms
            );
            t += "| route | p50 · p99 ms | round trips on the response path | after the response | target | verdict |\n";
            t += "|---|---|---|---|---|---|\n";
            for r in &p.routes {
                t += &route_row(p, r);
            }
            t += &cold_row(p, &p.cold, baseline);
        }
        t += "\n| measure | result | | | target | verdict |\n|---|---|---|---|---|---|\n";
        let ws = &self.delivery_ws;
        t += &format!(
            "| delivery to the Rust WebSocket client (loopback, same run) | p50 {} · p90 {} · p99 {} ms (n={}); send answered p50 {} ms | | | | |\n",
            ms(ws.delivered.p50),
            ms(ws.delivered.p90),
            ms(ws.delivered.p99),
            ws.delivered.n,
            ms(ws.send_answered.p50)
        );
        match &self.pusher_js {
            Some(js) => t += &format!("{}\n", js.line()),
            None => {
                t += "| delivery to pusher-js in Node | skipped (the reason is on stderr) | | | p50 < 2.5 ms · p99 < 6 ms | |\n"
            }
        }
        t
    }
}
