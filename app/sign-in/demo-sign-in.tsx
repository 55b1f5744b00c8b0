"use client";
// The demo users' buttons: POST /api/session (Next's route handler) sets the session cookie the functions read.
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

export function DemoSignIn({ users }: { users: Array<{ as: string; label: string }> }) {
  const router = useRouter();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Server-rendered buttons do nothing until the page hydrates: keep them disabled until then.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const signIn = async (as: string) => {
    setBusy(as);
    setError(null);
    try {
      const response = await fetch("/api/session", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ as }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
      }
      router.replace("/");
      router.refresh();
    } catch (e) {
      setError(`Sign-in failed: ${(e as Error).message}`);
      setBusy(null);
    }
  };
  return (
    <>
      <div className="login-choices" role="group" aria-label="Sign in as">
        {users.map(({ as, label }) => (
          <button key={as} type="button" data-testid={`login-${as}`} disabled={!hydrated || busy !== null} onClick={() => void signIn(as)}>
            {busy === as ? "Signing in…" : label}
          </button>
        ))}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </>
  );
}
