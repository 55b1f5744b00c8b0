// One run under load: arrange conversations, subscribe, send for `seconds` while `fault` does its
// damage, let the cron drain, audit. Returns the figures each test asserts on and records.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, sleep } from "./stack.mjs";
import { Subscriber, Tally, arrange, audit, cronLoop, runSenders } from "./clients.mjs";

export const LOAD_SECONDS = Number(process.env.RELIABILITY_SECONDS ?? 60);
export const FAULT_SECONDS = Number(process.env.RELIABILITY_FAULT_SECONDS ?? 30);
export const SENDERS = Number(process.env.RELIABILITY_SENDERS ?? 32);
export const CONVERSATIONS = Number(process.env.RELIABILITY_CONVERSATIONS ?? 8);

/**
 * `fault({ stack, acked, tally, mark })` runs while the senders send; `mark(name)` records a
 * timestamp (ms since the start) for the report. Sends go on until `seconds` have passed and
 * the fault has returned.
 */
export async function underLoad(stack, { name, seconds = LOAD_SECONDS, fault, drainTimeoutMs = 90_000 }) {
  const started = Date.now();
  const marks = {};
  const mark = (label) => (marks[label] = Date.now() - started);
  const plan = await arrange(stack.base, { conversations: CONVERSATIONS, sendersPer: Math.max(1, Math.round(SENDERS / CONVERSATIONS)) });
  const subscribers = plan.map(({ id, reader }) => new Subscriber(stack.base, id, reader));
  await Promise.all(subscribers.map((s) => s.connect()));
  const tally = new Tally();
  const acked = [];
  const cron = cronLoop(stack.base, tally);
  let stopAt = Date.now() + seconds * 1000;
  const sending = runSenders(stack.base, plan, { stopAt, tally, acked, giveUpAt: stopAt + 180_000 });
  let faultResult = {};
  if (fault) {
    faultResult = (await fault({ stack, acked, tally, mark, plan, subscribers })) ?? {};
  }
  await sending;
  mark("senders_done");
  // Every event queued must reach Pusher: the cron drains the outbox.
  const drainStarted = Date.now();
  let undelivered = -1;
  while (Date.now() - drainStarted < drainTimeoutMs) {
    undelivered = Number(stack.pg.query("SELECT count(*) FROM outbox WHERE delivered_at IS NULL"));
    if (undelivered === 0) break;
    await sleep(500);
  }
  mark("drained");
  await cron.stop();
  // Subscribers that lost their socket reconnect on their own; give them the time pusher-js takes.
  const reconnectBy = Date.now() + 30_000;
  while (subscribers.some((s) => s.client.connection.state !== "connected") && Date.now() < reconnectBy) await sleep(200);
  await sleep(1000); // the last live events in flight
  const { problems, figures } = await audit(stack.base, plan, acked, subscribers);
  subscribers.forEach((s) => s.close());
  if (undelivered !== 0) problems.push(`${undelivered} outbox events still undelivered after ${drainTimeoutMs} ms`);
  const result = {
    name,
    seconds,
    senders: plan.reduce((n, p) => n + p.senders.length, 0),
    conversations: plan.length,
    acknowledged: acked.length,
    stored: figures.messages,
    lost: problems.filter((p) => p.includes("missing from history")).length,
    subscribers: { live: figures.live, caught_up: figures.caughtUp, duplicates_dropped: figures.duplicatesDropped },
    statuses: tally.summary(),
    server_errors_500: tally.fiveHundreds.filter((f) => f.status !== 503).length,
    send_ms: { p50: round(tally.p(0.5)), p99: round(tally.p(0.99)), max: round(tally.p(1)) },
    slowest_request_ms: round(tally.slowest),
    marks,
    problems,
    ...faultResult,
  };
  record(result);
  return { result, acked, tally, plan, subscribers };
}

const round = (x) => Math.round(x * 10) / 10;

/** Writes test-artifacts/reliability/<name>.json (scripts/reliability prints the table from them). */
export function record(result) {
  const dir = path.join(ROOT, "test-artifacts", "reliability");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${result.name}.json`), JSON.stringify(result, null, 2));
  console.log(`# ${result.name}: ${JSON.stringify({ acknowledged: result.acknowledged, lost: result.lost, problems: result.problems.length, statuses: result.statuses, send_ms: result.send_ms, marks: result.marks })}`);
}
