// Test doubles for the sync core: an in-memory conversation that follows the contract's paging rules
// and an event emitter standing in for a pusher-js channel. The real ones are exercised in tests/e2e/.
import { ApiError, type ApiClient, type HistoryQuery, type SendRequest } from "../src/api";
import type { ChannelLike, EventHandler, PusherLike } from "../src/realtime-port";
import type { Conversation, ConversationPage, HistoryPage, Message, ReactResult, ReadResult, SendResult } from "../src/types";

export const CONVERSATION = 7;
export const ME = { id: "u_student", name: "Sam Student" };
export const OTHER = { id: "u_teacher", name: "Taylor Teacher" };

export function message(seq: number, from: { id: string; name: string } = OTHER, extra: Partial<Message> = {}): Message {
  return {
    id: 1000 + seq,
    conversation_id: CONVERSATION,
    seq,
    sender: { id: from.id, name: from.name, role: null },
    body: `message ${seq}`,
    client_message_id: null,
    created_at: new Date(Date.UTC(2026, 10, 26, 9, 30, seq)).toISOString(),
    reactions: [],
    ...extra,
  };
}

export function page(messages: Message[], has_more = false): HistoryPage {
  return { messages, has_more };
}

/** Stores messages and answers history/send like the contract says; records every call. */
export class InMemoryConversation implements ApiClient {
  messages: Message[] = [];
  calls: Array<{ route: string; args: unknown }> = [];
  failSends = 0;

  constructor(count = 0) {
    for (let seq = 1; seq <= count; seq++) this.messages.push(message(seq));
  }

  /** Stores a message from the other member as if sent elsewhere; returns it for emitting. */
  add(from = OTHER, body?: string): Message {
    const seq = this.messages.length + 1;
    const m = message(seq, from, body ? { body } : {});
    this.messages.push(m);
    return m;
  }

  historyCalls(): HistoryQuery[] {
    return this.calls.filter((c) => c.route === "history").map((c) => c.args as HistoryQuery);
  }

  sendCalls(): SendRequest[] {
    return this.calls.filter((c) => c.route === "send").map((c) => c.args as SendRequest);
  }

  async history(query: HistoryQuery): Promise<HistoryPage> {
    this.calls.push({ route: "history", args: query });
    const limit = query.limit ?? 50;
    if (query.after !== undefined) {
      const newer = this.messages.filter((m) => m.seq > query.after!);
      return page(newer.slice(0, limit), newer.length > limit);
    }
    const older = this.messages.filter((m) => query.before === undefined || m.seq < query.before);
    return page(older.slice(-limit), older.length > limit);
  }

  async send(request: SendRequest): Promise<SendResult & { replayed: boolean }> {
    this.calls.push({ route: "send", args: request });
    if (this.failSends > 0) {
      this.failSends--;
      throw new ApiError(503, "unavailable", "The database cannot be reached");
    }
    const existing = this.messages.find(
      (m) => m.sender.id === ME.id && request.client_message_id && m.client_message_id === request.client_message_id,
    );
    if (existing) return { message: existing, delivery: "sent", replayed: true };
    const m = message(this.messages.length + 1, ME, {
      body: request.body,
      client_message_id: request.client_message_id ?? null,
    });
    this.messages.push(m);
    return { message: m, delivery: "sent", replayed: false };
  }

  async markRead(conversationId: number, seq: number, socketId?: string): Promise<ReadResult> {
    this.calls.push({ route: "read", args: { conversationId, seq, socketId } });
    return { conversation_id: conversationId, last_read_seq: seq, unread_count: 0 };
  }

  async typing(conversationId: number, socketId?: string): Promise<void> {
    this.calls.push({ route: "typing", args: { conversationId, socketId } });
  }

  async react(messageId: number, emoji: string, action: "add" | "remove"): Promise<ReactResult> {
    this.calls.push({ route: "react", args: { messageId, emoji, action } });
    const reactions = action === "add" ? [{ emoji, count: 1, user_ids: [ME.id] }] : [];
    return { message_id: messageId, reactions };
  }

  async conversations(): Promise<Conversation[]> {
    return [];
  }

  async conversationsPage(): Promise<ConversationPage> {
    return { conversations: [], next_cursor: null };
  }
}

export class LocalChannel implements ChannelLike {
  handlers = new Map<string, Set<EventHandler>>();
  triggered: Array<{ event: string; data: unknown }> = [];
  acceptTrigger = true;

  bind(event: string, handler: EventHandler): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(handler);
  }

  unbind(event?: string, handler?: EventHandler): void {
    if (event && handler) this.handlers.get(event)?.delete(handler);
  }

  trigger(event: string, data: unknown): boolean {
    this.triggered.push({ event, data });
    return this.acceptTrigger;
  }

  emit(event: string, data?: unknown): void {
    for (const handler of this.handlers.get(event) ?? []) handler(data);
  }

  listenerCount(): number {
    return [...this.handlers.values()].reduce((n, s) => n + s.size, 0);
  }
}

export class LocalPusher implements PusherLike {
  channels = new Map<string, LocalChannel>();
  connection: { socket_id?: string } = { socket_id: "1234.5678" };

  subscribe(name: string): LocalChannel {
    if (!this.channels.has(name)) this.channels.set(name, new LocalChannel());
    return this.channels.get(name)!;
  }

  unsubscribe(name: string): void {
    this.channels.delete(name);
  }

  channel(name: string): LocalChannel {
    const c = this.channels.get(name);
    if (!c) throw new Error(`not subscribed to ${name}`);
    return c;
  }
}

/** Lets pending promise callbacks run. */
export const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
