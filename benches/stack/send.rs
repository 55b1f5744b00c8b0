//! Send latency and throughput at each concurrency, each next to its floor
//! measured at the same concurrency just before it.

use crate::args::Plan;
use crate::cpu::{self, CpuPerOp, Procs};
use crate::floor::{self, HttpRtt, InsertTx, SendFloor, SqlRtt, Trigger};
use crate::http::{Conn, JSON, Req};
use crate::load::{self, Op, Window};
use crate::memory::RssSampler;
use crate::seed::Pair;
use crate::stack::{Function, Stack};
use crate::stats::Summary;
use messaging::pusher::Pusher;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct FloorParts {
    pub select_1: Summary,
    pub http_405: Summary,
    pub insert_tx: Summary,
    pub trigger: Summary,
}

#[derive(Debug, Serialize)]
pub struct SendRun {
    pub concurrency: usize,
    pub send: Summary,
    /// HTTP round trip + INSERT transaction + one trigger, in sequence.
    pub floor: Summary,
    pub parts: FloorParts,
    /// Highest VmRSS of the messages_send process sampled during this run, kB.
    pub rss_max_kb: u64,
    /// CPU per operation by process group, during the send and the floor windows.
    pub cpu_send: CpuPerOp,
    pub cpu_floor: CpuPerOp,
}

/// A sender in its own conversation, on its own keep-alive connection.
struct SendOp {
    conn: Conn,
    req: Req,
    conversation: i64,
    n: u64,
}

impl Op for SendOp {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.n += 1;
        let body = format!(
            r#"{{"conversation_id":{},"body":"bench message {}"}}"#,
            self.conversation, self.n
        );
        let answer = self.conn.send(&self.req.with_body(body)).await?;
        let answer = answer.expect(201, "send")?;
        if !answer.text().contains(r#""delivery":"sent""#) {
            // A queued event (Pusher failed) counts as an error, not as a fast send.
            anyhow::bail!("send was not delivered: {}", answer.text());
        }
        Ok(())
    }
}

async fn send_ops(stack: &Stack, f: &Function, pairs: &[Pair]) -> anyhow::Result<Vec<SendOp>> {
    let mut ops = Vec::with_capacity(pairs.len());
    for p in pairs {
        let token = stack.token(&p.sender.id, &p.sender.name, &p.sender.role)?;
        ops.push(SendOp {
            conn: Conn::open(f.addr).await?,
            req: Req::post("/api/messages/send", JSON, String::new()).bearer(&token)?,
            conversation: p.conversation,
            n: 0,
        });
    }
    Ok(ops)
}

pub async fn run_all(
    stack: &Stack,
    plan: &Plan,
    send_fn: &Function,
    pairs: &[Pair],
) -> anyhow::Result<Vec<SendRun>> {
    let pusher = Pusher::new(stack.config.pusher.clone());
    let pool = floor::pool(&stack.config.database_url, stack.pool_size())?;
    let part = Window {
        warmup: plan.warmup.min(std::time::Duration::from_secs(1)),
        measure: plan.floor_part,
    };
    let full = Window {
        warmup: plan.warmup,
        measure: plan.send,
    };
    let mut runs = Vec::new();
    for &c in &plan.concurrencies {
        let pairs = pairs
            .get(..c)
            .ok_or_else(|| anyhow::anyhow!("only {} conversations seeded", pairs.len()))?;
        eprintln!("bench: floor and send at concurrency {c}");
        let select_1 = load::run((0..c).map(|_| SqlRtt(pool.clone())).collect(), part).await?;
        let mut http = Vec::new();
        for _ in 0..c {
            http.push(HttpRtt::open(send_fn.addr).await?);
        }
        let http_405 = load::run(http, part).await?;
        let tx = |p: &Pair| InsertTx {
            pool: pool.clone(),
            conversation: p.conversation,
            sender: p.sender.id.clone(),
        };
        let insert_tx = load::run(pairs.iter().map(tx).collect(), part).await?;
        let triggers = pairs
            .iter()
            .map(|p| Trigger::new(pusher.clone(), p.conversation))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let trigger = load::run(triggers, part).await?;
        let mut composite = Vec::new();
        for p in pairs {
            composite.push(SendFloor {
                http: HttpRtt::open(send_fn.addr).await?,
                tx: tx(p),
                trigger: Trigger::new(pusher.clone(), p.conversation)?,
            });
        }
        let procs = Procs::new(&stack.config.database_url, Some(send_fn.pid()));
        let cpu_window = cpu::during(procs.clone(), full);
        let floor = load::run(composite, full).await?;
        let cpu_floor = cpu::per_op(cpu_window.await?, floor.n, full.measure);
        let ops = send_ops(stack, send_fn, pairs).await?;
        // A marker for profiling just this window (perf record -p PID).
        eprintln!(
            "bench: send at concurrency {c} starts (messages_send pid {})",
            send_fn.pid()
        );
        let sampler = RssSampler::start(send_fn.pid());
        let cpu_window = cpu::during(procs, full);
        let send = load::run(ops, full).await?;
        let cpu_send = cpu::per_op(cpu_window.await?, send.n, full.measure);
        let rss_max_kb = sampler.stop().await;
        runs.push(SendRun {
            concurrency: c,
            send,
            floor,
            parts: FloorParts {
                select_1,
                http_405,
                insert_tx,
                trigger,
            },
            rss_max_kb,
            cpu_send,
            cpu_floor,
        });
    }
    Ok(runs)
}
