// Delivery to pusher-js in Node (what browsers run): a subscriber authorized
// through our auth function; each send is timed from its start until the
// subscriber's `new-message` handler runs. Sequential. Called by the stack
// benchmark (benches/stack/pusher_js.rs) with its settings in the environment;
// prints one JSON line: {"delivered_ms": [...], "answered_ms": [...]}.
import { createRequire } from "node:module";

const env = (name) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

let Pusher;
try {
  Pusher = createRequire(`${env("BENCH_ROOT")}/package.json`)("pusher-js");
} catch {
  console.error("pusher-js is not installed (npm ci at the repository root)");
  process.exit(3);
}

const [sendUrl, authUrl] = [env("BENCH_SEND_URL"), env("BENCH_AUTH_URL")];
const conversation = Number(env("BENCH_CONVERSATION"));
const [count, warmup] = [Number(env("BENCH_COUNT")), Number(env("BENCH_WARMUP"))];

const client = new Pusher(env("BENCH_KEY"), {
  cluster: "mt1",
  wsHost: env("BENCH_WS_HOST"),
  wsPort: Number(env("BENCH_WS_PORT")),
  forceTLS: false,
  enabledTransports: ["ws"],
  channelAuthorization: {
    endpoint: authUrl,
    transport: "ajax",
    headers: { Authorization: `Bearer ${env("BENCH_RECEIVER_TOKEN")}` },
  },
});
const channel = client.subscribe(`private-conversation-${conversation}`);
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("pusher-js did not subscribe within 10 s")), 10_000);
  channel.bind("pusher:subscription_succeeded", () => (clearTimeout(timer), resolve()));
  channel.bind("pusher:subscription_error", (e) => (clearTimeout(timer), reject(new Error(JSON.stringify(e)))));
});

const waiting = new Map();
channel.bind("new-message", (m) => {
  const at = performance.now();
  waiting.get(m.client_message_id)?.(at);
});

const headers = { authorization: `Bearer ${env("BENCH_SENDER_TOKEN")}`, "content-type": "application/json" };
const delivered = [];
const answered = [];
for (let i = 0; i < warmup + count; i++) {
  const id = `js-${process.pid}-${i}`;
  const arrived = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`message ${i} never reached pusher-js`)), 5000);
    waiting.set(id, (at) => (clearTimeout(timer), waiting.delete(id), resolve(at)));
  });
  const t0 = performance.now();
  const response = await fetch(sendUrl, {
    method: "POST",
    headers,
    body: JSON.stringify({ conversation_id: conversation, body: `pusher-js ${i}`, client_message_id: id }),
  });
  await response.arrayBuffer();
  const t1 = performance.now();
  if (response.status !== 201) throw new Error(`send answered ${response.status}`);
  const at = await arrived;
  if (i >= warmup) {
    delivered.push(Math.round((at - t0) * 1000) / 1000);
    answered.push(Math.round((t1 - t0) * 1000) / 1000);
  }
}
client.disconnect();
// Exit only once the line is written: a pipe takes it in 64 KiB pieces.
process.stdout.write(`${JSON.stringify({ delivered_ms: delivered, answered_ms: answered })}\n`, () => process.exit(0));
