// Known answers from the official Pusher Node library (pusher 5.3.4, pinned in package-lock.json) for
// the conformance test (tests/pusher_conformance.rs). Every `expected` value is what the library
// produced: its REST requests are captured by a local HTTP server, with the clock fixed at
// AUTH_TIMESTAMP and encryption nonces drawn from a counting PRNG, so each run writes the same file.
//
//   cd tools/pusher-vectors && npm ci && node generate.mjs [out.json]   (default: ../../tests/conformance/vectors.json)
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const Pusher = require("pusher");
const LIBRARY_VERSION = require("pusher/package.json").version;
// The library's own tweetnacl: setPRNG there is what its encryption draws nonces from.
const nacl = createRequire(require.resolve("pusher")).call(null, "tweetnacl");

const AUTH_TIMESTAMP = 1764547200; // 2025-12-01T00:00:00Z
const credentials = {
  app_id: "4242",
  key: "3b1f0e9d8c7a6b5d4e3f",
  secret: "9c8b7a6f5e4d3c2b1a09",
  cluster: "eu",
  production_host: "api-eu.pusher.com",
  encryption_master_key_base64: Buffer.from(Array.from({ length: 32 }, (_, i) => (0xa0 + i * 7) & 0xff)).toString("base64"),
};
credentials.encryption_master_key_hex = Buffer.from(credentials.encryption_master_key_base64, "base64").toString("hex");

// Nonces: 24 bytes counting up from a per-run start, so each sealed event gets a distinct, known nonce.
let nonceByte = 0x30;
nacl.setPRNG((out, n) => {
  for (let i = 0; i < n; i++) out[i] = nonceByte++ & 0xff;
});

// ---- REST: capture what the library sends ----

const captured = [];
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    captured.push({ method: req.method, url: req.url, body: body === "" ? null : body, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const pusher = new Pusher({
  appId: credentials.app_id,
  key: credentials.key,
  secret: credentials.secret,
  host: "127.0.0.1",
  port: server.address().port,
  useTLS: false,
  encryptionMasterKeyBase64: credentials.encryption_master_key_base64,
});

const realNow = Date.now;
async function capture(call) {
  captured.length = 0;
  Date.now = () => AUTH_TIMESTAMP * 1000 + 789;
  try {
    await call();
  } finally {
    Date.now = realNow;
  }
  assert.equal(captured.length, 1, "one request per call");
  return captured[0];
}

const md5 = (s) => createHash("md5").update(s).digest("hex");
const hmac = (s) => createHmac("sha256", credentials.secret).update(s).digest("hex");

/** The captured request, with the signing steps reconstructed and checked against the library's signature. */
function described(request) {
  const [path, query] = request.url.split("?");
  const pairs = query.split("&").map((kv) => {
    const i = kv.indexOf("=");
    return [kv.slice(0, i), kv.slice(i + 1)];
  });
  const signature = pairs.pop();
  assert.equal(signature[0], "auth_signature", "auth_signature comes last");
  const signedQuery = pairs.map(([k, v]) => `${k}=${v}`).join("&");
  const stringToSign = `${request.method}\n${path}\n${signedQuery}`;
  assert.equal(hmac(stringToSign), signature[1], "the reconstructed string_to_sign reproduces the library's signature");
  if (request.body !== null) assert.equal(pairs.find(([k]) => k === "body_md5")?.[1], md5(request.body));
  return {
    method: request.method,
    path,
    body: request.body,
    body_md5: request.body === null ? null : md5(request.body),
    signed_query_params: pairs,
    string_to_sign: stringToSign,
    auth_signature: signature[1],
    query_string: query,
    path_and_query: request.url,
    headers: { "content-type": request.headers["content-type"] ?? null, "x-pusher-library": request.headers["x-pusher-library"] ?? null },
  };
}

const rest = {};
async function restVector(id, description, inputs, call, extra) {
  const expected = described(await capture(call));
  rest[id] = { description, inputs: { auth_timestamp: AUTH_TIMESTAMP, ...inputs }, expected: extra ? { ...expected, ...extra(expected) } : expected };
}

function trigger(id, description, channels, event, data, params = null) {
  return restVector(id, description, { call: "trigger", channels, event, data, params }, () =>
    params ? pusher.trigger(channels, event, data, params) : pusher.trigger(channels, event, data),
  );
}

await trigger(
  "trigger_one_channel_unicode",
  "pusher.trigger(channel, event, data) with non-ASCII text: data is JSON.stringify(data) inside the JSON body (UTF-8, not escaped); `channels` is always an array.",
  ["private-conversation-7"],
  "new-message",
  { id: 901, seq: 12, body: "Grüße, 先生! ✓ 👍", sender: { id: "u_student", name: "Zoë" } },
);
await trigger(
  "trigger_string_data",
  "pusher.trigger with data that is already a string: JSON.stringify still quotes it once.",
  ["public-room"],
  "notice",
  'He said "hi" \\ then left',
);
await trigger(
  "trigger_socket_id",
  "pusher.trigger with {socket_id}: the sender's socket is left out; socket_id goes in the body after channels.",
  ["private-conversation-7", "private-user-u_teacher"],
  "conversation-updated",
  { conversation_id: 7, seq: 13 },
  { socket_id: "98765.4321" },
);
await trigger(
  "trigger_info_and_socket_id",
  "pusher.trigger with both {info, socket_id}: the library spreads params into the body after name, data and channels, in the caller's key order; this call (and our client) puts info first.",
  ["presence-conversation-7"],
  "typing",
  { user_id: "u_student", name: "Sam" },
  { info: "user_count,subscription_count", socket_id: "1.2" },
);
await trigger(
  "trigger_info_only",
  "pusher.trigger with {info} only: info goes in the JSON body, not the query string.",
  ["private-conversation-7"],
  "reaction-updated",
  { message_id: 901, reactions: [{ emoji: "🎉", count: 2 }] },
  { info: "subscription_count" },
);
await trigger(
  "trigger_max_channels",
  "pusher.trigger to 100 channels, the most the library allows in one call.",
  Array.from({ length: 100 }, (_, i) => `private-user-u${i}`),
  "broadcast",
  { n: 100 },
);
const batch = [
  { channel: "private-conversation-7", name: "new-message", data: { id: 902, body: "één" } },
  { channel: "private-user-u_teacher", name: "conversation-updated", data: { conversation_id: 7 }, socket_id: "98765.4321" },
  { channel: "presence-conversation-7", name: "typing", data: "u_student", info: "user_count" },
  { channel: "private-encrypted-notes-7", name: "secret", data: { text: "sealed ✓" } },
];
await restVector(
  "trigger_batch_mixed",
  "pusher.triggerBatch: POST /batch_events {batch:[...]}; each event's data is JSON-encoded (sealed for private-encrypted- channels); socket_id and info ride along per event.",
  { call: "triggerBatch", batch },
  () => pusher.triggerBatch(batch.map((e) => ({ ...e }))),
);
await restVector(
  "get_channel_with_info",
  "pusher.get({path: '/channels/<name>', params: {info}}): GET without a body has no body_md5; params are signed and sent as given.",
  { call: "get", path: "/channels/presence-conversation-7", params: { info: "user_count,subscription_count" } },
  () => pusher.get({ path: "/channels/presence-conversation-7", params: { info: "user_count,subscription_count" } }),
);
await restVector(
  "get_channels_prefix",
  "pusher.get({path: '/channels', params: {filter_by_prefix, info}}): params sorted by key with the auth params.",
  { call: "get", path: "/channels", params: { filter_by_prefix: "presence-", info: "user_count" } },
  () => pusher.get({ path: "/channels", params: { filter_by_prefix: "presence-", info: "user_count" } }),
);
await restVector(
  "get_presence_users",
  "pusher.get({path: '/channels/<presence>/users'}) with no params.",
  { call: "get", path: "/channels/presence-conversation-7/users", params: null },
  () => pusher.get({ path: "/channels/presence-conversation-7/users" }),
);
await restVector(
  "terminate_connections",
  "pusher.terminateUserConnections(userId): POST /users/<id>/terminate_connections with body '{}'.",
  { call: "terminateUserConnections", user_id: "u_outsider" },
  () => pusher.terminateUserConnections("u_outsider"),
);
await restVector(
  "send_to_user",
  "pusher.sendToUser(userId, event, data): POST /events on '#server-to-user-<id>'.",
  { call: "sendToUser", user_id: "u_teacher", event: "notification", data: { unread: 2 } },
  () => pusher.sendToUser("u_teacher", "notification", { unread: 2 }),
);
{
  const nonceStart = nonceByte;
  const channel = "private-encrypted-notes-7";
  const data = { text: "only members read this ✓" };
  await restVector(
    "trigger_encrypted",
    "pusher.trigger on a private-encrypted- channel: data = JSON.stringify({nonce, ciphertext}) with secretbox under sha256(channel || master key); the nonce comes from the generator's counting PRNG.",
    { call: "trigger", channels: [channel], event: "secret", data, params: null },
    () => pusher.trigger(channel, "secret", data),
    () => {
      const nonce = Buffer.from(Array.from({ length: 24 }, (_, i) => (nonceStart + i) & 0xff));
      const sealed = JSON.parse(JSON.parse(captured[0].body).data);
      assert.equal(sealed.nonce, nonce.toString("base64"));
      return {
        encryption: {
          nonce_base64: sealed.nonce,
          nonce_hex: nonce.toString("hex"),
          ciphertext_base64: sealed.ciphertext,
          plaintext: JSON.stringify(data),
          shared_secret_hex: Buffer.from(pusher.channelSharedSecret(channel)).toString("hex"),
        },
      };
    },
  );
}
{
  Date.now = () => AUTH_TIMESTAMP * 1000;
  const options = { method: "POST", path: `/apps/${credentials.app_id}/events`, body: '{"name":"e","channels":["c"],"data":"{}"}', params: { zz: "last", a_first: "1", "m-mid": "x y" } };
  const query = pusher.createSignedQueryString(options);
  Date.now = realNow;
  rest.signed_query_string_extra_params = {
    description: "pusher.createSignedQueryString({method, path, body, params}): extra params merged with the auth params and sorted by key; values are not escaped.",
    inputs: { auth_timestamp: AUTH_TIMESTAMP, ...options },
    expected: { query_string: query },
  };
}
// ---- Channel authorization and user authentication ----

function authVector(description, inputs, response, stringToSign) {
  const [, signature] = response.auth.split(":");
  assert.equal(hmac(stringToSign), signature);
  return { description, inputs, expected: { string_to_sign: stringToSign, response, response_json: JSON.stringify(response) } };
}
const auth = {
  private_conversation: authVector(
    "pusher.authorizeChannel(socket_id, channel): auth = key:HMAC-SHA256(secret, socket_id:channel).",
    { socket_id: "98765.4321", channel_name: "private-conversation-7" },
    pusher.authorizeChannel("98765.4321", "private-conversation-7"),
    "98765.4321:private-conversation-7",
  ),
  presence_unicode: (() => {
    const channelData = { user_id: "u_student", user_info: { name: "Zoë Ü", role: "student" } };
    return authVector(
      "pusher.authorizeChannel(socket_id, presence channel, channel_data): channel_data = JSON.stringify(obj), non-ASCII kept as UTF-8, and signed after the channel.",
      { socket_id: "1.2", channel_name: "presence-conversation-7", channel_data: channelData },
      pusher.authorizeChannel("1.2", "presence-conversation-7", channelData),
      `1.2:presence-conversation-7:${JSON.stringify(channelData)}`,
    );
  })(),
  user_signin: (() => {
    const userData = { id: "u_teacher", user_info: { name: "Taylor" } };
    return authVector(
      "pusher.authenticateUser(socket_id, user_data) for pusher:signin: signs socket_id::user::JSON.stringify(user_data).",
      { socket_id: "55.66", user_data: userData },
      pusher.authenticateUser("55.66", userData),
      `55.66::user::${JSON.stringify(userData)}`,
    );
  })(),
  encrypted_channel: authVector(
    "pusher.authorizeChannel on a private-encrypted- channel: the auth as for private, plus shared_secret = base64(sha256(channel || master key)), not signed.",
    { socket_id: "98765.4321", channel_name: "private-encrypted-notes-7" },
    pusher.authorizeChannel("98765.4321", "private-encrypted-notes-7"),
    "98765.4321:private-encrypted-notes-7",
  ),
};

// ---- Webhooks ----

const webhookBody = JSON.stringify({
  time_ms: AUTH_TIMESTAMP * 1000 + 321,
  events: [
    { name: "member_added", channel: "presence-conversation-7", user_id: "u_student" },
    { name: "member_removed", channel: "presence-conversation-7", user_id: "u_teacher" },
  ],
});
const goodSignature = hmac(webhookBody);
function webhookVector(description, headers, rawBody) {
  const webhook = pusher.webhook({ headers, rawBody });
  const valid = webhook.isValid();
  const expected = { valid, expected_signature_for_body: hmac(rawBody) };
  if (valid) Object.assign(expected, { events: webhook.getEvents(), time_ms: webhook.getData().time_ms });
  return { description, inputs: { headers, raw_body: rawBody }, expected };
}
const json = "application/json";
const webhooks = {
  valid_presence: webhookVector(
    "A correctly signed presence webhook: signature = hex(HMAC-SHA256(secret, raw body)).",
    { "x-pusher-key": credentials.key, "x-pusher-signature": goodSignature, "content-type": json },
    webhookBody,
  ),
  body_changed: webhookVector(
    "The body changed after signing (one user id differs).",
    { "x-pusher-key": credentials.key, "x-pusher-signature": goodSignature, "content-type": json },
    webhookBody.replace("u_teacher", "u_teachers"),
  ),
  other_secret: webhookVector(
    "Signed with another secret.",
    { "x-pusher-key": credentials.key, "x-pusher-signature": createHmac("sha256", "not-the-secret").update(webhookBody).digest("hex"), "content-type": json },
    webhookBody,
  ),
  other_key: webhookVector(
    "X-Pusher-Key names another app, although the signature is right.",
    { "x-pusher-key": "ffffffffffffffffffff", "x-pusher-signature": goodSignature, "content-type": json },
    webhookBody,
  ),
  uppercase_hex: webhookVector(
    "The signature in uppercase hex: the library compares strings exactly.",
    { "x-pusher-key": credentials.key, "x-pusher-signature": goodSignature.toUpperCase(), "content-type": json },
    webhookBody,
  ),
  content_type_charset: webhookVector(
    "content-type with a charset parameter: the library wants exactly application/json.",
    { "x-pusher-key": credentials.key, "x-pusher-signature": goodSignature, "content-type": "application/json; charset=utf-8" },
    webhookBody,
  ),
};
assert.equal(webhooks.valid_presence.expected.valid, true);

// ---- Encryption ----

const encryption = {
  shared_secret_notes: (() => {
    const channel = "private-encrypted-notes-7";
    const secret = Buffer.from(pusher.channelSharedSecret(channel));
    return {
      description: "pusher.channelSharedSecret(channel) = sha256(utf8(channel) || master key bytes).",
      inputs: { channel_name: channel, encryption_master_key_base64: credentials.encryption_master_key_base64 },
      expected: { shared_secret_base64: secret.toString("base64"), shared_secret_hex: secret.toString("hex") },
    };
  })(),
};

// ---- Validation: what the library refuses, with its message ----

const validation = [];
const accepted = [];
function refuses(call, args, run, description) {
  let throws = null;
  try {
    // An accepted trigger sends a request (to the capture server); its answer does not matter here.
    const result = run();
    if (result && typeof result.then === "function") accepted.push(result.catch(() => null));
  } catch (error) {
    throws = error.message;
  }
  validation.push({ call, args, throws, ...(description ? { description } : {}) });
}
refuses("authorizeChannel", ["12.34.56", "private-conversation-7"], () => pusher.authorizeChannel("12.34.56", "private-conversation-7"));
refuses("authorizeChannel", [" 1.2", "private-conversation-7"], () => pusher.authorizeChannel(" 1.2", "private-conversation-7"));
refuses("authorizeChannel", ["1.2", "private-conversation-7 "], () => pusher.authorizeChannel("1.2", "private-conversation-7 "));
refuses("authorizeChannel", ["1.2", "private-ü"], () => pusher.authorizeChannel("1.2", "private-ü"));
refuses("authorizeChannel", ["1.2", "private-a;b"], () => pusher.authorizeChannel("1.2", "private-a;b"));
refuses("authorizeChannel", ["1.2", "presence-ok_=@,.;-x"], () => pusher.authorizeChannel("1.2", "presence-ok_=@,.;-x"), "every punctuation mark the library allows");
refuses("authenticateUser", ["1.2", { id: "" }], () => pusher.authenticateUser("1.2", { id: "" }));
refuses("trigger", ["<101 channels>", "e", "d"], () => pusher.trigger(Array.from({ length: 101 }, (_, i) => `c${i}`), "e", "d"));
refuses("trigger", ["ok", "<200-char event name>", "d"], () => pusher.trigger("ok", "a".repeat(200), "d"), "200 characters is still allowed");
refuses("trigger", ["ok", "<201-char event name>", "d"], () => pusher.trigger("ok", "a".repeat(201), "d"));
refuses("trigger", ["ok", "e", "d", { socket_id: "1.2.3" }], () => pusher.trigger("ok", "e", "d", { socket_id: "1.2.3" }));
refuses("trigger", [["private-encrypted-a", "private-encrypted-b"], "e", "d"], () => pusher.trigger(["private-encrypted-a", "private-encrypted-b"], "e", "d"));
refuses("createSignedQueryString", [{ method: "GET", path: "/x", params: { auth_signature: "nope" } }], () =>
  pusher.createSignedQueryString({ method: "GET", path: "/x", params: { auth_signature: "nope" } }),
);
refuses("createSignedQueryString", [{ method: "GET", path: "/x", params: { body_md5: "nope" } }], () =>
  pusher.createSignedQueryString({ method: "GET", path: "/x", params: { body_md5: "nope" } }),
);
await Promise.all(accepted);
server.close();

const out = {
  schema_version: 1,
  set: "repo",
  description: "The repository's own vector set: non-ASCII payloads, a trigger with both info and socket_id, 100 channels, a mixed batch with a sealed event, presence webhooks, EU cluster credentials",
  generator: {
    script: "tools/pusher-vectors/generate.mjs",
    library: `pusher (npm) ${LIBRARY_VERSION}`,
    node: process.version,
    notes: "All `expected` values come from the official library; string_to_sign and signed_query_params are reconstructed from the captured request and checked to reproduce the library's auth_signature. Requests were captured on 127.0.0.1: host and port never enter a signature.",
  },
  credentials,
  rest,
  auth,
  webhooks,
  encryption,
  validation,
};
const target = resolve(process.argv[2] ?? join(here, "../../tests/conformance/vectors.json"));
writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${target}: ${Object.keys(rest).length} rest, ${Object.keys(auth).length} auth, ${Object.keys(webhooks).length} webhooks, ${validation.length} validation entries`);
