// The real api/**/*.rs functions under `vercel dev --local` (Vercel's own router and Rust runtime,
// offline, no login): a conversation, a send, its event and a history read go through it, and the
// repository's source files are not served.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, subscribe, waitFor, webRequire } from "./support.mjs";
import { sessionToken, startVercelDev } from "./vercel-dev.mjs";

const run = randomUUID().slice(0, 8);
let stack, teacher, student, conversation, pusher, startupMs;

before(async () => {
  const started = Date.now();
  stack = await startVercelDev();
  startupMs = Date.now() - started;
  const as = (sub, name, role) => ({ id: sub, token: sessionToken(stack.env.SESSION_SECRET, { sub, name, role }) });
  teacher = as(`vd_teacher_${run}`, "Vercel Teacher", "teacher");
  student = as(`vd_student_${run}`, "Vercel Student", "student");
});

after(async () => {
  pusher?.disconnect();
  if (stack) assert.deepEqual(await stack.stop(), [], "cleanup failed");
});

/** A request through vercel dev; returns status, headers and the body (parsed when JSON). */
async function call(path, { session, method = "GET", body, timeout = 120_000 } = {}) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: {
      ...(session ? { authorization: `Bearer ${session.token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (a static 404 page, say): the text is kept.
  }
  return { status: response.status, headers: response.headers, text, json };
}

const explain = (response) => `${response.status} ${response.text.slice(0, 300)}\n--- vercel dev output ---\n${stack.output().slice(-3000)}`;

test("a function answers through vercel dev (cargo builds it on first use)", async (t) => {
  // The first call may compile the crate: vercel dev runs `cargo build --bin conversations` itself.
  const started = Date.now();
  const response = await call("/api/conversations", { timeout: 20 * 60_000 });
  assert.equal(response.status, 401, explain(response));
  assert.equal(response.json?.error?.code, "unauthenticated", explain(response));
  assert.equal(response.headers.get("cache-control"), "no-store", "vercel.json's headers are not applied");
  t.diagnostic(`database, Sockudo and vercel dev up in ${startupMs} ms; first function call ${Date.now() - started} ms`);
});

test("a conversation, a send, its event and a history read work through vercel dev", async () => {
  // Any authenticated request creates the caller's user row; the teacher must exist to be added.
  const list = await call("/api/conversations", { session: teacher });
  assert.equal(list.status, 200, explain(list));
  assert.deepEqual(list.json.conversations, []);

  const created = await call("/api/conversations", { session: student, method: "POST", body: { member_ids: [teacher.id], title: `vercel dev ${run}` } });
  assert.equal(created.status, 201, explain(created));
  conversation = created.json.conversation;
  assert.deepEqual(conversation.members.map((m) => m.id).sort(), [student.id, teacher.id].sort());

  // The teacher listens through pusher-js, authorized by /api/pusher/auth under vercel dev.
  const Pusher = webRequire("pusher-js");
  pusher = new Pusher(stack.env.NEXT_PUBLIC_PUSHER_KEY, {
    cluster: stack.env.NEXT_PUBLIC_PUSHER_CLUSTER,
    wsHost: "127.0.0.1",
    wsPort: Number(stack.env.PUSHER_PORT),
    forceTLS: false,
    enabledTransports: ["ws"],
    channelAuthorization: { endpoint: `${stack.baseUrl}/api/pusher/auth`, transport: "ajax", headers: { Authorization: `Bearer ${teacher.token}` } },
  });
  await waitFor(pusher.connection, "connected", 10_000);
  const channel = await subscribe(pusher, `private-conversation-${conversation.id}`, 60_000);
  const clientMessageId = randomUUID();
  const event = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no new-message event within 10 s")), 10_000);
    channel.bind("new-message", (message) => {
      if (message.client_message_id !== clientMessageId) return;
      clearTimeout(timer);
      resolve(message);
    });
  });

  const body = `hello through vercel dev ${run} ✓`;
  const sent = await call("/api/messages/send", { session: student, method: "POST", body: { conversation_id: conversation.id, body, client_message_id: clientMessageId } });
  assert.equal(sent.status, 201, explain(sent));
  assert.equal(sent.json.message.body, body);
  assert.equal(sent.json.message.seq, 1);
  assert.equal(sent.json.delivery, "sent", "the function could not reach Sockudo");
  assert.equal((await event).id, sent.json.message.id);

  const history = await call(`/api/messages/history?conversation_id=${conversation.id}`, { session: teacher });
  assert.equal(history.status, 200, explain(history));
  assert.deepEqual(
    history.json.messages.map((m) => [m.id, m.body, m.sender.id]),
    [[sent.json.message.id, body, student.id]],
  );
  assert.equal(history.json.has_more, false);
});

test("the repository's source files are not served", async () => {
  // Control: the static root (public/) is served, so the 404s below come from a live server.
  const index = await call("/");
  assert.equal(index.status, 200);
  assert.ok(index.text.includes("<title>Messaging API</title>"), "GET / did not serve public/index.html");

  // Each file's first non-blank line must never appear in a response.
  const marker = (file) => readFileSync(join(ROOT, file), "utf8").split("\n").find((line) => line.trim().length > 8)?.trim();
  const files = [".env", "Cargo.toml", "Cargo.lock", "lib/lib.rs", "api/messages/send.rs", "api/conversations.rs", "vercel.json", ".gitignore", "migrations/0001_users.sql", "tools/vercel-dev/package.json"];
  for (const file of files) {
    const response = await call(`/${file}`);
    const content = existsSync(join(ROOT, file)) ? marker(file) : undefined;
    if (content) assert.ok(!response.text.includes(content), `GET /${file} served the file: ${response.text.slice(0, 200)}`);
    if (file.startsWith("api/")) {
      // vercel dev maps a function's own source path (api/x.rs) to that function: its error JSON, not the file.
      assert.ok(response.status >= 400 && response.json?.error, `GET /${file}: ${response.status} ${response.text.slice(0, 200)}`);
    } else {
      assert.equal(response.status, 404, `GET /${file}: ${response.text.slice(0, 200)}`);
    }
  }
});
