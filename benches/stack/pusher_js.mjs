// A pusher-js subscriber in Node (what browsers run), for the stack benchmark
// (benches/stack/pusher_js.rs): subscribes through our auth function, prints
// "ready", then the client_message_id of each `new-message` the moment
// pusher-js hands it to the handler, one line each. The benchmark sends and
// times; a line on a pipe costs microseconds. Settings come in the environment.
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

const client = new Pusher(env("BENCH_KEY"), {
  cluster: "mt1",
  wsHost: env("BENCH_WS_HOST"),
  wsPort: Number(env("BENCH_WS_PORT")),
  forceTLS: false,
  enabledTransports: ["ws"],
  channelAuthorization: {
    endpoint: env("BENCH_AUTH_URL"),
    transport: "ajax",
    headers: { Authorization: `Bearer ${env("BENCH_RECEIVER_TOKEN")}` },
  },
});
const channel = client.subscribe(`private-conversation-${env("BENCH_CONVERSATION")}`);
channel.bind("new-message", (m) => process.stdout.write(`${m.client_message_id}\n`));
channel.bind("pusher:subscription_succeeded", () => process.stdout.write("ready\n"));
channel.bind("pusher:subscription_error", (e) => {
  console.error(`subscription refused: ${JSON.stringify(e)}`);
  process.exit(1);
});
// Ends when the benchmark closes our stdin.
process.stdin.on("end", () => {
  client.disconnect();
  process.exit(0);
});
process.stdin.resume();
