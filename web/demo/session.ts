// The demo's login state: the user is kept per tab so a reload stays logged in (the cookie is HttpOnly).
import type { DevUser } from "../src/dev-api";

const KEY = "messaging-demo-user";

export function savedUser(): DevUser | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    const user = raw ? (JSON.parse(raw) as DevUser) : null;
    return user && typeof user.id === "string" ? user : null;
  } catch {
    return null;
  }
}

export function saveUser(user: DevUser | null): void {
  if (user) sessionStorage.setItem(KEY, JSON.stringify(user));
  else sessionStorage.removeItem(KEY);
}

/** The open conversation lives in the URL hash, so a reload reopens it. */
export function conversationFromHash(): number | null {
  const match = /^#\/c\/(\d+)$/.exec(location.hash);
  return match ? Number(match[1]) : null;
}
