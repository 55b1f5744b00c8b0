//! A closed-loop load runner: `c` workers, each issuing its next operation as
//! soon as the previous one completes, for a warm-up and then a measured window.

use crate::stats::Summary;
use std::future::Future;
use std::time::{Duration, Instant};

/// One worker's operation (it owns its connection and state).
pub trait Op: Send + 'static {
    fn call(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub warmup: Duration,
    pub measure: Duration,
}

struct Worker {
    ns: Vec<u64>,
    errors: usize,
    first_error: Option<String>,
}

/// Runs every op in `ops` concurrently (one worker each). Operations that
/// start in the warm-up or end after the window are not counted.
pub async fn run<O: Op>(ops: Vec<O>, window: Window) -> anyhow::Result<Summary> {
    let start = Instant::now();
    let measure_from = start + window.warmup;
    let end = measure_from + window.measure;
    let handles: Vec<_> = ops
        .into_iter()
        .map(|mut op| {
            tokio::spawn(async move {
                let mut w = Worker {
                    ns: Vec::with_capacity(16_384),
                    errors: 0,
                    first_error: None,
                };
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    let result = op.call().await;
                    let t1 = Instant::now();
                    if t0 < measure_from || t1 > end {
                        continue;
                    }
                    match result {
                        Ok(()) => w.ns.push(u64::try_from((t1 - t0).as_nanos()).unwrap_or(0)),
                        Err(e) => {
                            w.errors += 1;
                            w.first_error.get_or_insert_with(|| format!("{e:#}"));
                        }
                    }
                }
                w
            })
        })
        .collect();
    let (mut ns, mut errors, mut first_error) = (Vec::new(), 0, None);
    for handle in handles {
        let w = handle.await?;
        ns.extend(w.ns);
        errors += w.errors;
        first_error = first_error.or(w.first_error);
    }
    let mut summary = Summary::from_ns(ns, Some(window.measure));
    summary.errors = errors;
    summary.first_error = first_error;
    if summary.n == 0 {
        anyhow::bail!(
            "no operation succeeded; first error: {}",
            summary.first_error.unwrap_or_default()
        );
    }
    Ok(summary)
}
