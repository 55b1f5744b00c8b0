// Small pure pieces of the conversation sync: parsing at the edge, wire shapes, error texts.
import { ApiError } from "./api";
import { type ConversationState, lastSeq } from "./message-store";
import type { PresenceMember, PusherLike } from "./realtime-port";
import type { Member } from "./types";

/** Parses a conversation id at the edge: a positive integer, or its decimal string (a route param). */
export function parseConversationId(value: unknown): number {
  const id = typeof value === "string" && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
    throw new TypeError(`conversationId must be a positive integer, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return id;
}

export const MAX_DELAY_MS = 30_000;
// Pusher answers a refused client event with pusher:error; Sockudo says "Client events are not enabled".
export const CLIENT_EVENTS_REFUSED = /client.?events?.*not enabled|enable this feature|client events? (are )?(disabled|not allowed)/i;
export const refusedClientEvents = new WeakSet<PusherLike>();
/** pusher-js connection states in which nothing arrives until it reconnects. */
export const DOWN = new Set(["disconnected", "unavailable", "failed"]);

/** A truncated event leaves a hole with no event coming to fill it: fetch at once. */
export function isTruncatedOnly(state: ConversationState): boolean {
  return state.knownSeq > lastSeq(state);
}

export function toMember(m: PresenceMember): Member {
  const info = (typeof m.info === "string" ? safeJson(m.info) : m.info) as { name?: string; role?: string } | null;
  return { id: String(m.id), name: info?.name ?? null, role: info?.role ?? null };
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export function subscriptionError(event: { status?: number; error?: string } | undefined): string {
  if (event?.status === 403) return "You are not a member of this conversation.";
  if (event?.status === 401) return "Your session has ended; log in again.";
  return `Live updates unavailable${event?.status ? ` (${event.status})` : ""}; retrying.`;
}
