//! Where the CPU goes during a measured window, per process group, from
//! /proc/<pid>/stat (utime + stime, USER_HZ = 100 on Linux x86-64). On two
//! shared cores, CPU per operation is what bounds throughput.

use crate::load::Window;
use serde::Serialize;
use std::time::Duration;

const TICK_MS: f64 = 10.0;

/// The processes to account for.
#[derive(Debug, Clone)]
pub struct Procs {
    /// The function under load, if any.
    pub function: Option<u32>,
    /// Our Sockudo (scripts/bench passes its pid file).
    pub sockudo: Option<u32>,
    /// Postgres backends serving this database (their title names it).
    pub database: String,
}

impl Procs {
    pub fn new(database_url: &str, function: Option<u32>) -> Self {
        let sockudo = std::env::var("BENCH_SOCKUDO_PIDFILE")
            .ok()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|p| p.trim().parse().ok());
        let database = database_url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        Self {
            function,
            sockudo,
            database,
        }
    }
}

/// CPU time per completed operation, ms, by process group.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CpuPerOp {
    pub function_ms: f64,
    pub postgres_ms: f64,
    pub sockudo_ms: f64,
    pub load_generator_ms: f64,
    /// Cores kept busy by these processes during the window.
    pub busy_cores: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Ticks {
    function: u64,
    postgres: u64,
    sockudo: u64,
    load_generator: u64,
}

/// utime + stime of one process, in ticks.
fn ticks(pid: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
    let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
        return 0;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

fn postgres_ticks(database: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let needle = format!(" {database} ");
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.starts_with("postgres: ") && c.contains(&needle))
        })
        .map(|pid| ticks(&pid))
        .sum()
}

fn snapshot(p: &Procs) -> Ticks {
    Ticks {
        function: p.function.map_or(0, |pid| ticks(&pid.to_string())),
        postgres: postgres_ticks(&p.database),
        sockudo: p.sockudo.map_or(0, |pid| ticks(&pid.to_string())),
        load_generator: ticks("self"),
    }
}

/// Snapshots at the start and the end of `window`'s measured part (run it
/// alongside the load); divide by the operations counted with [`per_op`].
pub fn during(p: Procs, window: Window) -> tokio::task::JoinHandle<(u64, u64, u64, u64)> {
    tokio::spawn(async move {
        tokio::time::sleep(window.warmup).await;
        let a = snapshot(&p);
        tokio::time::sleep(window.measure).await;
        let b = snapshot(&p);
        (
            b.function.saturating_sub(a.function),
            b.postgres.saturating_sub(a.postgres),
            b.sockudo.saturating_sub(a.sockudo),
            b.load_generator.saturating_sub(a.load_generator),
        )
    })
}

pub fn per_op(diff: (u64, u64, u64, u64), ops: usize, measure: Duration) -> CpuPerOp {
    let n = ops.max(1) as f64;
    let (f, pg, s, g) = diff;
    CpuPerOp {
        function_ms: f as f64 * TICK_MS / n,
        postgres_ms: pg as f64 * TICK_MS / n,
        sockudo_ms: s as f64 * TICK_MS / n,
        load_generator_ms: g as f64 * TICK_MS / n,
        busy_cores: (f + pg + s + g) as f64 * TICK_MS / 1e3 / measure.as_secs_f64(),
    }
}
