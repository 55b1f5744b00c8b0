//! The machine a run happened on, so figures can be read in context.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub postgres: String,
    pub sockudo: String,
    pub rustc: String,
    pub commit: String,
    /// 1-minute load average before and after the run.
    pub load_before: f64,
    pub load_after: f64,
    pub started_at: String,
    pub note: String,
}

impl Machine {
    /// The machine and the load, as both reports open: "Machine: …; commit ….\nLoad average (1 min): … before, … after."
    pub fn header(&self) -> String {
        format!(
            "Machine: {} × {} cores, {} GiB, Linux {}; Postgres {}, {}; {}; commit {}.\n\
             Load average (1 min): {:.2} before, {:.2} after.",
            self.cpu,
            self.cores,
            self.memory_gib,
            self.kernel,
            self.postgres,
            self.sockudo,
            self.rustc,
            self.commit,
            self.load_before,
            self.load_after,
        )
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

pub fn load_1min() -> f64 {
    read("/proc/loadavg")
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

pub async fn describe(db: &tokio_postgres::Client) -> Machine {
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".into());
    let mem_kb: f64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0.0);
    let postgres = match db.query_one("SHOW server_version", &[]).await {
        Ok(row) => row.try_get::<_, String>(0).unwrap_or_default(),
        Err(_) => "unknown".into(),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started_at = messaging::domain::Timestamp::now().to_rfc3339_millis();
    Machine {
        cpu,
        cores,
        memory_gib: (mem_kb / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        postgres,
        sockudo: env_or("BENCH_SOCKUDO", "sockudo"),
        rustc: env_or("BENCH_RUSTC", "unknown"),
        commit: env_or("BENCH_COMMIT", "unknown"),
        load_before: load_1min(),
        load_after: 0.0,
        started_at,
        note: format!(
            "{cores} cores shared by the load generator, the function processes, Postgres and Sockudo, all on loopback"
        ),
    }
}
