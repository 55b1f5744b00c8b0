// The conversation list with unread counts, as a pure reducer fed by the list route and `conversation-updated`.
import type { Conversation, ConversationUpdatedEvent, ReadResult } from "./types";

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
}

export type ListAction =
  | { type: "loaded"; conversations: Conversation[] }
  | { type: "updated"; event: ConversationUpdatedEvent }
  | { type: "read"; result: ReadResult }
  /**
   * The open conversation's own view of its last seq and my read position. It covers my sends:
   * their `conversation-updated` skips this tab's socket (the send's socket_id excludes it).
   */
  | { type: "progress"; conversationId: number; lastSeq: number; lastReadSeq: number };

export function initialListState(me: string): ConversationListState {
  return { me, items: [], stale: false };
}

export function reduceList(state: ConversationListState, action: ListAction): ConversationListState {
  switch (action.type) {
    case "loaded":
      return {
        ...state,
        stale: false,
        items: action.conversations.map((c) => ({
          conversation: c,
          lastSeq: c.last_message?.seq ?? 0,
          lastReadSeq: c.last_read_seq,
          unread: c.unread_count,
        })),
      };
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

export function totalUnread(state: ConversationListState): number {
  return state.items.reduce((sum, i) => sum + i.unread, 0);
}
