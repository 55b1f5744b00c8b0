// Counting clients: senders that retry like the real client (same client_message_id after a
// 429, a 503 or a lost connection), pusher-js subscribers that keep every message once in seq
// order (gaps filled and reconnects caught up through history), and the final audit.
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { PORTS, SECRETS, ROOT, sleep } from "./stack.mjs";

const b64url = (value) => Buffer.from(value).toString("base64url");

/** An HS256 session token, as the Next.js app issues them. */
export function token(sub, { exp = Math.floor(Date.now() / 1000) + 3600, secret = SECRETS.session, header = { alg: "HS256", typ: "JWT" }, extra = {} } = {}) {
  const head = b64url(JSON.stringify(header));
  const body = b64url(JSON.stringify({ sub, exp, name: sub, role: "student", ...extra }));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/** One HTTP call; never throws: a lost connection is status 0. */
export async function call(base, path, { token: bearer, method, body, headers = {}, timeoutMs = 30_000 } = {}) {
  const started = performance.now();
  try {
    const response = await fetch(`${base}${path}`, {
      method: method ?? (body === undefined ? "GET" : "POST"),
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined && typeof body !== "string" ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.status, body: json, text, headers: response.headers, ms: performance.now() - started };
  } catch (error) {
    return { status: 0, error: error.cause?.code ?? error.name, ms: performance.now() - started };
  }
}

/** Users and conversations for a run: `conversations` of `sendersPer` senders and one reader each. */
export async function arrange(base, { conversations = 8, sendersPer = 4, run = randomUUID().slice(0, 8) } = {}) {
  const plan = [];
  for (let c = 0; c < conversations; c++) {
    const senders = Array.from({ length: sendersPer }, (_, i) => `u_${run}_c${c}_s${i}`);
    const reader = `u_${run}_c${c}_reader`;
    for (const user of [...senders, reader]) {
      const r = await call(base, "/api/conversations", { token: token(user) });
      if (r.status !== 200) throw new Error(`login ${user}: ${r.status} ${r.text}`);
    }
    const created = await call(base, "/api/conversations", { token: token(senders[0]), body: { member_ids: [...senders.slice(1), reader], title: `load ${run} ${c}` } });
    if (created.status !== 201) throw new Error(`create conversation: ${created.status} ${created.text}`);
    plan.push({ id: created.body.conversation.id, senders, reader });
  }
  return plan;
}

/** The whole history of a conversation, page by page with `after` (exclusive). */
export async function history(base, conversation, user, after = 0) {
  const messages = [];
  for (;;) {
    const r = await call(base, `/api/messages/history?conversation_id=${conversation}&after=${after}&limit=100`, { token: token(user) });
    if (r.status !== 200) throw new Error(`history: ${r.status} ${r.text}`);
    messages.push(...r.body.messages);
    if (!r.body.has_more || r.body.messages.length === 0) return messages;
    after = r.body.messages.at(-1).seq;
  }
}

/** Statistics of every request the clients made, by status. */
export class Tally {
  constructor() {
    this.byStatus = new Map();
    this.sendMs = [];
    this.fiveHundreds = [];
    this.slowest = 0;
  }
  add(route, r) {
    const key = r.status === 0 ? `conn:${r.error}` : String(r.status);
    this.byStatus.set(key, (this.byStatus.get(key) ?? 0) + 1);
    if (r.status >= 500) this.fiveHundreds.push({ route, status: r.status, code: r.body?.error?.code, ms: Math.round(r.ms) });
    this.slowest = Math.max(this.slowest, r.ms);
    if (route === "send" && (r.status === 200 || r.status === 201)) this.sendMs.push(r.ms);
  }
  count(prefix) {
    let n = 0;
    for (const [k, v] of this.byStatus) if (k.startsWith(prefix)) n += v;
    return n;
  }
  p(q) {
    const s = [...this.sendMs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0;
  }
  summary() {
    return Object.fromEntries([...this.byStatus].sort());
  }
}

/**
 * Each sender sends in a closed loop until `stopAt`, retrying a message until it is
 * acknowledged (201/200) with the same client_message_id; `paused()` holds new messages.
 */
export async function runSenders(base, plan, { stopAt, tally, acked, paused = () => false, retryMs = 100, giveUpAt }) {
  const loops = plan.flatMap(({ id, senders }) =>
    senders.map(async (user) => {
      const bearer = token(user);
      for (let n = 0; Date.now() < stopAt; n++) {
        while (paused() && Date.now() < stopAt) await sleep(20);
        const key = `${user}-${n}`;
        const body = { conversation_id: id, body: `${key} ${"x".repeat(n % 40)}`, client_message_id: key };
        for (;;) {
          const r = await call(base, "/api/messages/send", { token: bearer, body });
          tally.add("send", r);
          if (r.status === 201 || r.status === 200) {
            acked.push({ conversation: id, id: r.body.message.id, seq: r.body.message.seq, key, status: r.status, delivery: r.body.delivery, ms: r.ms, at: Date.now() });
            break;
          }
          if (r.status >= 400 && r.status < 500 && r.status !== 429) throw new Error(`send refused: ${r.status} ${r.text}`);
          if (Date.now() > (giveUpAt ?? stopAt + 120_000)) throw new Error(`send never acknowledged: ${key} (last ${r.status} ${r.error ?? r.text})`);
          const retryAfter = Number(r.headers?.get("retry-after") ?? 0) * 1000;
          await sleep(Math.max(retryMs, retryAfter));
        }
      }
    }),
  );
  await Promise.all(loops);
}

/** Calls the cron route every `everyMs` (Vercel Cron, accelerated) until `stop()`. */
export function cronLoop(base, tally, everyMs = 2000) {
  let running = true;
  const done = (async () => {
    while (running) {
      const r = await call(base, "/api/cron/redeliver", { token: SECRETS.cron, method: "POST" });
      tally.add("cron", r);
      await sleep(everyMs);
    }
  })();
  return { stop: async () => ((running = false), await done) };
}

const webRequire = createRequire(`${ROOT}web/package.json`);

/**
 * A pusher-js subscriber on one conversation, keeping its messages as the web client's store
 * does: each seq once, in order; a gap or a reconnect is filled from history.
 */
export class Subscriber {
  constructor(base, conversation, user) {
    Object.assign(this, { base, conversation, user });
    this.last = 0;
    this.kept = []; // {seq, id, via}
    this.live = [];  // every new-message seq as it arrived, duplicates included
    this.duplicates = 0;
    this.queue = Promise.resolve();
    this.errors = [];
  }

  async connect() {
    const Pusher = webRequire("pusher-js");
    this.client = new Pusher(SECRETS.key, {
      cluster: "mt1",
      wsHost: "127.0.0.1",
      wsPort: PORTS.sockudo,
      forceTLS: false,
      enabledTransports: ["ws"],
      activityTimeout: 4000,
      pongTimeout: 2000,
      channelAuthorization: { endpoint: `${this.base}/api/pusher/auth`, transport: "ajax", headers: { Authorization: `Bearer ${token(this.user)}` } },
    });
    const channel = this.client.subscribe(`private-conversation-${this.conversation}`);
    channel.bind("new-message", (data) => this.enqueue(() => this.onEvent(data)));
    // Every (re)subscription catches up, as the web client does after a reconnect.
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("subscription timed out")), 15_000);
      channel.bind("pusher:subscription_succeeded", () => {
        clearTimeout(timer);
        this.enqueue(() => this.catchUp("reconnect"));
        resolve();
      });
      channel.bind("pusher:subscription_error", (e) => reject(new Error(`subscription refused: ${JSON.stringify(e)}`)));
    });
  }

  enqueue(step) {
    this.queue = this.queue.then(step).catch((e) => this.errors.push(e.message));
    return this.queue;
  }

  async onEvent(data) {
    this.live.push(data.seq);
    if (data.seq <= this.last) {
      this.duplicates++;
      return;
    }
    if (data.seq > this.last + 1) await this.catchUp("gap", data.seq - 1);
    if (data.seq === this.last + 1) this.keep({ seq: data.seq, id: data.id }, "live");
  }

  keep(message, via) {
    this.kept.push({ seq: message.seq, id: message.id, via });
    this.last = message.seq;
  }

  /** Reads history after the last kept seq (up to `until` when given); retried while the API is down. */
  async catchUp(via, until = Infinity) {
    for (let attempt = 0; ; attempt++) {
      try {
        const page = await history(this.base, this.conversation, this.user, this.last);
        for (const m of page) if (m.seq === this.last + 1 && m.seq <= until) this.keep(m, via);
        return;
      } catch (e) {
        if (attempt > 200) throw e;
        await sleep(250);
      }
    }
  }

  close() {
    this.client?.disconnect();
  }
}

/** The audit: history vs acknowledgements vs what each subscriber kept. Returns problems and figures. */
export async function audit(base, plan, acked, subscribers) {
  const problems = [];
  const figures = { messages: 0, live: 0, caughtUp: 0, duplicatesDropped: 0 };
  for (const { id, reader } of plan) {
    const all = await history(base, id, reader);
    figures.messages += all.length;
    all.forEach((m, i) => {
      if (m.seq !== i + 1) problems.push(`conversation ${id}: seq ${m.seq} at position ${i + 1} (a gap)`);
    });
    const ids = new Map(all.map((m) => [m.id, m]));
    const keys = new Map();
    for (const m of all) keys.set(m.client_message_id, (keys.get(m.client_message_id) ?? 0) + 1);
    for (const [key, n] of keys) if (n !== 1) problems.push(`conversation ${id}: ${key} stored ${n} times`);
    for (const a of acked.filter((a) => a.conversation === id)) {
      const m = ids.get(a.id);
      if (!m) problems.push(`conversation ${id}: acknowledged ${a.key} (id ${a.id}) missing from history`);
      else if (m.seq !== a.seq || m.client_message_id !== a.key) problems.push(`conversation ${id}: ${a.key} changed`);
    }
    const sub = subscribers.find((s) => s.conversation === id);
    if (sub) {
      await sub.enqueue(() => sub.catchUp("final"));
      const kept = sub.kept.map((k) => k.seq);
      const expected = all.map((m) => m.seq);
      if (kept.length !== expected.length || kept.some((s, i) => s !== expected[i] || sub.kept[i].id !== all[i].id)) {
        problems.push(`conversation ${id}: the subscriber kept ${kept.length} of ${expected.length} (first difference at ${kept.findIndex((s, i) => s !== expected[i])})`);
      }
      problems.push(...sub.errors.map((e) => `subscriber ${id}: ${e}`));
      figures.live += sub.kept.filter((k) => k.via === "live").length;
      figures.caughtUp += sub.kept.filter((k) => k.via !== "live").length;
      figures.duplicatesDropped += sub.duplicates;
    }
  }
  return { problems, figures };
}
