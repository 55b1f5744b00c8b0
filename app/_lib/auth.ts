// Who is signed in, for pages and route handlers. This is the one place to change when the app signs
// people in another way: with Auth.js, Clerk or Supabase, return that library's user here (and set the
// functions' identity mode to the same provider) instead of reading our HS256 session cookie.
import "server-only";
import { cookies } from "next/headers";
import { type SessionUser, sessionCookieName, verifySessionToken } from "./session-token";

export type { SessionUser };
export { DEMO_USERS } from "./demo-users";

export async function currentUser(): Promise<SessionUser | null> {
  const token = (await cookies()).get(sessionCookieName())?.value;
  return token ? verifySessionToken(token) : null;
}

/**
 * The demo users' sign-in (app/api/session) is on under `next dev` (scripts/dev, vercel dev) and off in a
 * production build unless DEMO_LOGIN=1: anyone could otherwise sign in as anyone.
 */
export function demoSignInEnabled(): boolean {
  const flag = process.env.DEMO_LOGIN;
  if (flag === "0" || flag === "false") return false;
  return flag === "1" || flag === "true" || process.env.NODE_ENV === "development";
}
