//! Delivery to a pusher-js subscriber in Node (benches/stack/pusher_js.mjs),
//! from the start of each send until the subscriber's handler runs, one
//! send at a time on loopback. Skipped, saying why, without Node or pusher-js.

use crate::args::Plan;
use crate::seed::Pair;
use crate::stack::{Function, Stack};
use crate::stats::Summary;
use crate::table::ms;
use serde::{Deserialize, Serialize};
use std::process::Command;
use std::time::Duration;

#[derive(Debug, Serialize)]
pub struct PusherJs {
    /// Send start -> pusher-js's `new-message` handler.
    pub delivered: Summary,
    /// Send start -> the send's response, in the same runs (Node's fetch).
    pub answered: Summary,
}

#[derive(Deserialize)]
struct Output {
    delivered_ms: Vec<f64>,
    answered_ms: Vec<f64>,
}

fn summary(samples: &[f64]) -> Summary {
    let d: Vec<Duration> = samples
        .iter()
        .map(|ms| Duration::from_secs_f64(ms / 1e3))
        .collect();
    Summary::from_durations(&d)
}

/// The targets: p50 < 2.5 ms, p99 < 6 ms.
pub const TARGET_P50_MS: f64 = 2.5;
pub const TARGET_P99_MS: f64 = 6.0;

impl PusherJs {
    pub fn met(&self) -> bool {
        self.delivered.p50 < TARGET_P50_MS && self.delivered.p99 < TARGET_P99_MS
    }

    /// One Markdown table row in the format of the main table.
    pub fn line(&self) -> String {
        let d = &self.delivered;
        let verdict = if self.met() {
            "met".to_owned()
        } else {
            let mut missed = Vec::new();
            if d.p50 >= TARGET_P50_MS {
                missed.push(format!("p50 +{} ms", ms(d.p50 - TARGET_P50_MS)));
            }
            if d.p99 >= TARGET_P99_MS {
                missed.push(format!("p99 +{} ms", ms(d.p99 - TARGET_P99_MS)));
            }
            format!("**missed**: {}", missed.join("; "))
        };
        format!(
            "| delivery to pusher-js in Node (loopback) | p50 {} · p90 {} · p99 {} ms (n={}); send answered p50 {} ms | | | p50 < {TARGET_P50_MS} ms · p99 < {TARGET_P99_MS} ms | {verdict} |",
            ms(d.p50),
            ms(d.p90),
            ms(d.p99),
            d.n,
            ms(self.answered.p50)
        )
    }
}

/// `None` (and a line on stderr saying why) when Node or pusher-js is
/// missing or the measurement failed: the rest of the run still counts.
pub fn run(
    stack: &Stack,
    plan: &Plan,
    send_fn: &Function,
    auth_fn: &Function,
    pair: &Pair,
) -> anyhow::Result<Option<PusherJs>> {
    eprintln!("bench: delivery to pusher-js in Node");
    let root = env!("CARGO_MANIFEST_DIR");
    let p = &stack.config.pusher;
    let (s, r) = (&pair.sender, &pair.receiver);
    let out = Command::new("node")
        .arg(format!("{root}/benches/stack/pusher_js.mjs"))
        .env("BENCH_ROOT", root)
        .env(
            "BENCH_SEND_URL",
            format!("http://{}/api/messages/send", send_fn.addr),
        )
        .env(
            "BENCH_AUTH_URL",
            format!("http://{}/api/pusher/auth", auth_fn.addr),
        )
        .env("BENCH_CONVERSATION", pair.conversation.to_string())
        .env("BENCH_COUNT", plan.delivery_messages.to_string())
        .env("BENCH_WARMUP", plan.delivery_warmup.to_string())
        .env("BENCH_KEY", p.key())
        .env("BENCH_WS_HOST", p.host())
        .env("BENCH_WS_PORT", p.port().unwrap_or(80).to_string())
        .env("BENCH_SENDER_TOKEN", stack.token(&s.id, &s.name, &s.role)?)
        .env(
            "BENCH_RECEIVER_TOKEN",
            stack.token(&r.id, &r.name, &r.role)?,
        )
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            eprintln!("bench: pusher-js delivery skipped: node: {e}");
            return Ok(None);
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        eprintln!("bench: pusher-js delivery skipped: {}", stderr.trim());
        return Ok(None);
    }
    if !out.status.success() {
        eprintln!(
            "bench: pusher-js delivery failed ({}): {}",
            out.status,
            stderr.trim()
        );
        return Ok(None);
    }
    let output: Output = match serde_json::from_slice(&out.stdout) {
        Ok(output) => output,
        Err(e) => {
            eprintln!("bench: pusher-js delivery: unreadable output ({e})");
            return Ok(None);
        }
    };
    Ok(Some(PusherJs {
        delivered: summary(&output.delivered_ms),
        answered: summary(&output.answered_ms),
    }))
}
