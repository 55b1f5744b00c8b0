// Faults, each under load (RELIABILITY_FAULT_SECONDS of sending around the fault): Sockudo
// stopped, Postgres restarted, a slow Pusher, the function killed between commit and trigger.
// Nothing acknowledged is lost, nothing is stored twice, subscribers end with everything.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, sleep, PUSHER_TIMEOUT_MS } from "./stack.mjs";
import { underLoad, record, FAULT_SECONDS } from "./load.mjs";

const OUTAGE_SECONDS = Number(process.env.RELIABILITY_OUTAGE_SECONDS ?? 30);
const PG_OUTAGE_SECONDS = Number(process.env.RELIABILITY_PG_OUTAGE_SECONDS ?? 10);

let stack;
before(async () => (stack = await startStack()));
after(async () => stack?.stop());

/** Resolves with the ms from `since` until a send is acknowledged after it. */
async function firstAckAfter(acked, since, ms = 120_000) {
  const deadline = Date.now() + ms;
  const n = acked.length;
  while (Date.now() < deadline) {
    if (acked.length > n) return Date.now() - since;
    await sleep(20);
  }
  return null;
}

function assertClean(result, tally) {
  assert.deepEqual(result.problems, []);
  assert.equal(result.lost, 0);
  assert.equal(result.server_errors_500, 0, `500s: ${JSON.stringify(tally.fiveHundreds.slice(0, 5))}`);
}

const p99of = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] : 0;
};

test(`(a) Sockudo stopped for ${OUTAGE_SECONDS} s: sends answer 201 queued in time, the cron drains in seq order`, async () => {
  let beforeOutage = 0;
  let stoppedAt = 0;
  const { result, acked, tally, subscribers } = await underLoad(stack, {
    name: "fault-sockudo-stopped",
    seconds: Math.max(FAULT_SECONDS, OUTAGE_SECONDS + 10),
    fault: async ({ mark, acked }) => {
      await sleep(3000);
      beforeOutage = acked.length;
      stoppedAt = Date.now();
      await stack.sockudo.stopAsync();
      mark("sockudo_stopped");
      await sleep(OUTAGE_SECONDS * 1000);
      await stack.sockudo.startAsync();
      mark("sockudo_started");
      return { outage_s: OUTAGE_SECONDS };
    },
  });
  assertClean(result, tally);
  assert.equal(tally.count("5"), 0, "a send failed while Pusher was down");
  const queued = acked.filter((a) => a.delivery === "queued");
  assert.ok(queued.length > 0, "no send was queued: the outage missed the load");
  // Pusher being down adds at most its timeout to a send; the rest is this machine's queueing,
  // measured on the sends before the outage.
  const baseline = p99of(acked.slice(0, beforeOutage).map((a) => a.ms));
  const during = p99of(queued.map((a) => a.ms));
  // Redelivered events reach each subscriber in seq order.
  for (const s of subscribers) {
    const queuedSeqs = new Set(queued.filter((a) => a.conversation === s.conversation).map((a) => a.seq));
    const arrived = s.live.filter((seq) => queuedSeqs.has(seq));
    const firsts = arrived.filter((seq, i) => arrived.indexOf(seq) === i);
    assert.deepEqual(firsts, [...firsts].sort((a, b) => a - b), `conversation ${s.conversation}: redelivered out of order`);
  }
  result.queued = queued.length;
  const bySecond = {};
  for (const a of queued) {
    const sec = Math.floor((a.at - stoppedAt) / 1000);
    bySecond[sec] = Math.max(bySecond[sec] ?? 0, Math.round(a.ms));
  }
  result.queued_max_ms_by_second = bySecond;
  result.queued_send_ms = { p99: Math.round(during), p99_before_outage: Math.round(baseline), timeout: PUSHER_TIMEOUT_MS };
  result.recovery_s = Math.round((result.marks.drained - result.marks.sockudo_started) / 100) / 10;
  record(result);
  assert.ok(during <= baseline + PUSHER_TIMEOUT_MS, `queued sends p99 ${during} ms vs ${baseline} ms before the outage (PUSHER_TIMEOUT_MS ${PUSHER_TIMEOUT_MS})`);
});

test(`(b) Postgres restarted (${PG_OUTAGE_SECONDS} s down): 503 unavailable meanwhile, never a 500 or a hang; the same process recovers`, async () => {
  const pid = stack.server.child.pid;
  let recoveryMs = null;
  const { result, tally } = await underLoad(stack, {
    name: "fault-postgres-restart",
    seconds: Math.max(FAULT_SECONDS, PG_OUTAGE_SECONDS + 15),
    fault: async ({ acked, mark }) => {
      await sleep(3000);
      await stack.pg.stopAsync("immediate");
      mark("postgres_stopped");
      await sleep(PG_OUTAGE_SECONDS * 1000);
      await stack.pg.startAsync();
      mark("postgres_started");
      recoveryMs = await firstAckAfter(acked, Date.now());
    },
  });
  assertClean(result, tally);
  assert.equal(stack.server.child.pid, pid, "the server was restarted");
  assert.equal(stack.server.child.exitCode, null, "the server died");
  assert.ok(tally.count("503") > 0, "no request saw the outage");
  const other5xx = Object.entries(result.statuses).filter(([k]) => k.startsWith("5") && k !== "503");
  assert.deepEqual(other5xx, []);
  // The pool's connect timeout (5 s) plus its wait timeout (5 s) bound every answer.
  assert.ok(result.slowest_request_ms < 15_000, `a request hung for ${result.slowest_request_ms} ms`);
  assert.ok(recoveryMs !== null, "no send succeeded after Postgres came back");
  result.recovery_s = Math.round(recoveryMs / 100) / 10;
  record(result);
});

test("(c) a slow Pusher (every trigger delayed 3x the timeout): send p99 stays bounded by PUSHER_TIMEOUT_MS", async () => {
  const slowFrom = { n: 0 };
  const { result, acked, tally } = await underLoad(stack, {
    name: "fault-slow-pusher",
    seconds: FAULT_SECONDS,
    fault: async ({ acked, mark }) => {
      await sleep(3000);
      stack.proxy.delayMs = PUSHER_TIMEOUT_MS * 3;
      stack.proxy.mode = "delay";
      slowFrom.n = acked.length;
      mark("slow_from");
      await sleep(Math.max(5, FAULT_SECONDS - 8) * 1000);
      stack.proxy.mode = "pass";
      slowFrom.until = acked.length;
      mark("slow_until");
    },
  });
  assertClean(result, tally);
  const slow = acked.slice(slowFrom.n, slowFrom.until).map((a) => a.ms).sort((a, b) => a - b);
  assert.ok(slow.length > 10, "too few sends during the slow window");
  const p99 = slow[Math.floor(slow.length * 0.99)];
  const baseline = p99of(acked.slice(0, slowFrom.n).map((a) => a.ms));
  assert.ok(p99 <= baseline + PUSHER_TIMEOUT_MS, `send p99 ${p99} ms in the slow window vs ${baseline} ms before it (PUSHER_TIMEOUT_MS ${PUSHER_TIMEOUT_MS})`);
  assert.ok(acked.slice(slowFrom.n, slowFrom.until).some((a) => a.delivery === "queued"), "no trigger timed out");
  result.slow_send_ms = { p50: Math.round(slow[Math.floor(slow.length / 2)]), p99: Math.round(p99), p99_before: Math.round(baseline), timeout: PUSHER_TIMEOUT_MS };
  result.recovery_s = Math.round((result.marks.drained - result.marks.slow_until) / 100) / 10;
  record(result);
});

test("(d) the function killed between commit and trigger: the cron still delivers what it stored", async () => {
  let replays = 0;
  const { result, acked, tally } = await underLoad(stack, {
    name: "fault-killed-before-trigger",
    seconds: FAULT_SECONDS,
    fault: async ({ mark }) => {
      await sleep(3000);
      // Triggers now hang: every send in flight has committed and waits on Pusher.
      stack.proxy.mode = "hold";
      await sleep(Math.min(500, PUSHER_TIMEOUT_MS / 2));
      const stuck = Number(stack.pg.query("SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND attempts = 0"));
      await stack.server.kill();
      mark("killed");
      stack.proxy.mode = "pass";
      await stack.server.start();
      mark("restarted");
      return { stored_not_triggered_at_kill: stuck };
    },
  });
  assertClean(result, tally);
  replays = acked.filter((a) => a.status === 200).length;
  assert.ok(result.stored_not_triggered_at_kill > 0, "the kill hit no send between commit and trigger");
  assert.ok(replays > 0, "no send was cut after its commit (the retry would have been a replay)");
  result.replayed_after_kill = replays;
  result.recovery_s = Math.round((result.marks.drained - result.marks.restarted) / 100) / 10;
  record(result);
});
