// Prints the README's Reliability table from test-artifacts/reliability/*.json.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./stack.mjs";

const dir = path.join(ROOT, "test-artifacts", "reliability");
const read = (name) => (existsSync(path.join(dir, `${name}.json`)) ? JSON.parse(readFileSync(path.join(dir, `${name}.json`), "utf8")) : null);
const rows = [];
const load = read("load");
if (load) rows.push(["load held", `${load.acknowledged} messages from ${load.senders} senders over ${load.conversations} conversations in ${load.seconds} s; send p50 ${load.send_ms.p50} · p99 ${load.send_ms.p99} ms; subscribers: ${load.subscribers.live} live + ${load.subscribers.caught_up} caught up, ${load.subscribers.duplicates_dropped} duplicates dropped`, `lost ${load.lost}, 5xx ${Object.entries(load.statuses).filter(([k]) => k.startsWith("5")).reduce((n, [, v]) => n + v, 0)}, problems ${load.problems.length}`, "scripts/reliability load"]);
const faults = {
  "fault-sockudo-stopped": (r) => `Sockudo stopped ${r.outage_s} s under load: ${r.acknowledged} acknowledged, ${r.queued} answered 201 queued (max ${r.send_ms.max} ms); drained ${r.recovery_s} s after restart`,
  "fault-postgres-restart": (r) => `Postgres killed (immediate) and restarted under load: ${r.statuses["503"] ?? 0} × 503, slowest answer ${r.slowest_request_ms} ms; first send ${r.recovery_s} s after restart, same process`,
  "fault-slow-pusher": (r) => `every trigger delayed 3× PUSHER_TIMEOUT_MS (${r.slow_send_ms?.timeout} ms): send p50 ${r.slow_send_ms?.p50} · p99 ${r.slow_send_ms?.p99} ms; drained ${r.recovery_s} s after`,
  "fault-killed-before-trigger": (r) => `process SIGKILLed with ${r.stored_not_triggered_at_kill} sends committed, not triggered; ${r.replayed_after_kill} retries got their original; cron delivered all ${r.recovery_s} s after restart`,
};
for (const [name, describe] of Object.entries(faults)) {
  const r = read(name);
  if (r) rows.push([name.replace("fault-", "fault: "), describe(r), `lost ${r.lost}, 500s ${r.server_errors_500}, problems ${r.problems.length}`, "scripts/reliability faults"]);
}
const sec = read("security");
if (sec) rows.push(["security", `${sec.cases} cases: ${Object.entries(sec.by_group).map(([g, n]) => `${g} ${n}`).join(", ")}`, `bypasses ${sec.bypasses}`, "scripts/reliability security"]);
const fuzz = existsSync(path.join(ROOT, "test-artifacts", "fuzz", "summary.json")) ? JSON.parse(readFileSync(path.join(ROOT, "test-artifacts", "fuzz", "summary.json"), "utf8")) : null;
if (fuzz) rows.push(["contract fuzzing", `${fuzz.cases} generated cases (${fuzz.seconds} s, all checks, stateful phase)`, `failures ${fuzz.failures}`, "scripts/fuzz"]);
console.log("| row | what was done | result | reproduce |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
