// The session token our Rust functions verify (lib/auth.rs): an HS256 JWT with `sub`, `exp`, `name`, `role`,
// signed with SESSION_SECRET and sent as the SESSION_COOKIE cookie. Server-only (it holds the secret).
import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";

export interface SessionUser {
  id: string;
  name: string | null;
  role: string | null;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function secret(): Buffer {
  const value = process.env.SESSION_SECRET;
  // The functions refuse a shorter secret at start (lib/config.rs); refuse it here too.
  if (!value || Buffer.byteLength(value) < 32) throw new Error("SESSION_SECRET is not set or shorter than 32 bytes");
  return Buffer.from(value);
}

export function sessionCookieName(): string {
  return process.env.SESSION_COOKIE || "session";
}

export function issueSessionToken(user: SessionUser, lifetimeSeconds: number, now = Date.now()): string {
  const claims = { sub: user.id, exp: Math.floor(now / 1000) + lifetimeSeconds, name: user.name ?? undefined, role: user.role ?? undefined };
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${unsigned}.${createHmac("sha256", secret()).update(unsigned).digest("base64url")}`;
}

/** The user a token names, or null when it is malformed, badly signed, not HS256 or expired. */
export function verifySessionToken(token: string, now = Date.now()): SessionUser | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts;
  const expected = createHmac("sha256", secret()).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const { alg } = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (alg !== "HS256" || typeof claims.sub !== "string" || typeof claims.exp !== "number") return null;
    if (claims.exp * 1000 <= now) return null;
    const text = (v: unknown) => (typeof v === "string" ? v : null);
    return { id: claims.sub, name: text(claims.name), role: text(claims.role) };
  } catch {
    return null;
  }
}
