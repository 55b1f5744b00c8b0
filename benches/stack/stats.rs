//! Latency samples -> percentiles (nearest rank over the sorted samples).

use serde::Serialize;
use std::time::Duration;

/// One measured operation: latencies in milliseconds, throughput per second.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub n: usize,
    pub errors: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
    /// Completed operations per second of the measured window (0 when not timed).
    pub per_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

/// Nearest-rank percentile of sorted samples.
fn rank(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

impl Summary {
    /// From per-operation latencies in nanoseconds; `window` is the measured
    /// time for throughput (`None` for counted runs such as delivery).
    pub fn from_ns(mut ns: Vec<u64>, window: Option<Duration>) -> Self {
        ns.sort_unstable();
        let n = ns.len();
        let mean = if n == 0 {
            0.0
        } else {
            ms(ns.iter().sum::<u64>()) / n as f64
        };
        Self {
            n,
            errors: 0,
            p50: ms(rank(&ns, 0.50)),
            p90: ms(rank(&ns, 0.90)),
            p99: ms(rank(&ns, 0.99)),
            max: ms(ns.last().copied().unwrap_or(0)),
            mean,
            per_s: window.map_or(0.0, |w| n as f64 / w.as_secs_f64()),
            first_error: None,
        }
    }

    pub fn from_durations(samples: &[Duration]) -> Self {
        let ns = samples
            .iter()
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .collect();
        Self::from_ns(ns, None)
    }
}

/// The middle value (the upper one of the two for an even count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// Checked when `cargo test --all-targets` runs this bench without `--bench`.
pub fn self_check() -> anyhow::Result<()> {
    let ns: Vec<u64> = (1..=100).map(|i| i * 1_000_000).collect();
    let s = Summary::from_ns(ns, Some(Duration::from_secs(2)));
    anyhow::ensure!(
        (s.p50, s.p90, s.p99, s.max, s.per_s) == (50.0, 90.0, 99.0, 100.0, 50.0),
        "nearest-rank percentiles are wrong: {s:?}"
    );
    let m = median(&[3, 1, 2].map(Duration::from_millis));
    anyhow::ensure!(m == Duration::from_millis(2), "median is wrong: {m:?}");
    Ok(())
}
