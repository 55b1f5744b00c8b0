//! Delivery to a pusher-js subscriber in Node (benches/stack/pusher_js.mjs):
//! from the start of each send (ours, as in delivery.rs) until pusher-js hands
//! the event to its handler, which writes one line on a pipe to us. One send
//! at a time on loopback. Skipped, saying why, without Node or pusher-js.

use crate::args::Plan;
use crate::http::{Conn, JSON, Req};
use crate::seed::Pair;
use crate::stack::{Function, Stack};
use crate::stats::Summary;
use crate::table::ms;
use anyhow::{Context, anyhow, bail};
use serde::Serialize;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

#[derive(Debug, Serialize)]
pub struct PusherJs {
    /// Send start -> pusher-js's `new-message` handler ran.
    pub delivered: Summary,
    /// Send start -> the send's response, in the same runs.
    pub answered: Summary,
}

/// The issue's targets: p50 < 2.5 ms, p99 < 6 ms.
pub const TARGET_P50_MS: f64 = 2.5;
pub const TARGET_P99_MS: f64 = 6.0;

impl PusherJs {
    /// One Markdown table row in the format of the main table.
    pub fn line(&self) -> String {
        let d = &self.delivered;
        let mut missed = Vec::new();
        if d.p50 >= TARGET_P50_MS {
            missed.push(format!("p50 +{} ms", ms(d.p50 - TARGET_P50_MS)));
        }
        if d.p99 >= TARGET_P99_MS {
            missed.push(format!("p99 +{} ms", ms(d.p99 - TARGET_P99_MS)));
        }
        let verdict = if missed.is_empty() {
            "met".to_owned()
        } else {
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

/// The subscriber process, killed on drop; its lines arrive stamped on `lines`.
struct Subscriber {
    child: Child,
    lines: UnboundedReceiver<(Instant, String)>,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Subscriber {
    /// Node's error output, once it has exited.
    fn stderr(&mut self) -> String {
        let _ = self.child.wait();
        let mut text = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut text);
        }
        text.trim().to_owned()
    }

    /// The next line, stamped when it was read.
    async fn next(&mut self, wait: Duration) -> anyhow::Result<(Instant, String)> {
        match tokio::time::timeout(wait, self.lines.recv()).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => bail!("the pusher-js subscriber exited: {}", self.stderr()),
            Err(_) => bail!("nothing from the pusher-js subscriber within {wait:?}"),
        }
    }
}

fn spawn(stack: &Stack, auth_fn: &Function, pair: &Pair) -> anyhow::Result<Subscriber> {
    let root = env!("CARGO_MANIFEST_DIR");
    let p = &stack.config.pusher;
    let r = &pair.receiver;
    let mut child = Command::new("node")
        .arg(format!("{root}/benches/stack/pusher_js.mjs"))
        .env("BENCH_ROOT", root)
        .env(
            "BENCH_AUTH_URL",
            format!("http://{}/api/pusher/auth", auth_fn.addr),
        )
        .env("BENCH_CONVERSATION", pair.conversation.to_string())
        .env("BENCH_KEY", p.key())
        .env("BENCH_WS_HOST", p.host())
        .env("BENCH_WS_PORT", p.port().unwrap_or(80).to_string())
        .env(
            "BENCH_RECEIVER_TOKEN",
            stack.token(&r.id, &r.name, &r.role)?,
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("node")?;
    let stdout = child.stdout.take().context("node's stdout")?;
    let (tx, lines) = unbounded_channel();
    // A thread of its own blocks on the pipe, so each line is stamped as it comes.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    Ok(Subscriber { child, lines })
}

/// `None` (and a line on stderr saying why) when Node or pusher-js is
/// missing or the measurement failed: the rest of the run still counts.
pub async fn run(
    stack: &Stack,
    plan: &Plan,
    send_fn: &Function,
    auth_fn: &Function,
    pair: &Pair,
) -> anyhow::Result<Option<PusherJs>> {
    eprintln!("bench: delivery to pusher-js in Node");
    let mut sub = match spawn(stack, auth_fn, pair) {
        Ok(sub) => sub,
        Err(e) => {
            eprintln!("bench: pusher-js delivery skipped: {e:#}");
            return Ok(None);
        }
    };
    match measure(stack, plan, send_fn, pair, &mut sub).await {
        Ok(js) => Ok(Some(js)),
        Err(e) => {
            eprintln!("bench: pusher-js delivery skipped: {e:#}");
            Ok(None)
        }
    }
}

async fn measure(
    stack: &Stack,
    plan: &Plan,
    send_fn: &Function,
    pair: &Pair,
    sub: &mut Subscriber,
) -> anyhow::Result<PusherJs> {
    let (_, first) = sub.next(Duration::from_secs(15)).await?;
    if first != "ready" {
        return Err(anyhow!("pusher-js subscriber said {first:?}"));
    }
    let s = &pair.sender;
    let req = Req::post("/api/messages/send", JSON, String::new())
        .bearer(&stack.token(&s.id, &s.name, &s.role)?)?;
    let mut conn = Conn::open(send_fn.addr).await?;
    let (mut delivered, mut answered) = (Vec::new(), Vec::new());
    for i in 0..plan.delivery_warmup + plan.delivery_messages {
        let key = format!("js{}-{i}", std::process::id());
        let body = format!(
            r#"{{"conversation_id":{},"body":"pusher-js {i}","client_message_id":"{key}"}}"#,
            pair.conversation
        );
        let send = req.with_body(body);
        let t0 = Instant::now();
        let (answer, arrived) = tokio::join!(
            async {
                let a = conn.send(&send).await;
                (a, Instant::now())
            },
            async {
                loop {
                    let (at, line) = sub.next(Duration::from_secs(5)).await?;
                    if line == key {
                        return anyhow::Ok(at);
                    }
                }
            }
        );
        let (answer, answered_at) = answer;
        answer?.expect(201, "send")?;
        let arrived = arrived.with_context(|| format!("message {i} never reached pusher-js"))?;
        if i >= plan.delivery_warmup {
            delivered.push(arrived - t0);
            answered.push(answered_at - t0);
        }
    }
    Ok(PusherJs {
        delivered: Summary::from_durations(&delivered),
        answered: Summary::from_durations(&answered),
    })
}
