// Sign-in: the demo users locally; with another identity provider this page hands over to its sign-in.
import { redirect } from "next/navigation";
import { DEMO_USERS, currentUser, demoSignInEnabled } from "../_lib/auth";
import { DemoSignIn } from "./demo-sign-in";

export const dynamic = "force-dynamic";

export default async function SignInPage() {
  if (await currentUser()) redirect("/");
  return (
    <main className="login">
      <h1>Messages</h1>
      {demoSignInEnabled() ? (
        <>
          <p>Development sign-in: choose who you are.</p>
          <DemoSignIn users={DEMO_USERS.map(({ as, label }) => ({ as, label }))} />
        </>
      ) : (
        <p data-testid="sign-in-off">
          Sign-in is not set up for this deployment. Connect the app&apos;s identity provider in app/_lib/auth.ts,
          or set DEMO_LOGIN=1 for the demo users.
        </p>
      )}
    </main>
  );
}
