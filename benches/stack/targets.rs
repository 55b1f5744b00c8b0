//! The targets, and how far each result is from its target. They
//! are recorded, not asserted: a miss is a finding, not a failed run.

use crate::report::Report;
use crate::table::ms;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub what: String,
    pub value: f64,
    /// Met when `value < limit` (or `<=` for ratios).
    pub limit: f64,
    pub unit: String,
    pub met: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub key: String,
    pub met: bool,
    pub checks: Vec<Check>,
}

fn check(what: &str, value: f64, limit: f64, unit: &str) -> Check {
    let met = if unit == "×" {
        value <= limit
    } else {
        value < limit
    };
    Check {
        what: what.into(),
        value,
        limit,
        unit: unit.into(),
        met,
    }
}

fn verdict(key: String, checks: Vec<Check>) -> Verdict {
    Verdict {
        key,
        met: checks.iter().all(|c| c.met),
        checks,
    }
}

impl Check {
    fn distance(&self) -> String {
        match self.unit.as_str() {
            "×" => format!("×{:.2} vs ×{:.2}", self.value, self.limit),
            "ms" => format!(
                "{} ms vs {} ms (+{} ms)",
                ms(self.value),
                ms(self.limit),
                ms(self.value - self.limit)
            ),
            _ => format!("{:.1} vs {:.1} {}", self.value, self.limit, self.unit),
        }
    }
}

impl Verdict {
    /// "met (…)" or "**missed**: what by how much", for the table.
    pub fn cell(&self) -> String {
        if self.met {
            let margins: Vec<String> = self
                .checks
                .iter()
                .filter(|c| c.unit == "×")
                .map(|c| format!("×{:.2}", c.value))
                .collect();
            if margins.is_empty() {
                "met".into()
            } else {
                format!("met ({})", margins.join(", "))
            }
        } else {
            let missed: Vec<String> = self
                .checks
                .iter()
                .filter(|c| !c.met)
                .map(|c| format!("{} {}", c.what, c.distance()))
                .collect();
            format!("**missed**: {}", missed.join("; "))
        }
    }
}

pub fn judge(r: &Report) -> Vec<Verdict> {
    let mut out = Vec::new();
    for s in &r.send {
        let ratio = s.send.p99 / s.floor.p99;
        out.push(verdict(
            format!("send_c{}", s.concurrency),
            vec![check("p99", ratio, 1.5, "×")],
        ));
    }
    let d = &r.delivery.delivered;
    out.push(verdict(
        "delivery".into(),
        vec![
            check("p50", d.p50, 5.0, "ms"),
            check("p99", d.p99, 15.0, "ms"),
        ],
    ));
    if let Some(js) = &r.pusher_js {
        let d = &js.delivered;
        out.push(verdict(
            "delivery_pusher_js".into(),
            vec![
                check("p50", d.p50, crate::pusher_js::TARGET_P50_MS, "ms"),
                check("p99", d.p99, crate::pusher_js::TARGET_P99_MS, "ms"),
            ],
        ));
    }
    for read in r.reads.iter().filter(|x| x.name.starts_with("history")) {
        out.push(verdict(
            read.name.replace(' ', "_"),
            vec![check("p99", read.route.p99, 5.0, "ms")],
        ));
    }
    for c in &r.cold_start {
        let size = r
            .binaries
            .iter()
            .find(|b| b.name == c.name)
            .map_or(0.0, |b| b.bytes as f64 / 1e6);
        out.push(verdict(
            format!("cold_{}", c.name),
            vec![
                check("→ 200", c.ping_ms, 15.0, "ms"),
                check("→ DB", c.db_ms, 40.0, "ms"),
                check("size", size, 8.0, "MB"),
            ],
        ));
    }
    out.push(verdict(
        "rss".into(),
        vec![check(
            "peak",
            r.memory.send_peak_kb as f64 * 1024.0 / 1e6,
            20.0,
            "MB",
        )],
    ));
    out
}
