// The app's session token (app/_lib/session-token.ts) is the one our Rust functions verify: HS256 over
// the same claims. Checked against an independent HMAC here; the functions accepting it is shown end to
// end by tests/vercel/vercel-dev.test.mjs (a cookie from /api/session opens /api/conversations).
// Run with --conditions=react-server (scripts/test does): the module is marked server-only.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { before, test } from "node:test";
import { pathToFileURL } from "node:url";

const ROOT = new URL("../../", import.meta.url);
const SECRET = "a-test-session-secret-of-at-least-32-bytes";
let token;

before(async () => {
  process.env.SESSION_SECRET = SECRET;
  const require = createRequire(new URL("package.json", ROOT));
  const tsxPackage = require.resolve("tsx/package.json");
  const { tsImport } = await import(new URL(require(tsxPackage).exports["./esm/api"].import.default, pathToFileURL(tsxPackage)).href);
  token = await tsImport(new URL("app/_lib/session-token.ts", ROOT).href, import.meta.url);
});

const user = { id: "u_student", name: "Zoë Student", role: "student" };

test("an issued token is an HS256 JWT with sub, exp, name and role, signed with SESSION_SECRET", () => {
  const now = Date.UTC(2026, 0, 1);
  const jwt = token.issueSessionToken(user, 3600, now);
  const [header, payload, signature] = jwt.split(".");
  assert.deepEqual(JSON.parse(Buffer.from(header, "base64url")), { alg: "HS256", typ: "JWT" });
  assert.deepEqual(JSON.parse(Buffer.from(payload, "base64url")), { sub: "u_student", exp: now / 1000 + 3600, name: "Zoë Student", role: "student" });
  assert.equal(signature, createHmac("sha256", SECRET).update(`${header}.${payload}`).digest("base64url"));
  assert.deepEqual(token.verifySessionToken(jwt, now), user);
});

test("verification refuses expired, tampered, foreign and unsigned tokens", () => {
  const now = Date.UTC(2026, 0, 1);
  const jwt = token.issueSessionToken(user, 60, now);
  assert.equal(token.verifySessionToken(jwt, now + 61_000), null, "expired");
  const [header, payload, signature] = jwt.split(".");
  const other = Buffer.from(JSON.stringify({ sub: "u_teacher", exp: now / 1000 + 60 })).toString("base64url");
  assert.equal(token.verifySessionToken(`${header}.${other}.${signature}`, now), null, "payload swapped");
  const foreign = createHmac("sha256", "another-secret-of-at-least-32-bytes!!").update(`${header}.${payload}`).digest("base64url");
  assert.equal(token.verifySessionToken(`${header}.${payload}.${foreign}`, now), null, "another secret");
  const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
  assert.equal(token.verifySessionToken(`${none}.${payload}.`, now), null, "alg none");
  assert.equal(token.verifySessionToken("not-a-jwt", now), null);
});

test("a short SESSION_SECRET is refused, as the functions refuse it", () => {
  process.env.SESSION_SECRET = "too-short";
  try {
    assert.throws(() => token.issueSessionToken(user, 60), /SESSION_SECRET/);
  } finally {
    process.env.SESSION_SECRET = SECRET;
  }
});
