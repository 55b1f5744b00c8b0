// Mints known-answer session tokens with the real libraries, for the Rust verifier's tests:
//   cd tools/auth-vectors && npm ci && npm run mint     (writes tests/auth/vectors.json)
//
// Every token is minted by the library that mints it in a real app (Auth.js v5's
// @auth/core, next-auth@4, jose for Clerk/Supabase/OIDC-style JWS, @supabase/ssr
// for its cookie encoding and chunking), and every verdict is cross-checked with
// the library's own decoder where it has one ("library" in each case).
// Keys are random per run; the file records the public halves and the secrets
// (test-only values). `now` is when the file was minted: the Rust test runs its
// verifier with that clock, so "valid" stays valid and "expired" stays expired.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import nodeCrypto from "node:crypto";
import * as authjs from "@auth/core/jwt";
import * as jose from "jose";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const nextauth4 = require("next-auth/jwt");
const { SessionStore: AuthJsStore } = await import(
  path.join(here, "node_modules/@auth/core/lib/utils/cookie.js")
);
const { SessionStore: NextAuth4Store } = require(
  path.join(here, "node_modules/next-auth/core/lib/cookie.js")
);
const supabaseUtils = require(path.join(here, "node_modules/@supabase/ssr/dist/main/utils/index.js"));
const pkg = (name) => require(path.join(here, "node_modules", name, "package.json")).version;

const now = Math.floor(Date.now() / 1000);
const HOUR = 3600;
const FAR = 100 * 365 * 24 * HOUR; // for the end-to-end tests, which run on the real clock
const quiet = { debug() {}, warn() {}, error() {} };

/** Flips one character in the middle of a segment (ciphertext or signature). */
function tamper(token, segment) {
  const parts = token.split(".");
  const s = parts[segment];
  const i = Math.floor(s.length / 2);
  parts[segment] = s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
  return parts.join(".");
}

async function accepted(fn) {
  try {
    return (await fn()) != null;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- Auth.js v5
const AUTH_SECRET = "authjs-test-secret-0123456789abcdefghijklmnopqrstuv";
const AUTH_SECRET_OLD = "authjs-old-secret-previous-rotation-0123456789abcdef";
const authUser = {
  sub: "u_authjs_alice",
  name: "Alice Authjs",
  email: "alice@example.com",
  picture: null,
  role: "teacher",
};

async function authjsVectors() {
  const plain = "authjs.session-token";
  const secure = "__Secure-authjs.session-token";
  const cases = [];
  const mk = async (label, opts, cookieName, decodeSecrets, expect, alter) => {
    let jwt = await authjs.encode({ token: opts.token ?? authUser, secret: opts.secret ?? AUTH_SECRET, salt: opts.salt ?? cookieName, maxAge: opts.maxAge ?? HOUR });
    if (alter) jwt = alter(jwt);
    const library = await accepted(() => authjs.decode({ token: jwt, secret: decodeSecrets, salt: cookieName }));
    const store = new AuthJsStore({ name: cookieName, options: { secure: cookieName.startsWith("__Secure-") } }, {}, quiet);
    const cookies = store.chunk(jwt, {}).map((c) => ({ name: c.name, value: c.value }));
    cases.push({ label, cookies, expect, library, header: jose.decodeProtectedHeader(jwt) });
  };
  const current = [AUTH_SECRET];
  const rotated = [AUTH_SECRET, AUTH_SECRET_OLD];
  await mk("valid", {}, plain, current, { sub: authUser.sub, name: authUser.name, role: "teacher" });
  await mk("valid under the __Secure- name", {}, secure, current, { sub: authUser.sub });
  await mk("expired an hour ago", { maxAge: -HOUR }, plain, current, null);
  await mk("expired 10 s ago (inside the 15 s tolerance)", { maxAge: -10 }, plain, current, { sub: authUser.sub });
  await mk("tampered ciphertext", {}, plain, current, null, (t) => tamper(t, 3));
  await mk("tampered tag", {}, plain, current, null, (t) => tamper(t, 4));
  await mk("wrong secret", { secret: "somebody-elses-secret-0123456789abcdefghijkl" }, plain, current, null);
  await mk("minted with the old secret, verifier knows it (rotation)", { secret: AUTH_SECRET_OLD }, plain, rotated, { sub: authUser.sub }, null);
  await mk("minted with the old secret, verifier has dropped it", { secret: AUTH_SECRET_OLD }, plain, current, null);
  await mk("salted for another cookie name", { salt: secure }, plain, current, null);
  await mk(
    "chunked (a large session)",
    { token: { ...authUser, groups: Array.from({ length: 400 }, (_, i) => `group-${i}-with-a-long-name`) } },
    plain,
    current,
    { sub: authUser.sub },
  );
  await mk("no sub claim", { token: { name: "Nobody" } }, plain, current, null);
  // Rotation cases are checked against [current, old]; the rest against [current].
  for (const c of cases) c.secrets = c.label.includes("verifier knows it") ? "current+old" : "current";
  const e2e = await authjs.encode({
    token: { sub: "u_authjs_e2e", name: "Erin Authjs", email: "erin@example.com", role: "student" },
    secret: AUTH_SECRET,
    salt: plain,
    maxAge: FAR,
  });
  const e2eOther = await authjs.encode({
    token: { sub: "u_authjs_bob", name: "Bob Authjs", email: "bob@example.com", role: "teacher" },
    secret: AUTH_SECRET,
    salt: plain,
    maxAge: FAR,
  });
  return {
    library: `@auth/core ${pkg("@auth/core")}`,
    secret: AUTH_SECRET,
    old_secret: AUTH_SECRET_OLD,
    cases,
    e2e: { cookie_name: plain, users: { u_authjs_e2e: e2e, u_authjs_bob: e2eOther } },
  };
}

// ---------------------------------------------------------------- NextAuth v4
const NEXTAUTH_SECRET = "nextauth4-test-secret-0123456789abcdefghijklmnop";

async function nextauth4Vectors() {
  const plain = "next-auth.session-token";
  const cases = [];
  const user = { sub: "u_nextauth_bob", name: "Bob Nextauth", email: "bob@example.org", role: "student" };
  const mk = async (label, opts, cookieName, expect, alter) => {
    let jwt = await nextauth4.encode({ token: opts.token ?? user, secret: opts.secret ?? NEXTAUTH_SECRET, maxAge: opts.maxAge ?? HOUR });
    if (alter) jwt = alter(jwt);
    const library = await accepted(() => nextauth4.decode({ token: jwt, secret: NEXTAUTH_SECRET }));
    const store = new NextAuth4Store({ name: cookieName, options: {} }, { cookies: {}, headers: {} }, quiet);
    const cookies = store.chunk(jwt, {}).map((c) => ({ name: c.name, value: c.value }));
    cases.push({ label, cookies, expect, library, header: jose.decodeProtectedHeader(jwt), secrets: "current" });
  };
  await mk("valid", {}, plain, { sub: user.sub, name: user.name, role: "student" });
  await mk("valid under the __Secure- name", {}, "__Secure-next-auth.session-token", { sub: user.sub });
  await mk("expired an hour ago", { maxAge: -HOUR }, plain, null);
  await mk("tampered ciphertext", {}, plain, null, (t) => tamper(t, 3));
  await mk("tampered tag", {}, plain, null, (t) => tamper(t, 4));
  await mk("wrong secret", { secret: "another-nextauth-secret-0123456789abcdefgh" }, plain, null);
  await mk(
    "chunked (a large session)",
    { token: { ...user, groups: Array.from({ length: 400 }, (_, i) => `group-${i}-with-a-long-name`) } },
    plain,
    { sub: user.sub },
  );
  return { library: `next-auth ${pkg("next-auth")}`, secret: NEXTAUTH_SECRET, cases };
}

// ---------------------------------------------------------------- JWS issuers
async function keypair(alg, kid) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: "sig" };
  return { alg, kid, publicKey, privateKey, jwk, pem: await jose.exportSPKI(publicKey) };
}

async function sign(key, claims, { alg = key.alg, kid = key.kid, secret } = {}) {
  const jwt = new jose.SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", ...(kid ? { kid } : {}) });
  return jwt.sign(secret ?? key.privateKey);
}

function unsignedNone(claims) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
}

/** Signs with the RSA key but another hash than its `alg` (jose refuses to, on purpose). */
function rsWithHash(key, claims, alg, hash) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const input = `${b64({ alg, typ: "JWT", kid: key.kid })}.${b64(claims)}`;
  const sig = nodeCrypto.sign(hash, Buffer.from(input), nodeCrypto.KeyObject.from(key.privateKey));
  return `${input}.${sig.toString("base64url")}`;
}

/** Signs HS256 with the public key's PEM text as the secret: the classic algorithm confusion. */
async function confused(key, claims) {
  return sign(key, claims, { alg: "HS256", secret: new TextEncoder().encode(key.pem) });
}

async function verifies(token, keyLike, options) {
  return accepted(() => jose.jwtVerify(token, keyLike, options));
}

async function clerkVectors() {
  const key = await keypair("RS256", "ins_2testClerkKey");
  const other = await keypair("RS256", "ins_2testClerkKey");
  const iss = "https://clerk.example.dev";
  const azp = "https://app.example.com";
  const claims = (extra = {}) => ({
    sub: "user_2clerkCarol",
    iss,
    azp,
    sid: "sess_2abc",
    iat: now - 10,
    nbf: now - 10,
    exp: now + 60,
    name: "Carol Clerk",
    metadata: { role: "teacher" },
    ...extra,
  });
  const jwks = jose.createLocalJWKSet({ keys: [key.jwk] });
  const cases = [];
  const add = async (label, token, expect, where = "bearer") => {
    const library = await verifies(token, jwks, { issuer: iss, algorithms: ["RS256"], currentDate: new Date(now * 1000), clockTolerance: 5 });
    cases.push({ label, token, where, expect, library });
  };
  await add("valid (Bearer)", await sign(key, claims()), { sub: "user_2clerkCarol", name: "Carol Clerk", role: "teacher" });
  await add("valid (__session cookie)", await sign(key, claims()), { sub: "user_2clerkCarol" }, "cookie");
  await add("expired", await sign(key, claims({ exp: now - 120 })), null);
  await add("not yet valid", await sign(key, claims({ nbf: now + 120 })), null);
  await add("tampered signature", tamper(await sign(key, claims()), 2), null);
  await add("tampered payload", (await sign(key, claims())).replace(/\.([^.]+)\./, (m, p) => `.${Buffer.from(JSON.stringify({ ...claims(), sub: "user_mallory" })).toString("base64url")}.`), null);
  await add("signed by another key with the same kid", await sign(other, claims()), null);
  await add("HS256 signed with the public key as secret", await confused(key, claims()), null);
  await add("alg none", unsignedNone(claims()), null);
  const wrongAzp = await sign(key, claims({ azp: "https://evil.example" }));
  cases.push({ label: "azp not an authorized party", token: wrongAzp, where: "bearer", expect: null, library: "azp is checked by @clerk/backend, not jose" });
  await add("no role claim (default role applies)", await sign(key, claims({ metadata: {} })), { sub: "user_2clerkCarol", role: "student" });
  return {
    library: `jose ${pkg("jose")} (Clerk's session token shape: RS256, kid, azp, metadata.role)`,
    pem: key.pem,
    jwks: { keys: [key.jwk] },
    issuer: iss,
    authorized_parties: [azp, "http://localhost:3000"],
    role_claim: "metadata.role",
    default_role: "student",
    cases,
  };
}

async function supabaseVectors() {
  const secret = "supabase-legacy-jwt-secret-0123456789abcdefghijklmn";
  const secretKey = new TextEncoder().encode(secret);
  const es = await keypair("ES256", "b7f1c2d3-supabase-es256");
  const ref = "abcdefghijklmnopqrst";
  const url = `https://${ref}.supabase.co`;
  const iss = `${url}/auth/v1`;
  const claims = (extra = {}) => ({
    sub: "8b4a5c1e-0d6f-4b7e-9a21-3c5d7e9f1a2b",
    aud: "authenticated",
    role: "authenticated",
    iss,
    iat: now - 10,
    exp: now + HOUR,
    email: "dana.supa@example.net",
    app_metadata: { provider: "email", role: "teacher" },
    user_metadata: { role: "admin", full_name: "Dana Supa" },
    ...extra,
  });
  const hs = (c) => new jose.SignJWT(c).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secretKey);
  const cases = [];
  const add = async (label, token, expect, extra = {}) => {
    const library = await accepted(async () => {
      const header = jose.decodeProtectedHeader(token);
      const key = header.alg === "ES256" ? es.publicKey : secretKey;
      return jose.jwtVerify(token, key, { audience: "authenticated", currentDate: new Date(now * 1000), algorithms: [header.alg === "ES256" ? "ES256" : "HS256"] });
    });
    cases.push({ label, token, where: "bearer", expect, library, ...extra });
  };
  // The display name falls back to the e-mail's local part: Supabase has no `name` claim.
  const dana = { sub: claims().sub, name: "dana.supa", role: "teacher" };
  await add("valid HS256 (legacy secret)", await hs(claims()), dana);
  await add("valid ES256 (JWKS)", await sign(es, claims()), dana);
  await add("expired", await hs(claims({ exp: now - 120 })), null);
  await add("wrong secret", await new jose.SignJWT(claims()).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("not-the-supabase-secret-0123456789abcdefghij")), null);
  await add("tampered signature", tamper(await hs(claims()), 2), null);
  await add("wrong audience", await hs(claims({ aud: "anon-service" })), null);
  await add("alg none", unsignedNone(claims()), null);
  await add("user_metadata.role is never the role", await hs(claims({ app_metadata: { provider: "email" } })), { sub: claims().sub, role: "student" });

  // The cookie @supabase/ssr writes: "base64-" + base64url(JSON session), chunked at 3180.
  const sessionCookie = async (token, user) => {
    const session = JSON.stringify({
      access_token: token,
      token_type: "bearer",
      expires_in: HOUR,
      expires_at: now + HOUR,
      refresh_token: "r3fr35h",
      user,
    });
    const encoded = "base64-" + supabaseUtils.stringToBase64URL(session);
    const name = `sb-${ref}-auth-token`;
    const chunks = supabaseUtils.createChunks(name, encoded);
    // The library's own reader must get the session back.
    const byName = Object.fromEntries(chunks.map((c) => [c.name, c.value]));
    const combined = await supabaseUtils.combineChunks(name, (n) => byName[n]);
    const decoded = JSON.parse(supabaseUtils.stringFromBase64URL(combined.slice("base64-".length)));
    if (decoded.access_token !== token) throw new Error("supabase cookie round trip failed");
    return chunks.map((c) => ({ name: c.name, value: c.value }));
  };
  const small = { id: claims().sub, email: claims().email };
  const big = { ...small, user_metadata: { bio: "x".repeat(5000) } };
  const cookieCase = async (label, token, user, expect) => {
    const cookies = await sessionCookie(token, user);
    cases.push({ label, cookies, where: "cookie", expect, library: true });
  };
  await cookieCase("cookie, base64- encoded", await hs(claims()), small, dana);
  await cookieCase("cookie, base64- encoded and chunked", await sign(es, claims()), big, dana);
  await cookieCase("cookie holding an expired token", await hs(claims({ exp: now - 120 })), small, null);
  cases.at(-1).library = false;
  return {
    library: `jose ${pkg("jose")} + @supabase/ssr ${pkg("@supabase/ssr")}`,
    jwt_secret: secret,
    url,
    jwks: { keys: [es.jwk] },
    role_claim: "app_metadata.role",
    default_role: "student",
    cases,
  };
}

async function jwksVectors() {
  const rs = await keypair("RS256", "oidc-rs-1");
  const ec = await keypair("ES256", "oidc-ec-1");
  const stranger = await keypair("RS256", "oidc-unknown");
  const iss = "https://issuer.example.com/";
  const aud = "messaging-api";
  const claims = (extra = {}) => ({
    sub: "oidc_frank",
    iss,
    aud,
    iat: now - 10,
    exp: now + HOUR,
    email: "frank@example.com",
    name: "Frank Oidc",
    "https://example.com/roles": "teacher",
    ...extra,
  });
  const jwks = jose.createLocalJWKSet({ keys: [rs.jwk, ec.jwk] });
  const cases = [];
  const add = async (label, token, expect) => {
    const library = await verifies(token, jwks, { issuer: iss, audience: aud, currentDate: new Date(now * 1000), algorithms: ["RS256", "ES256"], clockTolerance: 5 });
    cases.push({ label, token, where: "bearer", expect, library });
  };
  const frank = { sub: "oidc_frank", name: "Frank Oidc", role: "teacher" };
  await add("valid RS256", await sign(rs, claims()), frank);
  await add("valid ES256", await sign(ec, claims()), frank);
  await add("audience in a list", await sign(rs, claims({ aud: ["other", aud] })), frank);
  await add("expired", await sign(rs, claims({ exp: now - 120 })), null);
  await add("expired 3 s ago (inside the skew)", await sign(rs, claims({ exp: now - 3 })), frank);
  await add("not yet valid", await sign(rs, claims({ nbf: now + 120 })), null);
  await add("wrong issuer", await sign(rs, claims({ iss: "https://evil.example.com/" })), null);
  await add("wrong audience", await sign(rs, claims({ aud: "someone-else" })), null);
  await add("unknown kid", await sign(stranger, claims()), null);
  await add("tampered signature", tamper(await sign(rs, claims()), 2), null);
  await add("HS256 signed with the public key as secret", await confused(rs, claims()), null);
  await add("RS256 key, header claims RS512 (signed so)", rsWithHash(rs, claims(), "RS512", "sha512"), null);
  await add("alg none", unsignedNone(claims()), null);
  // Our user ids are [A-Za-z0-9_-]{1,64}: an Auth0-style "auth0|..." subject needs AUTH_USER_ID_CLAIM.
  await add("a subject that is not a valid user id", await sign(rs, claims({ sub: "auth0|frank" })), null);
  await add("user id from another claim (AUTH_USER_ID_CLAIM=uid)", await sign(rs, claims({ sub: "auth0|frank", uid: "frank_uid" })), { sub: "frank_uid", user_id_claim: "uid" });
  const e2e = await sign(rs, claims({ sub: "u_oidc_e2e", name: "Olga Oidc", exp: now + FAR }));
  const e2eOther = await sign(rs, claims({ sub: "u_oidc_bob", name: "Bob Oidc", exp: now + FAR }));
  return {
    library: `jose ${pkg("jose")}`,
    jwks: { keys: [rs.jwk, ec.jwk] },
    issuer: iss,
    audience: aud,
    role_claim: "https://example.com/roles",
    cases,
    e2e: { users: { u_oidc_e2e: e2e, u_oidc_bob: e2eOther } },
  };
}

const out = {
  about: "Known answers minted by tools/auth-vectors/mint.mjs with the real libraries; `library` is each library's own verdict. Do not edit by hand.",
  now,
  versions: { node: process.version, "@auth/core": pkg("@auth/core"), "next-auth": pkg("next-auth"), jose: pkg("jose"), "@supabase/ssr": pkg("@supabase/ssr") },
  authjs: await authjsVectors(),
  nextauth4: await nextauth4Vectors(),
  clerk: await clerkVectors(),
  supabase: await supabaseVectors(),
  jwks: await jwksVectors(),
};
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
