// The state of one open conversation as a pure reducer: no I/O, no clock, no framework.
import type { HistoryPage, Member, Message, Reaction } from "./types";

export interface PendingMessage {
  clientMessageId: string;
  body: string;
  status: "sending" | "failed";
  error: string | null;
  createdAt: string;
}

export interface TypingUser {
  userId: string;
  name: string;
  /** Epoch ms after which the indicator goes away unless renewed. */
  until: number;
}

export interface ConversationState {
  conversationId: number;
  me: string;
  /** Confirmed messages, ascending by seq, each seq and id once. */
  messages: Message[];
  /** Messages being sent or failed, in the order they were written. */
  pending: PendingMessage[];
  /** Highest seq known to exist, including announced messages not yet fetched. */
  knownSeq: number;
  loaded: boolean;
  hasOlder: boolean;
  /** Read position per member, from `messages-read` events, sends and own read calls. */
  readSeqs: Record<string, number>;
  typing: TypingUser[];
  /** Members present on the presence channel (null until it is subscribed, and while it is not). */
  online: Member[] | null;
  /** "unavailable": the presence subscription failed or the connection is down, so `online` is unknown. */
  presence: "pending" | "live" | "unavailable";
  /** The conversation channel is subscribed: events arrive. While false, the sync polls history. */
  live: boolean;
  /** Seq ranges (inclusive) that history showed do not exist, so they are no hole to fill. */
  absent: Array<[number, number]>;
  /** What to show: a failed request, else why live updates are off. */
  error: string | null;
  requestError: string | null;
  liveError: string | null;
}

export type Action =
  | { type: "history"; page: HistoryPage; direction: "latest" | "before" | "after"; after?: number; before?: number }
  /** A live `new-message` event: it also ends its author's typing indicator. */
  | { type: "message"; message: Message }
  | { type: "announced"; seq: number }
  | { type: "send-started"; clientMessageId: string; body: string; now: string }
  | { type: "send-confirmed"; clientMessageId: string; message: Message }
  | { type: "send-failed"; clientMessageId: string; error: string }
  | { type: "send-retried"; clientMessageId: string }
  /** The outbox's unsent messages of this conversation (it owns them across switches and reloads). */
  | { type: "pending"; pending: PendingMessage[] }
  | { type: "read"; userId: string; lastReadSeq: number }
  | { type: "reactions"; messageId: number; reactions: Reaction[]; version?: number }
  | { type: "typing"; userId: string; name: string; until: number }
  | { type: "typing-expired"; now: number }
  | { type: "typing-reset" }
  | { type: "live"; live: boolean; error: string | null }
  | { type: "presence-unavailable" }
  | { type: "presence"; members: Member[] }
  | { type: "member-added"; member: Member }
  | { type: "member-removed"; userId: string }
  | { type: "error"; error: string | null };

export function initialState(conversationId: number, me: string): ConversationState {
  return {
    conversationId,
    me,
    messages: [],
    pending: [],
    knownSeq: 0,
    loaded: false,
    hasOlder: false,
    readSeqs: {},
    typing: [],
    online: null,
    presence: "pending",
    live: false,
    absent: [],
    error: null,
    requestError: null,
    liveError: null,
  };
}

export function reduce(state: ConversationState, action: Action): ConversationState {
  switch (action.type) {
    case "history": {
      const next = withAbsent(mergeMessages(state, action.page.messages, false), absentIn(state, action));
      if (action.direction === "after") return next;
      const hasOlder = action.page.has_more && action.page.messages.length > 0;
      return { ...next, loaded: true, hasOlder: action.direction === "latest" && state.loaded ? state.hasOlder : hasOlder };
    }
    case "message":
      return mergeMessages(state, [action.message], true);
    case "send-confirmed":
      return mergeMessages(state, [action.message], false);
    case "pending":
      return { ...state, pending: action.pending };
    case "announced":
      return action.seq > state.knownSeq ? { ...state, knownSeq: action.seq } : state;
    case "send-started":
      if (state.pending.some((p) => p.clientMessageId === action.clientMessageId)) return state;
      return {
        ...state,
        pending: [
          ...state.pending,
          { clientMessageId: action.clientMessageId, body: action.body, status: "sending", error: null, createdAt: action.now },
        ],
      };
    case "send-failed":
    case "send-retried":
      return {
        ...state,
        pending: state.pending.map((p) =>
          p.clientMessageId !== action.clientMessageId
            ? p
            : action.type === "send-failed"
              ? { ...p, status: "failed", error: action.error }
              : { ...p, status: "sending", error: null },
        ),
      };
    case "read":
      return withRead(state, action.userId, action.lastReadSeq);
    case "reactions": {
      const index = state.messages.findIndex((m) => m.id === action.messageId);
      if (index < 0) return state;
      const current = state.messages[index];
      // A late answer or event must not undo a newer set (servers without versions send none: 0).
      const version = action.version ?? 0;
      if (version < (current.reactions_version ?? 0)) return state;
      const messages = state.messages.slice();
      messages[index] = { ...current, reactions: action.reactions, reactions_version: version };
      return { ...state, messages };
    }
    case "typing": {
      if (action.userId === state.me) return state;
      const others = state.typing.filter((t) => t.userId !== action.userId);
      return { ...state, typing: [...others, { userId: action.userId, name: action.name, until: action.until }] };
    }
    case "typing-expired": {
      const typing = state.typing.filter((t) => t.until > action.now);
      return typing.length === state.typing.length ? state : { ...state, typing };
    }
    case "typing-reset":
      return state.typing.length ? { ...state, typing: [] } : state;
    case "live": {
      if (state.live === action.live && state.liveError === action.error) return state;
      return { ...state, live: action.live, liveError: action.error, error: state.requestError ?? action.error };
    }
    case "presence-unavailable":
      return state.presence === "unavailable" && state.online === null ? state : { ...state, online: null, presence: "unavailable" };
    case "presence":
      return { ...state, online: dedupeMembers(action.members), presence: "live" };
    case "member-added":
      return { ...state, online: dedupeMembers([...(state.online ?? []), action.member]) };
    case "member-removed":
      return { ...state, online: (state.online ?? []).filter((m) => m.id !== action.userId) };
    case "error":
      if (state.requestError === action.error) return state;
      return { ...state, requestError: action.error, error: action.error ?? state.liveError };
  }
}

/**
 * Merges by seq (one message per seq, the newer copy wins, but never with older reactions), confirms
 * pending sends, updates read positions. Only live messages end typing: a history page holds old ones.
 */
function mergeMessages(state: ConversationState, incoming: Message[], live: boolean): ConversationState {
  const mine = incoming.filter((m) => m.conversation_id === state.conversationId);
  if (mine.length === 0) return state;
  const bySeq = new Map(state.messages.map((m) => [m.seq, m]));
  for (const message of mine) {
    const held = bySeq.get(message.seq);
    const stale = held && (held.reactions_version ?? 0) > (message.reactions_version ?? 0);
    bySeq.set(message.seq, stale ? { ...message, reactions: held.reactions, reactions_version: held.reactions_version } : message);
  }
  const messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const confirmed = new Set(
    mine.filter((m) => m.sender.id === state.me && m.client_message_id).map((m) => m.client_message_id),
  );
  const pending = confirmed.size ? state.pending.filter((p) => !confirmed.has(p.clientMessageId)) : state.pending;
  const authors = new Set(mine.map((m) => m.sender.id));
  // Sending moves the sender's read position to the new seq (contract), and no longer typing.
  let readSeqs = state.readSeqs;
  for (const m of mine) {
    if ((readSeqs[m.sender.id] ?? 0) < m.seq) readSeqs = { ...readSeqs, [m.sender.id]: m.seq };
  }
  const typing = live && state.typing.some((t) => authors.has(t.userId))
    ? state.typing.filter((t) => !authors.has(t.userId))
    : state.typing;
  const knownSeq = Math.max(state.knownSeq, messages.at(-1)?.seq ?? 0);
  return { ...state, messages, pending, readSeqs, typing, knownSeq };
}

/**
 * Seqs a history page proves missing: between its messages, and between them and its after/before
 * bound. The server numbers a conversation's messages under a row lock, so a committed page never
 * skips a seq that is merely still being written.
 */
function absentIn(state: ConversationState, action: Extract<Action, { type: "history" }>): Array<[number, number]> {
  const seqs = action.page.messages
    .filter((m) => m.conversation_id === state.conversationId)
    .map((m) => m.seq)
    .sort((a, b) => a - b);
  if (seqs.length === 0) return [];
  const ranges: Array<[number, number]> = [];
  if (action.direction === "after" && action.after !== undefined && seqs[0] > action.after + 1) ranges.push([action.after + 1, seqs[0] - 1]);
  for (let i = 1; i < seqs.length; i++) if (seqs[i] > seqs[i - 1] + 1) ranges.push([seqs[i - 1] + 1, seqs[i] - 1]);
  const last = seqs[seqs.length - 1];
  if (action.direction === "before" && action.before !== undefined && last < action.before - 1) ranges.push([last + 1, action.before - 1]);
  return ranges;
}

function withAbsent(state: ConversationState, ranges: Array<[number, number]>): ConversationState {
  const fresh = ranges.filter(([from, to]) => !isAbsent(state, from, to));
  return fresh.length ? { ...state, absent: [...state.absent, ...fresh] } : state;
}

function isAbsent(s: ConversationState, from: number, to: number): boolean {
  return s.absent.some(([a, b]) => a <= from && b >= to);
}

function withRead(state: ConversationState, userId: string, seq: number): ConversationState {
  if ((state.readSeqs[userId] ?? 0) >= seq) return state;
  return { ...state, readSeqs: { ...state.readSeqs, [userId]: seq } };
}

function dedupeMembers(members: Member[]): Member[] {
  return [...new Map(members.map((m) => [m.id, m])).values()];
}

// ---- Derived views (pure) ----

export const firstSeq = (s: ConversationState): number => s.messages[0]?.seq ?? 0;
export const lastSeq = (s: ConversationState): number => s.messages.at(-1)?.seq ?? 0;

/** The highest seq up to which the loaded window has no hole (0 when nothing is loaded). */
export function contiguousEnd(s: ConversationState): number {
  if (s.messages.length === 0) return 0;
  let end = s.messages[0].seq;
  for (const m of s.messages) {
    if (m.seq > end + 1 && !isAbsent(s, end + 1, m.seq - 1)) break;
    end = Math.max(end, m.seq);
  }
  return end;
}

/** The `after=` to fetch when a seq is known to exist but is missing, else null. */
export function gapAfter(s: ConversationState): number | null {
  const end = contiguousEnd(s);
  return end < s.knownSeq ? end : null;
}

/** For each other member, the seq of the last message they have read, when that message is mine. */
export function seenMarkers(s: ConversationState): Map<number, string[]> {
  const markers = new Map<number, string[]>();
  for (const [userId, readSeq] of Object.entries(s.readSeqs)) {
    if (userId === s.me) continue;
    const last = findLast(s.messages, (m) => m.seq <= readSeq);
    if (!last || last.sender.id !== s.me) continue;
    markers.set(last.seq, [...(markers.get(last.seq) ?? []), userId]);
  }
  return markers;
}

export function othersOnline(s: ConversationState): Member[] {
  return (s.online ?? []).filter((m) => m.id !== s.me);
}

function findLast<T>(items: T[], predicate: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i])) return items[i];
  return undefined;
}
