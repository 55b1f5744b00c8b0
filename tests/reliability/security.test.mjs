// Security suite, OWASP API Top 10 style, against a running stack: object-level authorization
// on every route that takes an id, broken authentication (forged, expired, alg none,
// algorithm confusion), channel names of others, webhook tampering and replay, the cron
// without its secret, hostile bodies (oversized, deeply nested, malformed, slow) and the
// response headers. Every case counts; a bypass is any answer other than the refusal expected.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import net from "node:net";
import { startStack, SECRETS, PORTS, sleep } from "./stack.mjs";
import { call, token } from "./clients.mjs";
import { record } from "./load.mjs";

let stack;
let base;
const tally = { cases: 0, bypasses: [], byGroup: {} };
let world;

function expect(group, name, ok, detail) {
  tally.cases++;
  tally.byGroup[group] = (tally.byGroup[group] ?? 0) + 1;
  if (!ok) tally.bypasses.push(`${group}: ${name}: ${detail}`);
}

before(async () => {
  stack = await startStack({ RATE_LIMIT_CHANNEL_AUTH: "1000000/60s" });
  base = stack.base;
  const run = Date.now().toString(36);
  const [alice, bob, eve, zed] = ["alice", "bob", "eve", "zed"].map((n) => `u_${n}_${run}`);
  for (const u of [alice, bob, eve, zed]) assert.equal((await call(base, "/api/conversations", { token: token(u) })).status, 200);
  const mk = async (a, b) => (await call(base, "/api/conversations", { token: token(a), body: { member_ids: [b] } })).body.conversation.id;
  const secret = await mk(alice, bob);
  const own = await mk(eve, zed);
  const send = async (u, c) => (await call(base, "/api/messages/send", { token: token(u), body: { conversation_id: c, body: "x" } })).body.message.id;
  const secretMessage = await send(alice, secret);
  const ownMessage = await send(eve, own);
  world = { alice, bob, eve, zed, secret, own, secretMessage, ownMessage, missing: secret + own + 10_000, missingMessage: secretMessage + ownMessage + 10_000 };
});

after(async () => {
  record({ name: "security", cases: tally.cases, bypasses: tally.bypasses.length, by_group: tally.byGroup, problems: tally.bypasses });
  await stack?.stop();
});

/** Every route that takes an id, as a request for that id. */
function idRequests(conversation, message) {
  return [
    ["send", "/api/messages/send", { conversation_id: conversation, body: "hello" }],
    ["history", `/api/messages/history?conversation_id=${conversation}`, undefined],
    ["history before", `/api/messages/history?conversation_id=${conversation}&before=5`, undefined],
    ["history after", `/api/messages/history?conversation_id=${conversation}&after=0`, undefined],
    ["read", "/api/messages/read", { conversation_id: conversation, seq: 1 }],
    ["typing", "/api/messages/typing", { conversation_id: conversation }],
    ["react add", "/api/messages/react", { message_id: message, emoji: "👍", action: "add" }],
    ["react remove", "/api/messages/react", { message_id: message, emoji: "👍", action: "remove" }],
  ];
}

test("another conversation's or message's id gets exactly the 404 a missing one gets", async () => {
  const { eve, secret, secretMessage, missing, missingMessage, own, ownMessage } = world;
  const others = idRequests(secret, secretMessage);
  const missings = idRequests(missing, missingMessage);
  for (let i = 0; i < others.length; i++) {
    const [name, path, body] = others[i];
    const a = await call(base, path, { token: token(eve), body });
    const b = await call(base, missings[i][1], { token: token(eve), body: missings[i][2] });
    expect("object-level authorization", name, a.status === 404 && a.text === b.text && b.status === 404, `${a.status} ${a.text} vs ${b.status} ${b.text}`);
  }
  // The outsider's own ids work, so the 404s above are about ownership, not the request.
  for (const [name, path, body] of idRequests(own, ownMessage)) {
    const r = await call(base, path, { token: token(eve), body });
    assert.ok(r.status < 300, `${name} on eve's own conversation: ${r.status} ${r.text}`);
  }
  // Nothing the outsider did reached the conversation.
  assert.equal(stack.pg.query(`SELECT count(*) FROM messages WHERE conversation_id = ${secret}`), "1");
  assert.equal(stack.pg.query(`SELECT count(*) FROM reactions r JOIN messages m ON m.id = r.message_id WHERE m.conversation_id = ${secret}`), "0");
  // Channel auth: the same 403 for another's conversation and a missing one.
  for (const prefix of ["private-conversation-", "presence-conversation-"]) {
    const form = (c) => `socket_id=1.1&channel_name=${prefix}${c}`;
    const h = { "content-type": "application/x-www-form-urlencoded" };
    const a = await call(base, "/api/pusher/auth", { token: token(eve), body: form(secret), headers: h });
    const b = await call(base, "/api/pusher/auth", { token: token(eve), body: form(missing), headers: h });
    expect("object-level authorization", `${prefix} auth`, a.status === 403 && a.text === b.text, `${a.status} ${a.text} vs ${b.text}`);
  }
});

const b64 = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
function jwt(header, payload, key = SECRETS.session, alg = "sha256") {
  const signing = `${b64(header)}.${b64(payload)}`;
  return `${signing}.${key === null ? "" : createHmac(alg, key).update(signing).digest("base64url")}`;
}

test("forged, expired, alg none, algorithm-confusion and tampered tokens are refused on every route", async () => {
  const { alice, secret } = world;
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: alice, exp: now + 600, name: "A", role: "student" };
  const valid = token(alice);
  const [h, , s] = valid.split(".");
  const tokens = {
    "wrong secret": jwt({ alg: "HS256", typ: "JWT" }, claims, "another-secret-of-at-least-32-bytes!!"),
    "expired an hour ago": jwt({ alg: "HS256", typ: "JWT" }, { ...claims, exp: now - 3600 }),
    "expired just past the 5 s clock leeway": jwt({ alg: "HS256", typ: "JWT" }, { ...claims, exp: now - 10 }),
    "no exp": jwt({ alg: "HS256", typ: "JWT" }, { sub: alice }),
    "exp as string": jwt({ alg: "HS256", typ: "JWT" }, { ...claims, exp: String(now + 600) }),
    "alg none": jwt({ alg: "none", typ: "JWT" }, claims, null),
    "alg None": jwt({ alg: "None", typ: "JWT" }, claims, null),
    "alg NONE, signed": jwt({ alg: "NONE", typ: "JWT" }, claims),
    "alg HS512 with the secret": jwt({ alg: "HS512", typ: "JWT" }, claims, SECRETS.session, "sha512"),
    "alg HS384 with the secret": jwt({ alg: "HS384", typ: "JWT" }, claims, SECRETS.session, "sha384"),
    "RS256 header, HMAC signature (confusion)": jwt({ alg: "RS256", typ: "JWT" }, claims),
    "ES256 header, HMAC signature (confusion)": jwt({ alg: "ES256", typ: "JWT" }, claims),
    "kid pointing at an empty key": jwt({ alg: "HS256", kid: "../../../../dev/null" }, claims, ""),
    "payload swapped, signature kept": `${h}.${b64({ ...claims, sub: world.bob })}.${s}`,
    "signature stripped": `${h}.${b64(claims)}.`,
    "two parts": `${h}.${b64(claims)}`,
    "signature of another token": `${h}.${b64({ ...claims, exp: now + 99999 })}.${s}`,
    "sub not a user id": jwt({ alg: "HS256", typ: "JWT" }, { ...claims, sub: "../admin" }),
    "sub missing": jwt({ alg: "HS256", typ: "JWT" }, { exp: now + 600 }),
    garbage: "not-a-token",
    empty: "",
  };
  const routes = [
    ["GET", "/api/conversations", undefined],
    ["POST", "/api/conversations", { member_ids: [world.bob] }],
    ["POST", "/api/messages/send", { conversation_id: secret, body: "forged" }],
    ["GET", `/api/messages/history?conversation_id=${secret}`, undefined],
    ["POST", "/api/messages/read", { conversation_id: secret, seq: 1 }],
    ["POST", "/api/messages/typing", { conversation_id: secret }],
    ["POST", "/api/messages/react", { message_id: world.secretMessage, emoji: "x", action: "add" }],
    ["POST", "/api/pusher/auth", { socket_id: "1.1", channel_name: `private-conversation-${secret}` }],
  ];
  for (const [name, t] of Object.entries(tokens)) {
    for (const [method, path, body] of routes) {
      for (const via of ["bearer", "cookie"]) {
        const headers = via === "cookie" ? { cookie: `session=${t}` } : { authorization: `Bearer ${t}` };
        const r = await call(base, path, { method, body, headers });
        expect("broken authentication", `${name} via ${via} on ${method} ${path}`, r.status === 401 && r.body?.error?.code === "unauthenticated", `${r.status} ${r.text}`);
      }
    }
  }
  assert.equal(stack.pg.query(`SELECT count(*) FROM messages WHERE conversation_id = ${secret}`), "1");
});

test("channel names for other users and conversations are refused", async () => {
  const { alice, bob, secret, own } = world;
  const h = { "content-type": "application/x-www-form-urlencoded" };
  const refused = [
    `private-user-${bob}`,
    `private-user-${alice}-x`,
    `private-user-${alice.toUpperCase()}`,
    `presence-user-${alice}`,
    `private-conversation-${own}`,
    `presence-conversation-${own}`,
    `private-conversation-0${secret}`,
    `private-conversation-+${secret}`,
    `private-conversation-${secret}.0`,
    `private-conversation-${secret}-x`,
    `private-encrypted-conversation-${secret}`,
    `private-conversation-${secret},private-conversation-${own}`,
    `private-conversation-${secret};private-user-${bob}`,
    `conversation-${secret}`,
    `#server-to-user-${alice}`,
    `private-conversation-${secret} `,
    `private-conversation-${secret}\u0000`,
  ];
  for (const channel of refused) {
    const r = await call(base, "/api/pusher/auth", { token: token(alice), body: `socket_id=1.1&channel_name=${encodeURIComponent(channel)}`, headers: h });
    expect("channel authorization", JSON.stringify(channel), r.status === 403 || r.status === 400, `${r.status} ${r.text}`);
  }
  // A presence signature always carries the session's user, whatever the request says.
  const r = await call(base, "/api/pusher/auth", {
    token: token(alice),
    body: `socket_id=1.1&channel_name=presence-conversation-${secret}&channel_data=${encodeURIComponent(JSON.stringify({ user_id: bob }))}`,
    headers: h,
  });
  expect("channel authorization", "presence channel_data from the request", r.status === 200 && JSON.parse(r.body.channel_data).user_id === alice, r.text);
});

function webhook(body, { key = SECRETS.key, secret = SECRETS.secret, signature } = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const sig = signature ?? createHmac("sha256", secret).update(text).digest("hex");
  return call(base, "/api/pusher/webhook", { body: text, headers: { "content-type": "application/json", "x-pusher-key": key, "x-pusher-signature": sig } });
}

test("webhook tampering and replay change nothing", async () => {
  const { bob, secret } = world;
  const online = () => stack.pg.query(`SELECT coalesce(online::text, 'null') FROM users WHERE id = '${bob}'`);
  const before = online();
  const added = { time_ms: Date.now(), events: [{ name: "member_added", channel: `presence-conversation-${secret}`, user_id: bob }] };
  const text = JSON.stringify(added);
  const goodSig = createHmac("sha256", SECRETS.secret).update(text).digest("hex");
  const old = { ...added, time_ms: Date.now() - 6 * 60 * 1000 };
  const cases = {
    "body changed after signing": () => webhook(text.replace(bob, world.alice), { signature: goodSig }),
    "wrong secret": () => webhook(added, { secret: "not-the-secret" }),
    "wrong key": () => webhook(added, { key: "other-key" }),
    "no signature": () => call(base, "/api/pusher/webhook", { body: text, headers: { "content-type": "application/json", "x-pusher-key": SECRETS.key } }),
    "signature truncated": () => webhook(added, { signature: goodSig.slice(0, 32) }),
    "signature of the empty body": () => webhook(added, { signature: createHmac("sha256", SECRETS.secret).update("").digest("hex") }),
    "replayed after 5 minutes": () => webhook(old),
    "session token instead of a signature": () => call(base, "/api/pusher/webhook", { token: token(bob), body: text, headers: { "x-pusher-key": SECRETS.key } }),
  };
  for (const [name, send] of Object.entries(cases)) {
    const r = await send();
    expect("webhook", name, r.status === 401 && r.body?.error?.code === "unauthenticated", `${r.status} ${r.text}`);
  }
  expect("webhook", "state unchanged by refused deliveries", online() === before, `online ${before} -> ${online()}`);
  // The authentic delivery works, and a replay of it within the window has the effect of one.
  assert.equal((await webhook(text)).status, 200);
  const once = stack.pg.query(`SELECT online::text || ' ' || last_seen_at::text FROM users WHERE id = '${bob}'`);
  assert.equal((await webhook(text)).status, 200);
  expect("webhook", "replay within the window is idempotent", stack.pg.query(`SELECT online::text || ' ' || last_seen_at::text FROM users WHERE id = '${bob}'`) === once, "state moved");
});

test("the cron route refuses every call without its exact secret", async () => {
  const variants = {
    "no authorization": {},
    "empty bearer": { authorization: "Bearer " },
    "wrong secret": { authorization: "Bearer not-the-cron-secret" },
    "secret prefix": { authorization: `Bearer ${SECRETS.cron.slice(0, -1)}` },
    "secret plus a byte": { authorization: `Bearer ${SECRETS.cron}x` },
    "basic scheme": { authorization: `Basic ${Buffer.from(`cron:${SECRETS.cron}`).toString("base64")}` },
    "a user's session": { authorization: `Bearer ${token(world.alice)}` },
    "secret in a cookie": { cookie: `session=${SECRETS.cron}` },
  };
  for (const [name, headers] of Object.entries(variants)) {
    for (const method of ["GET", "POST"]) {
      const r = await call(base, "/api/cron/redeliver", { method, headers });
      expect("cron", `${name} (${method})`, r.status === 401, `${r.status} ${r.text}`);
    }
  }
  const q = await call(base, `/api/cron/redeliver?secret=${SECRETS.cron}&token=${SECRETS.cron}`, { method: "GET" });
  expect("cron", "secret in the query", q.status === 401, `${q.status}`);
  const ok = await call(base, "/api/cron/redeliver", { token: SECRETS.cron });
  assert.equal(ok.status, 200, ok.text);
});

test("oversized, deeply nested and malformed bodies get a clear 4xx, never a 5xx", async () => {
  const { alice, secret } = world;
  const posts = ["/api/messages/send", "/api/conversations", "/api/messages/read", "/api/messages/typing", "/api/messages/react", "/api/pusher/auth"];
  const nested = (depth) => `{"conversation_id":${"[".repeat(depth)}1${"]".repeat(depth)},"body":"x"}`;
  const bodies = {
    "65,537 bytes": [JSON.stringify({ conversation_id: secret, body: "x".repeat(65_537 - 40) }).padEnd(65_537, " "), 413],
    "1 MB": ["{" + " ".repeat(1_000_000) + "}", 413],
    "nested 200 deep": [nested(200), 400],
    "nested 30,000 deep (60 KB)": [nested(30_000), 400],
    "nested 100,000 deep (over the limit)": [nested(100_000), 413],
    "objects nested 10,000 deep": ['{"a":'.repeat(10_000) + "1" + "}".repeat(10_000), 400],
    "strings with every escape": [JSON.stringify({ conversation_id: 1, body: "\\u0000\ud800" }), 400],
    "truncated": ['{"conversation_id": 1, "body": "x', 400],
    "not UTF-8": [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString("latin1"), 400],
    "a bare string": ['"hello"', 400],
    "null": ["null", 400],
    "an array": ["[1,2,3]", 400],
    "trailing garbage": ['{"conversation_id":1,"body":"x"} {}', 400],
    "a NaN": ['{"conversation_id":NaN,"body":"x"}', 400],
    "a huge number": ['{"conversation_id":1e400,"body":"x"}', 400],
    "a lone surrogate": ['{"conversation_id":1,"body":"\\ud800"}', 400],
    "empty": ["", 400],
  };
  for (const path of posts) {
    for (const [name, [body, status]] of Object.entries(bodies)) {
      const r = await call(base, path, { token: token(alice), body, headers: { "content-type": "application/json" } });
      expect("hostile bodies", `${name} to ${path}`, r.status === status && typeof r.body?.error?.code === "string", `${r.status} ${r.text.slice(0, 200)}`);
    }
  }
});

test("a slow-body client is cut off after the body deadline while others are served", async () => {
  const socket = net.connect(PORTS.server, "127.0.0.1");
  await new Promise((resolve) => socket.on("connect", resolve));
  let answer = "";
  socket.on("data", (d) => (answer += d));
  const closed = new Promise((resolve) => socket.on("close", resolve));
  socket.write(`POST /api/messages/send HTTP/1.1\r\nHost: 127.0.0.1:${PORTS.server}\r\nAuthorization: Bearer ${token(world.alice)}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"conv`);
  const started = Date.now();
  // Meanwhile, everyone else is served at once.
  const other = await call(base, "/api/conversations", { token: token(world.bob) });
  expect("slow body", "others served during a stalled body", other.status === 200 && other.ms < 2000, `${other.status} in ${other.ms} ms`);
  const timer = setInterval(() => socket.write(" "), 1000); // one byte a second: a trickle, not a stall
  await Promise.race([closed, sleep(20_000)]);
  clearInterval(timer);
  socket.destroy();
  const took = Date.now() - started;
  expect("slow body", "trickling body answered 408 and closed within 17 s", / 408 /.test(answer.split("\r\n")[0]) && took < 17_500, `${answer.split("\r\n")[0]} after ${took} ms`);
});

test("API responses carry nosniff, no-store and JSON on every route and status", async () => {
  const { alice, secret } = world;
  const samples = [
    ["GET", "/api/conversations", token(alice), undefined],
    ["GET", "/api/conversations", undefined, undefined],
    ["POST", "/api/messages/send", token(alice), { conversation_id: secret, body: "h" }],
    ["POST", "/api/messages/send", token(alice), { conversation_id: "x" }],
    ["GET", `/api/messages/history?conversation_id=${secret}`, token(alice), undefined],
    ["DELETE", "/api/messages/history", token(alice), undefined],
    ["POST", "/api/messages/read", token(alice), { conversation_id: secret, seq: 1 }],
    ["POST", "/api/messages/typing", token(alice), { conversation_id: secret }],
    ["POST", "/api/messages/react", token(alice), { message_id: world.secretMessage, emoji: "x", action: "add" }],
    ["POST", "/api/pusher/auth", token(alice), { socket_id: "1.1", channel_name: `private-conversation-${secret}` }],
    ["POST", "/api/pusher/webhook", undefined, { time_ms: 1, events: [] }],
    ["GET", "/api/cron/redeliver", SECRETS.cron, undefined],
    ["GET", "/api/cron/redeliver", undefined, undefined],
    ["GET", "/api/nope", undefined, undefined],
  ];
  for (const [method, path, t, body] of samples) {
    const r = await call(base, path, { method, token: t, body });
    const h = (n) => r.headers.get(n) ?? "";
    expect("headers", `${method} ${path} (${r.status})`, h("x-content-type-options") === "nosniff" && h("cache-control").includes("no-store") && h("content-type").startsWith("application/json"), `nosniff=${h("x-content-type-options")} cache=${h("cache-control")} type=${h("content-type")}`);
  }
});

test("no bypass in any case", () => {
  assert.deepEqual(tally.bypasses, []);
  assert.ok(tally.cases > 300, `only ${tally.cases} cases ran`);
});
