// Wire types of the messaging HTTP contract (docs/API.md, openapi.yaml) and its realtime events.

export interface Sender {
  id: string;
  name: string | null;
  role: string | null;
}

export interface Reaction {
  emoji: string;
  count: number;
  user_ids: string[];
}

export interface Message {
  id: number;
  conversation_id: number;
  seq: number;
  sender: Sender;
  body: string;
  client_message_id: string | null;
  created_at: string;
  reactions?: Reaction[];
  /** Grows with every change of `reactions`; a set with a lower version is stale (absent = 0). */
  reactions_version?: number;
}

/** The `new-message` data when the full JSON would exceed 10,000 bytes. */
export interface TruncatedMessage {
  id: number;
  conversation_id: number;
  seq: number;
  truncated: true;
}

export type NewMessageEvent = Message | TruncatedMessage;

export interface Member {
  id: string;
  name: string | null;
  role: string | null;
  online?: boolean;
  last_seen_at?: string | null;
  /** The member's read position (an extension in openapi.yaml; absent from older servers). */
  last_read_seq?: number;
}

export interface Conversation {
  id: number;
  title: string | null;
  members: Member[];
  last_message: Message | null;
  last_read_seq: number;
  unread_count: number;
  /** The user muted this conversation (absent from older servers). */
  muted?: boolean;
}

/** One page of `GET /api/conversations`; `next_cursor` is null on the last page. */
export interface ConversationPage {
  conversations: Conversation[];
  next_cursor: string | null;
}

export interface HistoryPage {
  messages: Message[];
  has_more: boolean;
}

export interface SendResult {
  message: Message;
  delivery?: "sent" | "queued";
}

export interface ReadResult {
  conversation_id: number;
  last_read_seq: number;
  unread_count: number;
}

export interface ReactResult {
  message_id: number;
  reactions: Reaction[];
  /** The message's reactions_version after this change (absent from older servers = 0). */
  version?: number;
}

export interface ConversationUpdatedEvent {
  conversation_id: number;
  message_id: number;
  seq: number;
  sender_id: string;
}

export interface MessagesReadEvent {
  user_id: string;
  last_read_seq: number;
}

/** The server's `typing` event (user_id set by the server, so trusted). */
export interface TypingEvent {
  user_id: string;
  name: string | null;
}

export interface ReactionUpdatedEvent {
  message_id: number;
  seq: number;
  reactions: Reaction[];
  version?: number;
}

export function isTruncated(event: NewMessageEvent): event is TruncatedMessage {
  return (event as TruncatedMessage).truncated === true;
}

export const conversationChannel = (id: number): string => `private-conversation-${id}`;
export const presenceChannel = (id: number): string => `presence-conversation-${id}`;
export const userChannel = (userId: string): string => `private-user-${userId}`;
