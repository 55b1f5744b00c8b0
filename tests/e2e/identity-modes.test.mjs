// Sign-in with the session the Next.js app already has, end to end: a stack of its own run with
// Auth.js's AUTH_SECRET and an OIDC issuer's JWKS, and no SESSION_SECRET at all.
//  - A real browser holding only an @auth/core session cookie (minted by tools/auth-vectors with
//    the real library) subscribes with pusher-js through /api/pusher/auth, sends, reads history and
//    gets its peer's message live; a cross-site POST with that cookie is refused and stores nothing.
//  - pusher-js in Node with an RS256 token from the JWKS issuer does the same by Bearer (pusher-js
//    in Node cannot send cookies: its XMLHttpRequest forbids the Cookie header, as browsers do).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startStack, PORTS, SECRETS, ROOT } from "../reliability/stack.mjs";
import { launch } from "./browser.mjs";
import { webRequire, subscribe, waitFor, eventually } from "./support.mjs";

const vectors = JSON.parse(readFileSync(path.join(ROOT, "tests/auth/vectors.json"), "utf8"));
const authjs = vectors.authjs;
const oidc = vectors.jwks;
const cookieName = authjs.e2e.cookie_name;
const cookieOf = (user) => `${cookieName}=${authjs.e2e.users[user]}`;

let stack;
before(async () => {
  stack = await startStack({
    SESSION_SECRET: null,
    AUTH_SECRET: authjs.secret,
    AUTH_JWKS_JSON: JSON.stringify(oidc.jwks),
    AUTH_ISSUER: oidc.issuer,
    AUTH_AUDIENCE: oidc.audience,
  });
});
after(async () => stack?.stop());

/** A request as a server or script would make it, with the credentials given. */
async function call(pathname, { cookie, bearer, origin, method = "GET", body } = {}) {
  const headers = { "content-type": "application/json" };
  if (cookie) headers.cookie = cookie;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (origin) headers.origin = origin;
  const r = await fetch(`${stack.base}${pathname}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
}

test("without SESSION_SECRET, our own HS256 tokens are not a way in", async () => {
  const r = await call("/api/conversations", { bearer: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1X3gifQ.x" });
  assert.equal(r.status, 401);
});

test("a browser with only an Auth.js cookie subscribes with pusher-js, sends, reads history and hears its peer", async () => {
  // Bob's first request creates his user row from the cookie's claims.
  assert.equal((await call("/api/conversations", { cookie: cookieOf("u_authjs_bob") })).status, 200);

  const browser = await launch();
  try {
    const context = await browser.newContext();
    await context.addCookies([{ name: cookieName, value: authjs.e2e.users.u_authjs_e2e, url: stack.base, httpOnly: true, sameSite: "Lax" }]);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${stack.base}/api/dev/config`); // any page of our origin
    await page.addScriptTag({ path: webRequire.resolve("pusher-js/dist/web/pusher.min.js") });

    const created = await page.evaluate(async () => {
      const r = await fetch("/api/conversations", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ member_ids: ["u_authjs_bob"] }),
      });
      return { status: r.status, body: await r.json() };
    });
    assert.ok([200, 201].includes(created.status), JSON.stringify(created));
    const id = created.body.conversation.id;

    // pusher-js's own auth request, carrying the cookie as a browser does.
    const subscribed = await page.evaluate(
      ({ key, port, id }) =>
        new Promise((resolve) => {
          window.received = [];
          const client = new window.Pusher(key, {
            cluster: "mt1",
            wsHost: "127.0.0.1",
            wsPort: port,
            forceTLS: false,
            enabledTransports: ["ws"],
            channelAuthorization: { endpoint: "/api/pusher/auth", transport: "ajax" },
          });
          const channel = client.subscribe(`private-conversation-${id}`);
          channel.bind("new-message", (m) => window.received.push(m));
          channel.bind("pusher:subscription_succeeded", () => resolve("ok"));
          channel.bind("pusher:subscription_error", (e) => resolve(`refused: ${JSON.stringify(e)}`));
        }),
      { key: SECRETS.key, port: PORTS.sockudo, id },
    );
    assert.equal(subscribed, "ok");

    const sent = await page.evaluate(async (id) => {
      const r = await fetch("/api/messages/send", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ conversation_id: id, body: "hello from an Auth.js session", client_message_id: crypto.randomUUID() }),
      });
      return { status: r.status, body: await r.json() };
    }, id);
    assert.equal(sent.status, 201, JSON.stringify(sent));
    assert.equal(sent.body.message.sender.id, "u_authjs_e2e");

    const peer = await call("/api/messages/send", {
      cookie: cookieOf("u_authjs_bob"),
      origin: stack.base,
      method: "POST",
      body: { conversation_id: id, body: "hi back", client_message_id: "bob-1" },
    });
    assert.equal(peer.status, 201, JSON.stringify(peer));
    await eventually(
      async () => (await page.evaluate(() => window.received.map((m) => m.body))).includes("hi back"),
      "the browser never got its peer's message live",
    );

    const history = await page.evaluate(async (id) => (await fetch(`/api/messages/history?conversation_id=${id}`)).json(), id);
    assert.deepEqual(history.messages.map((m) => m.body), ["hello from an Auth.js session", "hi back"]);

    // The same cookie from another site's page: refused, nothing stored.
    const forged = await call("/api/messages/send", {
      cookie: cookieOf("u_authjs_e2e"),
      origin: "https://evil.example",
      method: "POST",
      body: { conversation_id: id, body: "cross-site" },
    });
    assert.equal(forged.status, 403);
    const after = await call(`/api/messages/history?conversation_id=${id}`, { cookie: cookieOf("u_authjs_bob") });
    assert.equal(after.body.messages.length, 2);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test("pusher-js with an RS256 token from a JWKS issuer subscribes, and hears what is sent", async () => {
  const token = (user) => oidc.e2e.users[user];
  assert.equal((await call("/api/conversations", { bearer: token("u_oidc_bob") })).status, 200);
  const created = await call("/api/conversations", {
    bearer: token("u_oidc_e2e"),
    method: "POST",
    body: { member_ids: ["u_oidc_bob"] },
  });
  assert.ok([200, 201].includes(created.status), JSON.stringify(created));
  const id = created.body.conversation.id;
  const Pusher = webRequire("pusher-js");
  const client = new Pusher(SECRETS.key, {
    cluster: "mt1",
    wsHost: "127.0.0.1",
    wsPort: PORTS.sockudo,
    forceTLS: false,
    enabledTransports: ["ws"],
    channelAuthorization: {
      endpoint: `${stack.base}/api/pusher/auth`,
      transport: "ajax",
      headers: { Authorization: `Bearer ${token("u_oidc_bob")}` },
    },
  });
  try {
    await waitFor(client.connection, "connected", 10_000);
    const channel = await subscribe(client, `private-conversation-${id}`, 10_000);
    const got = [];
    channel.bind("new-message", (m) => got.push(m));
    const sent = await call("/api/messages/send", {
      bearer: token("u_oidc_e2e"),
      method: "POST",
      body: { conversation_id: id, body: "from an OIDC session" },
    });
    assert.equal(sent.status, 201, JSON.stringify(sent));
    await eventually(() => got.some((m) => m.body === "from an OIDC session"), "no live message over pusher-js");
    // Not a member: the same channel is refused for someone else's token.
    const outsider = await call("/api/pusher/auth", {
      bearer: token("u_oidc_e2e").slice(0, -4) + "AAAA",
      method: "POST",
      body: { socket_id: "1.1", channel_name: `private-conversation-${id}` },
    });
    assert.equal(outsider.status, 401);
  } finally {
    client.disconnect();
  }
});
