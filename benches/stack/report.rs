//! The run's results: one Markdown table (printed, and pasted into the
//! README) and the full figures as JSON.

use crate::cold_start::ColdStart;
use crate::delivery::DeliveryRun;
use crate::history::ReadRun;
use crate::machine::Machine;
use crate::memory::BinarySize;
use crate::pusher_js::PusherJs;
use crate::send::SendRun;
use crate::targets::{self, Verdict};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Memory {
    /// VmHWM of messages_send after the concurrency-64 run (its lifetime peak), kB.
    pub send_peak_kb: u64,
    pub history_peak_kb: u64,
    pub auth_peak_kb: u64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub quick: bool,
    pub command: String,
    pub pool_size: usize,
    /// Experiment variables given to the functions (empty in a normal run).
    pub extra_env: String,
    pub history_rows: i64,
    pub history_seed_s: f64,
    pub send: Vec<SendRun>,
    pub delivery: DeliveryRun,
    /// Delivery to pusher-js in Node; `None` when Node or pusher-js is missing.
    pub pusher_js: Option<PusherJs>,
    pub reads: Vec<ReadRun>,
    pub cold_start: Vec<ColdStart>,
    /// Median time to open a new Postgres connection and run `SELECT 1`, ms.
    pub fresh_connection_ms: f64,
    pub memory: Memory,
    pub binaries: Vec<BinarySize>,
    pub verdicts: Vec<Verdict>,
}

impl Report {
    /// The Markdown block printed at the end of a run.
    pub fn text(&self) -> String {
        let m = &self.machine;
        format!(
            "{} {}.\n\
             Functions: release builds, one process each on the Vercel runtime (VERCEL_DEV_PORT), \
             DATABASE_POOL_SIZE={}{}; HTTP/1.1 keep-alive, one connection per worker; c = concurrent closed-loop workers.\n\
             MB = 10^6 bytes. Run: {}{}\n\n{}",
            m.header(),
            m.note,
            self.pool_size,
            self.extra_env,
            self.command,
            if self.quick {
                " (QUICK: durations shortened, not comparable)"
            } else {
                ""
            },
            self.table()
        )
    }

    pub fn judge(&mut self) {
        self.verdicts = targets::judge(self);
    }
}
