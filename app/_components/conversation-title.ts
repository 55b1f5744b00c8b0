// A conversation's name as its members see it: its title, or the other members' names.
import type { Conversation } from "@messaging/client/types";

export function conversationTitle(c: Conversation, me: string): string {
  if (c.title) return c.title;
  const others = c.members.filter((m) => m.id !== me).map((m) => m.name ?? m.id);
  return others.join(", ") || "Just you";
}
