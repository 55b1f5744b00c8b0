//! The Markdown table of a run: one row per measure, with its floor, its
//! ratio to the floor, the target and how far the result is from it.

use crate::cpu::CpuPerOp;
use crate::report::Report;
use crate::stats::Summary;
use crate::targets::Verdict;

pub fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

fn lat(s: &Summary) -> String {
    format!(
        "p50 {} · p90 {} · p99 {} ms",
        ms(s.p50),
        ms(s.p90),
        ms(s.p99)
    )
}

fn short(s: &Summary) -> String {
    format!("{} / {}", ms(s.p50), ms(s.p99))
}

fn ratio(s: &Summary, floor: &Summary) -> String {
    format!("×{:.2} · ×{:.2}", s.p50 / floor.p50, s.p99 / floor.p99)
}

fn errors(s: &Summary) -> String {
    if s.errors == 0 {
        String::new()
    } else {
        format!(" · **{} errors**", s.errors)
    }
}

fn cpu(c: &CpuPerOp) -> String {
    format!(
        "function {} · Postgres {} · Sockudo {} · load generator {} ms ({:.2} cores busy)",
        ms(c.function_ms),
        ms(c.postgres_ms),
        ms(c.sockudo_ms),
        ms(c.load_generator_ms),
        c.busy_cores
    )
}

fn row(cells: [&str; 6]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

impl Report {
    fn verdict(&self, key: &str) -> String {
        self.verdicts
            .iter()
            .find(|v| v.key == key)
            .map_or_else(String::new, Verdict::cell)
    }

    pub fn table(&self) -> String {
        let mut t = String::new();
        t += "| measure | result | floor (same run) | × floor (p50 · p99) | target | verdict |\n";
        t += "|---|---|---|---|---|---|\n";
        for r in &self.send {
            let c = r.concurrency;
            let result = format!(
                "{} · {:.0}/s{}",
                lat(&r.send),
                r.send.per_s,
                errors(&r.send)
            );
            let floor = format!("{} · {:.0}/s", lat(&r.floor), r.floor.per_s);
            let target = "p99 ≤ 1.5× floor";
            t += &row([
                &format!("send, c={c}"),
                &result,
                &floor,
                &ratio(&r.send, &r.floor),
                target,
                &self.verdict(&format!("send_c{c}")),
            ]);
            let p = &r.parts;
            let parts = format!(
                "INSERT tx {} · trigger {} · SELECT 1 {} · HTTP 405 {} ms (p50 / p99)",
                short(&p.insert_tx),
                short(&p.trigger),
                short(&p.select_1),
                short(&p.http_405)
            );
            t += &row([&format!("floor parts, c={c}"), &parts, "", "", "", ""]);
            t += &row([
                &format!("CPU per send, c={c}"),
                &cpu(&r.cpu_send),
                &cpu(&r.cpu_floor),
                "",
                "",
                "",
            ]);
        }
        let d = &self.delivery;
        if let Some(c1) = self.send.first() {
            let result = format!(
                "{} (n={}); send answered p50 {} ms",
                lat(&d.delivered),
                d.delivered.n,
                ms(d.send_answered.p50)
            );
            let floor = format!("send floor c={}: {}", c1.concurrency, short(&c1.floor));
            t += &row([
                "delivery to a WebSocket subscriber",
                &result,
                &floor,
                &ratio(&d.delivered, &c1.floor),
                "p50 < 5 ms · p99 < 15 ms",
                &self.verdict("delivery"),
            ]);
        }
        match &self.pusher_js {
            Some(js) => {
                t += &js.line();
                t += "\n";
            }
            None => {
                t += "| delivery to pusher-js in Node | skipped (no node or pusher-js: npm ci) | | | p50 < 2.5 ms · p99 < 6 ms | |\n"
            }
        }
        for r in &self.reads {
            let name = if r.name.starts_with("history") {
                format!("{} ({} msgs)", r.name, self.history_rows)
            } else {
                r.name.clone()
            };
            let key = r.name.replace(' ', "_");
            let target = if r.name.starts_with("history") {
                "p99 < 5 ms"
            } else {
                ""
            };
            t += &row([
                &name,
                &format!("{}{}", lat(&r.route), errors(&r.route)),
                &lat(&r.floor),
                &ratio(&r.route, &r.floor),
                target,
                &self.verdict(&key),
            ]);
        }
        let floor = format!("new PG connection {} ms", ms(self.fresh_connection_ms));
        for c in &self.cold_start {
            let size = self
                .binaries
                .iter()
                .find(|b| b.name == c.name)
                .map_or(0, |b| b.bytes);
            let result = format!(
                "→ 200 {} ms · → DB 2xx {} ms · binary {}",
                ms(c.ping_ms),
                ms(c.db_ms),
                mb(size as f64)
            );
            t += &row([
                &format!("cold start `{}`", c.name),
                &result,
                &floor,
                "",
                "< 15 ms · < 40 ms · < 8 MB",
                &self.verdict(&format!("cold_{}", c.name)),
            ]);
        }
        let m = &self.memory;
        let c64 = self.send.last().map_or(0, |r| r.rss_max_kb);
        let result = format!(
            "peak {} (VmHWM); {} max sampled during the c={} run; history {}, auth {}",
            mb(m.send_peak_kb as f64 * 1024.0),
            mb(c64 as f64 * 1024.0),
            self.send.last().map_or(0, |r| r.concurrency),
            mb(m.history_peak_kb as f64 * 1024.0),
            mb(m.auth_peak_kb as f64 * 1024.0)
        );
        t += &row([
            "RSS of `messages_send` under load",
            &result,
            "",
            "",
            "< 20 MB",
            &self.verdict("rss"),
        ]);
        t
    }
}
