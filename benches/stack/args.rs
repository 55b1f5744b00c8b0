//! Command-line options and the durations of a full or a `--quick` run.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::time::Duration;

/// How long each phase runs. The full plan follows the figures;
/// `--quick` only checks that every phase works.
#[derive(Debug, Clone)]
pub struct Plan {
    pub quick: bool,
    pub concurrencies: Vec<usize>,
    pub warmup: Duration,
    /// Each send run and its composite floor.
    pub send: Duration,
    /// Each floor component (INSERT transaction, trigger, round trips).
    pub floor_part: Duration,
    /// Each history page kind and channel auth.
    pub read: Duration,
    pub delivery_messages: usize,
    pub delivery_warmup: usize,
    pub cold_runs: usize,
    pub history_rows: i64,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub plan: Plan,
    pub out: PathBuf,
    pub bin_dir: PathBuf,
    /// `--latency`: the latency-injection run instead of the loopback one.
    pub latency: bool,
}

impl Plan {
    fn full() -> Self {
        Self {
            quick: false,
            concurrencies: vec![1, 16, 64],
            warmup: Duration::from_secs(3),
            send: Duration::from_secs(20),
            floor_part: Duration::from_secs(5),
            read: Duration::from_secs(10),
            delivery_messages: 2000,
            delivery_warmup: 100,
            cold_runs: 20,
            history_rows: 1_000_000,
        }
    }

    fn quick() -> Self {
        Self {
            quick: true,
            concurrencies: vec![1, 16, 64],
            warmup: Duration::from_millis(500),
            send: Duration::from_secs(2),
            floor_part: Duration::from_secs(1),
            read: Duration::from_secs(1),
            delivery_messages: 200,
            delivery_warmup: 20,
            cold_runs: 3,
            history_rows: 100_000,
        }
    }
}

fn usage() -> &'static str {
    "usage: cargo bench --bench stack -- [--quick] [--latency] [--out FILE] [--bin-dir DIR] [--history-rows N]"
}

impl Options {
    /// `cargo bench` appends `--bench`; it is accepted and ignored.
    pub fn parse(args: impl IntoIterator<Item = String>) -> anyhow::Result<Self> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut quick = false;
        let mut out = None;
        let mut latency = false;
        let mut bin_dir = root.join("target/release");
        let mut history_rows = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => {}
                "--quick" => quick = true,
                "--latency" => latency = true,
                "--out" => out = Some(PathBuf::from(args.next().context(usage())?)),
                "--bin-dir" => bin_dir = PathBuf::from(args.next().context(usage())?),
                "--history-rows" => {
                    let raw = args.next().context(usage())?;
                    history_rows = Some(raw.parse::<i64>().context(usage())?);
                }
                other => bail!("unknown argument {other:?}\n{}", usage()),
            }
        }
        let mut plan = if quick { Plan::quick() } else { Plan::full() };
        if let Some(rows) = history_rows {
            if rows < 200 {
                bail!("--history-rows must be at least 200");
            }
            plan.history_rows = rows;
        }
        let default_out = if latency {
            "latency.json"
        } else {
            "latest.json"
        };
        let out = out.unwrap_or_else(|| root.join("bench/results").join(default_out));
        Ok(Self {
            plan,
            out,
            bin_dir,
            latency,
        })
    }
}
