//! Memory of a function process (from /proc/<pid>/status) and binary sizes.

use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// A `VmXXX:   1234 kB` line of /proc/<pid>/status, in kB.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

/// Peak resident set size over the process's life (VmHWM), kB.
pub fn peak_rss_kb(pid: u32) -> u64 {
    status_kb(pid, "VmHWM").unwrap_or(0)
}

/// Samples VmRSS every 20 ms until stopped; reports the highest seen.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    max: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let max = Arc::new(AtomicU64::new(0));
        let (s, m) = (stop.clone(), max.clone());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                if let Some(kb) = status_kb(pid, "VmRSS") {
                    m.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self { stop, max, task }
    }

    pub async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.max.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Serialize)]
pub struct BinarySize {
    pub name: String,
    pub bytes: u64,
}

/// The size on disk of each release binary (stripped: the release profile strips).
pub fn binary_sizes(dir: &Path, names: &[&str]) -> anyhow::Result<Vec<BinarySize>> {
    names
        .iter()
        .map(|name| {
            let meta = std::fs::metadata(dir.join(name))
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(name).display()))?;
            Ok(BinarySize {
                name: (*name).to_owned(),
                bytes: meta.len(),
            })
        })
        .collect()
}
