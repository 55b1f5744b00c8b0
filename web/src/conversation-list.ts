// The conversation list with unread counts, as a pure reducer fed by the list route and `conversation-updated`.
import type { Conversation, ConversationUpdatedEvent, MessagesReadEvent, ReadResult } from "./types";

export interface ConversationItem {
  conversation: Conversation;
  /** Highest seq known in the conversation (from the last message or later events). */
  lastSeq: number;
  lastReadSeq: number;
  unread: number;
}

export interface ConversationListState {
  me: string;
  items: ConversationItem[];
  /** An event named a conversation the list does not have: the list needs reloading. */
  stale: boolean;
  /** Where the next page starts; null once the last page is in (or before the first). */
  nextCursor: string | null;
}

export type ListAction =
  /**
   * A page of the list route. The first page (no `append`) reorders the list; either way a
   * conversation's seq and read position only move forward: a reload that started before an
   * event and lands after it must not undo it.
   */
  | { type: "loaded"; conversations: Conversation[]; nextCursor?: string | null; append?: boolean }
  /** A `messages-read` event: mine (from another tab) clears this list's badge. */
  | { type: "messages-read"; conversationId: number; event: MessagesReadEvent }
  | { type: "updated"; event: ConversationUpdatedEvent }
  | { type: "read"; result: ReadResult }
  /**
   * The open conversation's own view of its last seq and my read position. It covers my sends:
   * their `conversation-updated` skips this tab's socket (the send's socket_id excludes it).
   */
  | { type: "progress"; conversationId: number; lastSeq: number; lastReadSeq: number };

export function initialListState(me: string): ConversationListState {
  return { me, items: [], stale: false, nextCursor: null };
}

export function reduceList(state: ConversationListState, action: ListAction): ConversationListState {
  switch (action.type) {
    case "loaded": {
      const held = new Map(state.items.map((i) => [i.conversation.id, i]));
      const incoming = action.conversations.map((c) => mergeItem(held.get(c.id), c));
      const fresh = new Set(incoming.map((i) => i.conversation.id));
      const rest = state.items.filter((i) => !fresh.has(i.conversation.id));
      return {
        ...state,
        stale: action.append ? state.stale : false,
        nextCursor: action.nextCursor ?? null,
        // A first page leads; conversations of later pages already loaded stay after it.
        items: action.append ? [...rest, ...incoming] : [...incoming, ...rest],
      };
    }
    case "messages-read": {
      const { event } = action;
      if (event.user_id !== state.me) return state;
      const item = state.items.find((i) => i.conversation.id === action.conversationId);
      if (!item || event.last_read_seq <= item.lastReadSeq) return state;
      const updated = { ...item, lastReadSeq: event.last_read_seq, unread: Math.max(0, item.lastSeq - event.last_read_seq) };
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
    case "updated": {
      const { event } = action;
      const item = state.items.find((i) => i.conversation.id === event.conversation_id);
      if (!item) return { ...state, stale: true };
      if (event.seq <= item.lastSeq) return state;
      // The sender's own read position moves with the send (contract).
      const lastReadSeq = event.sender_id === state.me ? Math.max(item.lastReadSeq, event.seq) : item.lastReadSeq;
      const updated = { ...item, lastSeq: event.seq, lastReadSeq, unread: Math.max(0, event.seq - lastReadSeq) };
      // Most recent activity first, as the list route orders them.
      return { ...state, items: [updated, ...state.items.filter((i) => i !== item)] };
    }
    case "read": {
      const { result } = action;
      return {
        ...state,
        items: state.items.map((i) =>
          i.conversation.id !== result.conversation_id || result.last_read_seq < i.lastReadSeq
            ? i
            : { ...i, lastReadSeq: result.last_read_seq, unread: result.unread_count },
        ),
      };
    }
    case "progress": {
      const item = state.items.find((i) => i.conversation.id === action.conversationId);
      if (!item) return state;
      const lastSeq = Math.max(item.lastSeq, action.lastSeq);
      const lastReadSeq = Math.max(item.lastReadSeq, action.lastReadSeq);
      if (lastSeq === item.lastSeq && lastReadSeq === item.lastReadSeq) return state;
      const updated = { ...item, lastSeq, lastReadSeq, unread: Math.max(0, lastSeq - lastReadSeq) };
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
  }
}

function mergeItem(held: ConversationItem | undefined, c: Conversation): ConversationItem {
  const serverSeq = c.last_message?.seq ?? 0;
  const item = { conversation: c, lastSeq: serverSeq, lastReadSeq: c.last_read_seq, unread: c.unread_count };
  if (!held) return item;
  const lastSeq = Math.max(held.lastSeq, serverSeq);
  const lastReadSeq = Math.max(held.lastReadSeq, c.last_read_seq);
  if (lastSeq === serverSeq && lastReadSeq === c.last_read_seq) return item;
  const lastMessage = held.lastSeq > serverSeq ? held.conversation.last_message : c.last_message;
  return {
    conversation: { ...c, last_message: lastMessage, last_read_seq: lastReadSeq },
    lastSeq,
    lastReadSeq,
    unread: Math.max(0, lastSeq - lastReadSeq),
  };
}

export function totalUnread(state: ConversationListState): number {
  return state.items.reduce((sum, i) => sum + i.unread, 0);
}
