// Keeps one conversation's store in step with the server: history, live events, catch-up, sends.
import { ApiError, type ApiClient } from "./api";
import { newClientMessageId } from "./client-id";
import { type Action, type ConversationState, contiguousEnd, firstSeq, gapAfter, initialState, lastSeq, reduce } from "./message-store";
import { type ChannelLike, type EventHandler, type PresenceMember, type PusherLike, currentSocketId } from "./realtime-port";
import {
  type Member,
  type MessagesReadEvent,
  type NewMessageEvent,
  type ReactionUpdatedEvent,
  type ReadResult,
  type TypingEvent,
  conversationChannel,
  isTruncated,
  presenceChannel,
} from "./types";

export interface SyncOptions {
  api: ApiClient;
  pusher: PusherLike;
  conversationId: number;
  me: { id: string; name: string };
  pageSize?: number;
  /** How long a seq gap may stay open before it is fetched: the missing event is usually just behind. */
  gapGraceMs?: number;
  typingThrottleMs?: number;
  typingTtlMs?: number;
  presence?: boolean;
  /** Known read positions by user id (e.g. the list's members), so "Seen" shows before any event. */
  readPositions?: Record<string, number>;
  now?: () => number;
  newClientMessageId?: () => string;
}

export class ConversationSync {
  private state: ConversationState;
  private readonly listeners = new Set<() => void>();
  private readonly bindings: Array<[ChannelLike, string, EventHandler]> = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private channels: string[] = [];
  private initial: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private gapTimer: ReturnType<typeof setTimeout> | null = null;
  private readInFlight = false;
  private readAgain = false;
  private lastTypingSent = -Infinity;
  private started = false;
  private channel: ChannelLike | null = null;

  constructor(private readonly options: SyncOptions) {
    this.state = initialState(options.conversationId, options.me.id);
    for (const [userId, lastReadSeq] of Object.entries(options.readPositions ?? {})) {
      this.state = reduce(this.state, { type: "read", userId, lastReadSeq });
    }
  }

  getState = (): ConversationState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  dispatch(action: Action): void {
    const next = reduce(this.state, action);
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener();
  }

  /** Subscribes and loads the latest page; safe to call again after stop(). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { pusher, conversationId } = this.options;
    const name = conversationChannel(conversationId);
    const channel = pusher.subscribe(name);
    this.channel = channel;
    this.channels = [name];
    this.on(channel, "pusher:subscription_succeeded", () => void this.catchUp());
    this.on(channel, "pusher:subscription_error", (e) => this.dispatch({ type: "error", error: subscriptionError(e) }));
    this.on(channel, "new-message", (e: NewMessageEvent) => this.onNewMessage(e));
    this.on(channel, "messages-read", (e: MessagesReadEvent) =>
      this.dispatch({ type: "read", userId: e.user_id, lastReadSeq: e.last_read_seq }),
    );
    this.on(channel, "reaction-updated", (e: ReactionUpdatedEvent) =>
      this.dispatch({ type: "reactions", messageId: e.message_id, reactions: e.reactions }),
    );
    this.on(channel, "typing", (e: TypingEvent) => this.onTyping(e));
    this.on(channel, "client-typing", (e: TypingEvent) => this.onTyping(e));
    if (this.options.presence !== false) this.watchPresence();
    this.initial = this.loadLatest();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    for (const [channel, event, handler] of this.bindings.splice(0)) channel.unbind(event, handler);
    for (const name of this.channels.splice(0)) this.options.pusher.unsubscribe(name);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.gapTimer = null;
    this.channel = null;
  }

  /** Sends a new message; it shows as pending until the response or its event confirms it. */
  send(body: string): string {
    const clientMessageId = (this.options.newClientMessageId ?? newClientMessageId)();
    this.dispatch({ type: "send-started", clientMessageId, body, now: new Date(this.now()).toISOString() });
    void this.deliver(clientMessageId);
    return clientMessageId;
  }

  /** Sends a failed message again under the same client_message_id, so the server stores it at most once. */
  retry(clientMessageId: string): Promise<void> {
    const pending = this.state.pending.find((p) => p.clientMessageId === clientMessageId);
    if (!pending || pending.status !== "failed") return Promise.resolve();
    this.dispatch({ type: "send-retried", clientMessageId });
    return this.deliver(clientMessageId);
  }

  async loadOlder(): Promise<void> {
    await this.initial;
    if (!this.state.hasOlder) return;
    await this.guard(async () => {
      const page = await this.options.api.history({
        conversationId: this.options.conversationId,
        before: firstSeq(this.state),
        limit: this.pageSize,
      });
      this.dispatch({ type: "history", page, direction: "before" });
    });
  }

  /** Marks everything shown as read; resolves with the server's last answer, or null when nothing changed. */
  async markRead(): Promise<ReadResult | null> {
    if (this.readInFlight) {
      // Messages arrived while a read call was out: mark them once it returns.
      this.readAgain = true;
      return null;
    }
    this.readInFlight = true;
    let result: ReadResult | null = null;
    try {
      do {
        this.readAgain = false;
        const seq = lastSeq(this.state);
        if (seq === 0 || (this.state.readSeqs[this.options.me.id] ?? 0) >= seq) break;
        result = await this.options.api.markRead(this.options.conversationId, seq);
        this.dispatch({ type: "read", userId: this.options.me.id, lastReadSeq: result.last_read_seq });
      } while (this.readAgain);
    } catch {
      // Not worth an error on screen: the next message shown tries again.
    } finally {
      this.readInFlight = false;
    }
    return result;
  }

  /** Tells the others this user is typing, at most once per throttle window. */
  notifyTyping(): void {
    const now = this.now();
    if (!this.channel || now - this.lastTypingSent < (this.options.typingThrottleMs ?? 2000)) return;
    this.lastTypingSent = now;
    const data: TypingEvent = { user_id: this.options.me.id, name: this.options.me.name };
    let sent = false;
    try {
      sent = this.channel.trigger("client-typing", data);
    } catch {
      sent = false;
    }
    // Apps without client events get the same effect through the server.
    if (!sent) void this.options.api.typing(this.options.conversationId, currentSocketId(this.options.pusher)).catch(() => {});
  }

  async toggleReaction(messageId: number, emoji: string): Promise<void> {
    const message = this.state.messages.find((m) => m.id === messageId);
    const mine = message?.reactions?.some((r) => r.emoji === emoji && r.user_ids.includes(this.options.me.id));
    await this.guard(async () => {
      const result = await this.options.api.react(messageId, emoji, mine ? "remove" : "add");
      this.dispatch({ type: "reactions", messageId: result.message_id, reactions: result.reactions });
    });
  }

  /** Fetches everything after the contiguous end; runs once at a time, again if asked meanwhile. */
  catchUp(): Promise<void> {
    this.syncAgain = true;
    if (!this.syncing) {
      this.syncing = this.runCatchUp().finally(() => {
        this.syncing = null;
      });
    }
    return this.syncing;
  }

  /** Resolves once the first page is in and no catch-up is running. */
  async settled(): Promise<void> {
    await this.initial;
    while (this.syncing) await this.syncing;
  }

  private get pageSize(): number {
    return this.options.pageSize ?? 50;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async runCatchUp(): Promise<void> {
    await this.initial;
    // Without the first page there is no position to catch up from; loadLatest() resumes it.
    if (!this.state.loaded) return;
    while (this.syncAgain && this.started) {
      this.syncAgain = false;
      const ok = await this.guard(async () => {
        for (;;) {
          const page = await this.options.api.history({
            conversationId: this.options.conversationId,
            after: contiguousEnd(this.state),
            limit: this.pageSize,
          });
          this.dispatch({ type: "history", page, direction: "after" });
          const hole = gapAfter(this.state) !== null;
          if (page.messages.length === 0 || !(page.has_more || hole)) break;
        }
      });
      if (!ok) this.later(2000, () => void this.catchUp());
    }
  }

  private async loadLatest(): Promise<void> {
    const ok = await this.guard(async () => {
      const page = await this.options.api.history({ conversationId: this.options.conversationId, limit: this.pageSize });
      this.dispatch({ type: "history", page, direction: "latest" });
    });
    if (!ok) this.later(2000, () => void (this.initial = this.loadLatest()));
    else if (this.syncAgain && !this.syncing) void this.catchUp();
  }

  private onNewMessage(event: NewMessageEvent): void {
    if (isTruncated(event)) this.dispatch({ type: "announced", seq: event.seq });
    else this.dispatch({ type: "message", message: event });
    this.checkGap();
  }

  private checkGap(): void {
    if (gapAfter(this.state) === null || this.gapTimer) return;
    const grace = isTruncatedOnly(this.state) ? 0 : (this.options.gapGraceMs ?? 150);
    this.gapTimer = this.later(grace, () => {
      this.gapTimer = null;
      if (gapAfter(this.state) !== null) void this.catchUp();
    });
  }

  private onTyping(event: TypingEvent): void {
    if (!event || event.user_id === this.options.me.id) return;
    const ttl = this.options.typingTtlMs ?? 3000;
    const until = this.now() + ttl;
    this.dispatch({ type: "typing", userId: event.user_id, name: event.name ?? event.user_id, until });
    this.later(ttl + 10, () => this.dispatch({ type: "typing-expired", now: this.now() }));
  }

  private async deliver(clientMessageId: string): Promise<void> {
    const pending = this.state.pending.find((p) => p.clientMessageId === clientMessageId);
    if (!pending) return;
    try {
      const result = await this.options.api.send({
        conversation_id: this.options.conversationId,
        body: pending.body,
        client_message_id: clientMessageId,
        socket_id: currentSocketId(this.options.pusher),
      });
      this.dispatch({ type: "send-confirmed", clientMessageId, message: result.message });
      this.checkGap();
    } catch (error) {
      this.dispatch({ type: "send-failed", clientMessageId, error: describe(error) });
    }
  }

  private watchPresence(): void {
    const name = presenceChannel(this.options.conversationId);
    const channel = this.options.pusher.subscribe(name);
    this.channels.push(name);
    this.on(channel, "pusher:subscription_succeeded", (members: { each(cb: (m: PresenceMember) => void): void }) => {
      const list: Member[] = [];
      members?.each?.((m) => list.push(toMember(m)));
      this.dispatch({ type: "presence", members: list });
    });
    this.on(channel, "pusher:member_added", (m: PresenceMember) => this.dispatch({ type: "member-added", member: toMember(m) }));
    this.on(channel, "pusher:member_removed", (m: PresenceMember) => this.dispatch({ type: "member-removed", userId: m.id }));
  }

  private on(channel: ChannelLike, event: string, handler: EventHandler): void {
    channel.bind(event, handler);
    this.bindings.push([channel, event, handler]);
  }

  private later(ms: number, run: () => void): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.started) run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  /** Runs an I/O step; a failure becomes the state's error instead of an unhandled rejection. */
  private async guard(step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      if (this.state.error) this.dispatch({ type: "error", error: null });
      return true;
    } catch (error) {
      this.dispatch({ type: "error", error: describe(error) });
      return false;
    }
  }
}

/** A truncated event leaves a hole with no event coming to fill it: fetch at once. */
function isTruncatedOnly(state: ConversationState): boolean {
  return state.knownSeq > lastSeq(state);
}

function toMember(m: PresenceMember): Member {
  const info = (typeof m.info === "string" ? safeJson(m.info) : m.info) as { name?: string; role?: string } | null;
  return { id: String(m.id), name: info?.name ?? null, role: info?.role ?? null };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function subscriptionError(event: { status?: number; error?: string } | undefined): string {
  if (event?.status === 403) return "You are not a member of this conversation.";
  if (event?.status === 401) return "Your session has ended; log in again.";
  return `Live updates unavailable${event?.status ? ` (${event.status})` : ""}.`;
}
