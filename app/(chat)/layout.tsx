// Everything behind sign-in: the top bar, the conversation list and the open conversation (the page).
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { ChatShell } from "../_components/chat-shell";
import { DEMO_USERS, currentUser, demoSignInEnabled } from "../_lib/auth";
import { pusherSettings } from "../_lib/pusher-settings";

export const dynamic = "force-dynamic";

export default async function ChatLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  const suggestions = demoSignInEnabled() ? DEMO_USERS.filter((u) => u.id !== user.id).map(({ id, name }) => ({ id, name })) : [];
  return (
    <ChatShell user={{ id: user.id, name: user.name ?? user.id, role: user.role }} pusherOptions={pusherSettings()} suggestions={suggestions}>
      {children}
    </ChatShell>
  );
}
