// One Vercel project under `vercel dev --local` (Vercel's own router, offline, no login): the Next.js app
// serves pages and its route handler (/api/session), Vercel's Rust runtime builds and runs each
// api/**/*.rs function, and a session issued by the app is accepted by the functions. A conversation,
// a send, its event and a history read go through the functions; the app's page shows the message in
// Chromium; the repository's source files are not served.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { launch, openAs, openConversation } from "../e2e/browser.mjs";
import { ROOT, subscribe, waitFor, webRequire } from "../e2e/support.mjs";
import { startVercelDev } from "./vercel-dev.mjs";

const run = randomUUID().slice(0, 8);
let stack, teacher, student, conversation, pusher, startupMs, sent;

before(async () => {
  const started = Date.now();
  stack = await startVercelDev();
  startupMs = Date.now() - started;
});

after(async () => {
  pusher?.disconnect();
  if (stack) assert.deepEqual(await stack.stop(), [], "cleanup failed");
});

/** A request through vercel dev; returns status, headers and the body (parsed when JSON). */
async function call(path, { session, method = "GET", body, timeout = 120_000, redirect = "follow" } = {}) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    redirect,
    headers: {
      ...(session ? { cookie: session.cookie } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      // What a browser on our own pages sends: a cookie-only POST from elsewhere is refused (CSRF).
      ...(method !== "GET" ? { origin: stack.baseUrl } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (a page): the text is kept.
  }
  return { status: response.status, headers: response.headers, text, json };
}

const explain = (response) => `${response.status} ${response.text.slice(0, 300)}\n--- vercel dev output ---\n${stack.output().slice(-3000)}`;

/** Signs in through the app's own route handler (app/api/session/route.ts). */
async function signIn(as) {
  const response = await call("/api/session", { method: "POST", body: { as } });
  assert.equal(response.status, 200, explain(response));
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  assert.match(cookie ?? "", /^session=ey/, "the app set no session cookie");
  return { id: response.json.user.id, cookie };
}

test("a Rust function answers through vercel dev (cargo builds it on first use)", async (t) => {
  // The first call may compile the crate: Vercel's Rust runtime runs `cargo build --bin conversations`.
  const started = Date.now();
  const response = await call("/api/conversations", { timeout: 20 * 60_000 });
  assert.equal(response.status, 401, explain(response));
  assert.equal(response.json?.error?.code, "unauthenticated", explain(response));
  assert.equal(response.headers.get("cache-control"), "no-store", "vercel.json's headers are not applied");
  t.diagnostic(`database, Sockudo and vercel dev (next dev) up in ${startupMs} ms; first function call ${Date.now() - started} ms`);
});

test("the app's own route handler answers beside the functions, and its session works for them", async () => {
  const anonymous = await call("/api/session");
  assert.equal(anonymous.status, 401, explain(anonymous));
  assert.equal(anonymous.json?.error?.code, "unauthenticated");
  [student, teacher] = [await signIn("student"), await signIn("teacher")];
  const me = await call("/api/session", { session: student });
  assert.deepEqual(me.json, { user: { id: "u_student", name: "Sam Student", role: "student" } });
  // The Rust function reads the cookie the Next route handler set (HS256, SESSION_SECRET).
  const list = await call("/api/conversations", { session: teacher });
  assert.equal(list.status, 200, explain(list));
  assert.deepEqual(list.json.conversations, []);
});

test("pages render: sign-in without a session, the signed-in shell with one", async () => {
  const redirected = await call("/", { redirect: "manual" });
  assert.ok([307, 308].includes(redirected.status), explain(redirected));
  assert.match(redirected.headers.get("location") ?? "", /\/sign-in$/);
  const signInPage = await call("/sign-in");
  assert.equal(signInPage.status, 200, explain(signInPage));
  assert.match(signInPage.text, /data-testid="login-student"/);
  const home = await call("/", { session: student });
  assert.equal(home.status, 200, explain(home));
  assert.match(home.text, /data-testid="whoami"[^>]*>Sam Student/);
});

test("a conversation, a send, its event and a history read go through the Rust functions", async () => {
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
        // Node's XMLHttpRequest may not set Cookie: the same token goes as a bearer token.
    channelAuthorization: { endpoint: `${stack.baseUrl}/api/pusher/auth`, transport: "ajax", headers: { Authorization: `Bearer ${teacher.cookie.slice(teacher.cookie.indexOf("=") + 1)}` } },
  });
  await waitFor(pusher.connection, "connected", 10_000);
  const channel = await subscribe(pusher, `private-conversation-${conversation.id}`, 120_000);
  const clientMessageId = randomUUID();
  const received = [];
  channel.bind("new-message", (message) => received.push(message));

  const body = `hello through vercel dev ${run} ✓`;
  // The first send may compile the function: the event is awaited from the answer on.
  sent = await call("/api/messages/send", { session: student, method: "POST", body: { conversation_id: conversation.id, body, client_message_id: clientMessageId } });
  assert.equal(sent.status, 201, explain(sent));
  assert.equal(sent.json.message.body, body);
  assert.equal(sent.json.message.seq, 1);
  assert.equal(sent.json.delivery, "sent", "the function could not reach Sockudo");
  const deadline = Date.now() + 10_000;
  while (!received.some((m) => m.client_message_id === clientMessageId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  const event = received.find((m) => m.client_message_id === clientMessageId);
  assert.ok(event, "no new-message event within 10 s of the answer");
  assert.equal(event.id, sent.json.message.id);

  const history = await call(`/api/messages/history?conversation_id=${conversation.id}`, { session: teacher });
  assert.equal(history.status, 200, explain(history));
  assert.deepEqual(
    history.json.messages.map((m) => [m.id, m.body, m.sender.id]),
    [[sent.json.message.id, body, student.id]],
  );
  assert.equal(history.json.has_more, false);
});

test("in Chromium, the teacher signs in on the app and reads the message", async () => {
  assert.ok(sent, "needs the previous test's message");
  const browser = await launch();
  try {
    const teacherPage = await openAs(browser, "teacher", stack.baseUrl);
    await openConversation(teacherPage.page, conversation.id);
    await teacherPage.page.getByTestId("message-body").filter({ hasText: `hello through vercel dev ${run}` }).waitFor({ timeout: 30_000 });
    assert.deepEqual(teacherPage.errors, [], "the app threw");
  } finally {
    await browser.close();
  }
});

test("the repository's source files are not served", async () => {
  // Each file's first non-blank line must never appear in a response, unless Next's own 404 page has it
  // anyway (its dev page names node_modules paths, say): the control is a path that exists nowhere.
  const control = await call(`/no-such-file-${run}.txt`);
  assert.equal(control.status, 404);
  const marker = (file) => readFileSync(join(ROOT, file), "utf8").split("\n").find((line) => line.trim().length > 8)?.trim();
  const files = [".env", "Cargo.toml", "Cargo.lock", "lib/lib.rs", "api/messages/send.rs", "api/conversations.rs", "vercel.json", ".gitignore", "migrations/0001_users.sql", "tools/vercel-dev/package.json", "package.json", "next.config.mjs", "app/_lib/session-token.ts"];
  for (const file of files) {
    const response = await call(`/${file}`);
    const content = existsSync(join(ROOT, file)) ? marker(file) : undefined;
    if (content && !control.text.includes(content)) assert.ok(!response.text.includes(content), `GET /${file} served the file: ${response.text.slice(0, 200)}`);
    if (file.startsWith("api/")) {
      // vercel dev maps a function's own source path (api/x.rs) to that function: its error JSON, not the file.
      assert.ok(response.status >= 400 && response.json?.error, `GET /${file}: ${response.status} ${response.text.slice(0, 200)}`);
    } else {
      assert.equal(response.status, 404, `GET /${file}: ${response.text.slice(0, 200)}`);
    }
  }
});

test("a cookie-only POST from another site's page is refused (CSRF), and changes nothing", async () => {
  assert.ok(conversation, "needs the earlier test's conversation");
  const response = await fetch(`${stack.baseUrl}/api/messages/send`, {
    method: "POST",
    headers: { cookie: student.cookie, "content-type": "application/json", origin: "https://evil.example" },
    body: JSON.stringify({ conversation_id: conversation.id, body: `cross-site ${run}` }),
  });
  assert.equal(response.status, 403, await response.text());
  const history = await call(`/api/messages/history?conversation_id=${conversation.id}`, { session: student });
  assert.ok(!history.json.messages.some((m) => m.body === `cross-site ${run}`));
});
