// The Next.js side of sign-in: who is signed in (GET), the demo users' sign-in (POST {"as": "student"}),
// sign-out (DELETE). Next's own route: no api/**/*.rs file may claim /api/session (tests/e2e/layout.test.mjs).
import { type NextRequest, NextResponse } from "next/server";
import { DEMO_USERS, currentUser, demoSignInEnabled } from "../../_lib/auth";
import { issueSessionToken, sessionCookieName } from "../../_lib/session-token";

export const dynamic = "force-dynamic";

const SESSION_SECONDS = 12 * 3600;

const error = (status: number, code: string, message: string) =>
  NextResponse.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store" } });

export async function GET() {
  const user = await currentUser();
  if (!user) return error(401, "unauthenticated", "no session");
  return NextResponse.json({ user }, { headers: { "cache-control": "no-store" } });
}

export async function POST(request: NextRequest) {
  if (!demoSignInEnabled()) return error(404, "not_found", "the demo sign-in is off (set DEMO_LOGIN=1 to turn it on)");
  let body: unknown = null;
  try {
    body = await request.json();
  } catch {
    return error(400, "invalid_json", "the body is not JSON");
  }
  const who = (body as { as?: unknown } | null)?.as;
  const demo = DEMO_USERS.find((u) => u.as === who);
  if (!demo) return error(400, "validation_failed", `as: must be one of ${DEMO_USERS.map((u) => u.as).join(", ")}`);
  const user = { id: demo.id, name: demo.name, role: demo.role };
  const response = NextResponse.json({ user }, { headers: { "cache-control": "no-store" } });
  response.cookies.set(sessionCookieName(), issueSessionToken(user, SESSION_SECONDS), {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    maxAge: SESSION_SECONDS,
    // Behind `vercel dev` the request may look https while the browser is on http://127.0.0.1: decide by
    // the build instead (production is https on Vercel).
    secure: process.env.NODE_ENV === "production",
  });
  return response;
}

export async function DELETE() {
  const response = new NextResponse(null, { status: 204, headers: { "cache-control": "no-store" } });
  response.cookies.set(sessionCookieName(), "", { httpOnly: true, sameSite: "lax", path: "/", maxAge: 0 });
  return response;
}
