// Keeps one conversation's store in step with the server: history, live events, catch-up, sends.
import { ApiError, type ApiClient } from "./api";
import { newClientMessageId } from "./client-id";
import { type Action, type ConversationState, contiguousEnd, firstSeq, gapAfter, initialState, reduce } from "./message-store";
import { type Outbox, type OutboxTransport, outboxFor } from "./outbox";
import {
  CLIENT_EVENTS_REFUSED,
  DOWN,
  MAX_DELAY_MS,
  describe,
  isTruncatedOnly,
  parseConversationId,
  refusedClientEvents,
  subscriptionError,
  toMember,
} from "./sync-support";
import {
  type ChannelLike,
  type EventHandler,
  type PresenceMember,
  type PusherLike,
  type PusherSource,
  acquireChannel,
  currentSocketId,
  isPusherSource,
  releaseChannel,
} from "./realtime-port";
import {
  type Member,
  type Message,
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
  /** A connection, or where to get one when the sync starts (the page's singleton by default in the hook). */
  pusher: PusherLike | PusherSource;
  /** A positive integer; a route param string of digits is accepted too. */
  conversationId: number | string;
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
  /** Unsent messages live here, beyond this sync's lifetime (default: the page's outbox for `me`). */
  outbox?: Outbox;
  /** History is polled this often while live updates are off (default 10 s). */
  pollMs?: number;
  /** First retry delay of history and subscriptions; doubles up to 30 s (default 1 s). */
  retryBaseMs?: number;
  /** Catch-up pages fetched in a row before pausing for retryBaseMs (default 20). */
  maxCatchUpPages?: number;
}

export class ConversationSync {
  private state: ConversationState;
  private readonly id: number;
  private readonly listeners = new Set<() => void>();
  private bindings: Array<[ChannelLike | PusherLike | PusherLike["connection"], string, EventHandler]> = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly cleanups: Array<() => void> = [];
  private held: string[] = [];
  private initial: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private gapTimer: ReturnType<typeof setTimeout> | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private readInFlight = false;
  private readAgain = false;
  private lastTypingSent = -Infinity;
  private started = false;
  /** Bumped by start() and stop(): loops of an earlier run see it and end. */
  private generation = 0;
  private historyFailures = 0;
  private readonly subscribeFailures = new Map<string, number>();
  private readonly reacting = new Set<string>();
  private pusher: PusherLike | null = null;
  private presenceChannel: ChannelLike | null = null;
  private readonly outbox: Outbox;
  private lastError: unknown = null;

  constructor(private readonly options: SyncOptions) {
    let id = 0;
    let invalid: string | null = null;
    try {
      id = parseConversationId(options.conversationId);
    } catch (error) {
      invalid = (error as Error).message;
    }
    this.id = id;
    this.outbox = options.outbox ?? outboxFor(options.me.id);
    this.state = initialState(id, options.me.id);
    if (invalid) this.state = reduce(this.state, { type: "error", error: invalid });
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
    if (this.started || this.id === 0) return;
    this.started = true;
    const generation = ++this.generation;
    this.cleanups.push(this.outbox.subscribe(() => this.showPending()));
    this.cleanups.push(
      this.outbox.onConfirmed((conversationId, _id, message) => {
        if (conversationId === this.id && message) this.dispatch({ type: "send-confirmed", clientMessageId: _id, message });
      }),
    );
    this.showPending();
    this.outbox.resume(this.id, this.transport);
    this.initial = this.loadLatest(generation);
    const source = this.options.pusher;
    if (!isPusherSource(source)) {
      this.attach(source);
      return;
    }
    if (source.onChange) {
      this.cleanups.push(
        source.onChange((client) => {
          this.detach();
          this.attach(client);
        }),
      );
    }
    Promise.resolve()
      .then(() => source.get())
      .then(
        (client) => {
          if (this.generation === generation && !this.pusher) this.attach(client);
        },
        (error: Error) => {
          if (this.generation !== generation) return;
          // A missing NEXT_PUBLIC_PUSHER_KEY and the like: history still works, by polling.
          this.dispatch({ type: "live", live: false, error: `Live updates unavailable: ${error.message}` });
          this.dispatch({ type: "presence-unavailable" });
          this.schedulePoll();
        },
      );
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.generation++;
    this.detach();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.gapTimer = null;
    this.pollTimer = null;
    // Timers that would have ended them are gone: a later start() must not show stale typing.
    this.dispatch({ type: "typing-reset" });
  }

  /** Sends a new message; it shows as pending until the response or its event confirms it. */
  send(body: string): string {
    const clientMessageId = (this.options.newClientMessageId ?? newClientMessageId)();
    this.outbox.send(this.id, clientMessageId, body, new Date(this.now()).toISOString(), this.transport);
    return clientMessageId;
  }

  /** Sends a failed message again under the same client_message_id, so the server stores it at most once. */
  retry(clientMessageId: string): Promise<void> {
    return this.outbox.retry(clientMessageId, this.transport);
  }

  /** Drops an unsent message for good. */
  discard(clientMessageId: string): void {
    this.outbox.discard(clientMessageId);
  }

  async loadOlder(): Promise<void> {
    await this.initial;
    if (!this.state.hasOlder) return;
    const before = firstSeq(this.state);
    await this.guard(async () => {
      const page = await this.options.api.history({ conversationId: this.id, before, limit: this.pageSize });
      this.showHistory({ type: "history", page, direction: "before", before });
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
        // Only what has been shown without a hole: a message behind a gap is not read yet.
        const seq = contiguousEnd(this.state);
        if (seq === 0 || (this.state.readSeqs[this.options.me.id] ?? 0) >= seq) break;
        result = await this.options.api.markRead(this.id, seq);
        this.dispatch({ type: "read", userId: this.options.me.id, lastReadSeq: result.last_read_seq });
      } while (this.readAgain);
    } catch {
      // Not worth an error on screen: the next message shown tries again.
    } finally {
      this.readInFlight = false;
    }
    return result;
  }

  /**
   * Tells the others this user is typing, at most once per throttle window: as a client event on
   * the presence channel (where Pusher stamps the sender), or through the server when refused.
   */
  notifyTyping(): void {
    const pusher = this.pusher;
    const now = this.now();
    if (!this.started || now - this.lastTypingSent < (this.options.typingThrottleMs ?? 2000)) return;
    this.lastTypingSent = now;
    const channel = this.presenceChannel;
    let sent = false;
    if (pusher && channel && channel.subscribed !== false && !refusedClientEvents.has(pusher)) {
      try {
        sent = channel.trigger("client-typing", {});
      } catch {
        sent = false;
      }
    }
    if (!sent) this.typingThroughServer();
  }

  /** Adds or removes my reaction; a second click while the first is out is ignored. */
  async toggleReaction(messageId: number, emoji: string): Promise<void> {
    const key = `${messageId}:${emoji}`;
    if (this.reacting.has(key)) return;
    this.reacting.add(key);
    const message = this.state.messages.find((m) => m.id === messageId);
    const mine = message?.reactions?.some((r) => r.emoji === emoji && r.user_ids.includes(this.options.me.id));
    try {
      await this.guard(async () => {
        const result = await this.options.api.react(messageId, emoji, mine ? "remove" : "add");
        this.dispatch({ type: "reactions", messageId: result.message_id, reactions: result.reactions, version: result.version });
      });
    } finally {
      this.reacting.delete(key);
    }
  }

  /** Fetches everything after the contiguous end; runs once at a time, again if asked meanwhile. */
  catchUp(): Promise<void> {
    this.syncAgain = true;
    if (!this.syncing) {
      this.syncing = this.runCatchUp(this.generation).finally(() => {
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

  private readonly transport: OutboxTransport = {
    send: (request) => this.options.api.send(request),
    socketId: () => (this.pusher ? currentSocketId(this.pusher) : undefined),
  };

  private showPending(): void {
    const pending = this.outbox.list(this.id).map(({ conversationId: _, ...p }) => p);
    const same =
      pending.length === this.state.pending.length &&
      pending.every((p, i) => {
        const q = this.state.pending[i];
        return q.clientMessageId === p.clientMessageId && q.status === p.status && q.error === p.error;
      });
    if (!same) this.dispatch({ type: "pending", pending });
  }

  /** Applies a page, and tells the outbox which of my messages are stored. */
  private showHistory(action: Extract<Action, { type: "history" }>): void {
    this.dispatch(action);
    this.confirmStored(action.page.messages);
  }

  private confirmStored(messages: Message[]): void {
    for (const m of messages) {
      if (m.sender.id === this.options.me.id && m.client_message_id) this.outbox.confirm(m.client_message_id);
    }
  }

  private backoff(failures: number): number {
    return Math.min((this.options.retryBaseMs ?? 1000) * 2 ** Math.max(0, failures - 1), MAX_DELAY_MS);
  }

  private async runCatchUp(generation: number): Promise<void> {
    await this.initial;
    // Without the first page there is no position to catch up from; loadLatest() resumes it.
    if (!this.state.loaded) return;
    const current = () => this.started && this.generation === generation;
    let pages = 0;
    const maxPages = this.options.maxCatchUpPages ?? 20;
    while (this.syncAgain && current()) {
      this.syncAgain = false;
      let stalled = false;
      let paused = false;
      const ok = await this.guard(async () => {
        for (;;) {
          if (!current()) return;
          if (pages >= maxPages) {
            paused = true;
            return;
          }
          const after = contiguousEnd(this.state);
          const page = await this.options.api.history({ conversationId: this.id, after, limit: this.pageSize });
          if (!current()) return;
          pages++;
          this.showHistory({ type: "history", page, direction: "after", after });
          if (page.messages.length === 0) return;
          // A page that moves nothing forward would be asked for again at once: back off instead.
          if (contiguousEnd(this.state) <= after) {
            stalled = true;
            return;
          }
          if (!(page.has_more || gapAfter(this.state) !== null)) return;
        }
      });
      if (!current()) return;
      if (!ok || stalled) {
        this.retryLater(() => void this.catchUp());
        return;
      }
      this.historyFailures = 0;
      if (paused) {
        this.later(this.options.retryBaseMs ?? 1000, () => void this.catchUp());
        return;
      }
    }
  }

  /** Schedules a retry with backoff, unless the last error (401, 404…) will not go away by asking again. */
  private retryLater(run: () => void): void {
    if (this.lastError instanceof ApiError && !this.lastError.retriable) return;
    this.historyFailures++;
    this.later(this.backoff(this.historyFailures), run);
  }

  private async loadLatest(generation: number): Promise<void> {
    const ok = await this.guard(async () => {
      const page = await this.options.api.history({ conversationId: this.id, limit: this.pageSize });
      if (this.generation === generation) this.showHistory({ type: "history", page, direction: "latest" });
    });
    if (this.generation !== generation) return;
    if (!ok) this.retryLater(() => void (this.initial = this.loadLatest(generation)));
    else {
      this.historyFailures = 0;
      if (this.syncAgain && !this.syncing) void this.catchUp();
    }
  }

  private attach(pusher: PusherLike): void {
    this.pusher = pusher;
    const name = conversationChannel(this.id);
    const channel = this.hold(pusher, name);
    this.on(channel, "pusher:subscription_succeeded", () => this.onLive(name));
    this.on(channel, "pusher:subscription_error", (e) => this.onSubscriptionError(name, e, false));
    this.on(channel, "new-message", (e: NewMessageEvent) => this.onNewMessage(e));
    this.on(channel, "messages-read", (e: MessagesReadEvent) =>
      this.dispatch({ type: "read", userId: e.user_id, lastReadSeq: e.last_read_seq }),
    );
    this.on(channel, "reaction-updated", (e: ReactionUpdatedEvent) =>
      this.dispatch({ type: "reactions", messageId: e.message_id, reactions: e.reactions, version: e.version }),
    );
    // The server's event: its user_id is set by the server, so it can be trusted.
    this.on(channel, "typing", (e: TypingEvent) => e?.user_id && this.showTyping(String(e.user_id), e.name));
    this.on(pusher, "pusher:error", (e: { message?: string }) => this.onPusherError(pusher, e));
    this.on(pusher.connection, "state_change", (s: { previous?: string; current?: string }) => {
      // A lost connection goes connected -> connecting (-> unavailable); pusher-js resubscribes after.
      if (DOWN.has(s?.current ?? "") || (s?.current === "connecting" && s.previous === "connected")) this.offline();
    });
    if (this.options.presence !== false) this.watchPresence(pusher);
    // Another view already holds this channel: no subscription_succeeded will come for us.
    if (channel.subscribed) this.onLive(name);
    else if (DOWN.has(pusher.connection.state ?? "")) this.offline();
  }

  private detach(): void {
    for (const [target, event, handler] of this.bindings.splice(0)) target.unbind?.(event, handler);
    if (this.pusher) for (const name of this.held.splice(0)) releaseChannel(this.pusher, name);
    this.held = [];
    this.pusher = null;
    this.presenceChannel = null;
    this.dispatch({ type: "live", live: false, error: this.state.liveError });
  }

  private hold(pusher: PusherLike, name: string): ChannelLike {
    this.held.push(name);
    return acquireChannel(pusher, name);
  }

  private onLive(name: string): void {
    this.subscribeFailures.delete(name);
    this.dispatch({ type: "live", live: true, error: null });
    void this.catchUp();
  }

  /** Live updates stopped (connection lost): the presence list is unknown, history gets polled. */
  private offline(): void {
    this.dispatch({ type: "live", live: false, error: this.state.liveError });
    this.dispatch({ type: "presence-unavailable" });
    this.schedulePoll();
  }

  private onSubscriptionError(name: string, event: { status?: number } | undefined, presence: boolean): void {
    if (presence) this.dispatch({ type: "presence-unavailable" });
    else {
      this.dispatch({ type: "live", live: false, error: subscriptionError(event) });
      this.schedulePoll();
    }
    // Not a member, or signed out: asking again will not help.
    if (event?.status === 401 || event?.status === 403) return;
    const failures = (this.subscribeFailures.get(name) ?? 0) + 1;
    this.subscribeFailures.set(name, failures);
    const pusher = this.pusher;
    // pusher-js authorizes again when subscribe() is called for a channel whose subscription failed.
    this.later(this.backoff(failures), () => {
      if (pusher && this.pusher === pusher) pusher.subscribe(name);
    });
  }

  private schedulePoll(): void {
    if (this.pollTimer || !this.started) return;
    this.pollTimer = this.later(this.options.pollMs ?? 10_000, () => {
      this.pollTimer = null;
      if (this.state.live) return;
      void this.catchUp();
      this.schedulePoll();
    });
  }

  private onNewMessage(event: NewMessageEvent): void {
    if (!event) return;
    if (isTruncated(event)) this.dispatch({ type: "announced", seq: event.seq });
    else {
      this.dispatch({ type: "message", message: event });
      this.confirmStored([event]);
    }
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

  private showTyping(userId: string, fallbackName?: string | null): void {
    if (userId === this.options.me.id) return;
    const ttl = this.options.typingTtlMs ?? 3000;
    const name = this.memberName(userId) ?? fallbackName ?? userId;
    this.dispatch({ type: "typing", userId, name, until: this.now() + ttl });
    this.later(ttl + 10, () => this.dispatch({ type: "typing-expired", now: this.now() }));
  }

  private memberName(userId: string): string | null {
    const info = toMember(this.presenceChannel?.members?.get(userId) ?? { id: userId, info: null }).name;
    return info ?? this.state.online?.find((m) => m.id === userId)?.name ?? null;
  }

  private typingThroughServer(): void {
    const socketId = this.pusher ? currentSocketId(this.pusher) : undefined;
    void this.options.api.typing(this.id, socketId).catch(() => {});
  }

  /** A refused client event comes back as a connection-wide pusher:error: use the server from now on. */
  private onPusherError(pusher: PusherLike, event: { message?: string } | undefined): void {
    if (!CLIENT_EVENTS_REFUSED.test(String(event?.message ?? ""))) return;
    const first = !refusedClientEvents.has(pusher);
    refusedClientEvents.add(pusher);
    if (first && this.now() - this.lastTypingSent < (this.options.typingThrottleMs ?? 2000)) this.typingThroughServer();
  }

  private watchPresence(pusher: PusherLike): void {
    const name = presenceChannel(this.id);
    const channel = this.hold(pusher, name);
    this.presenceChannel = channel;
    const showMembers = (members: { each(cb: (m: PresenceMember) => void): void } | undefined) => {
      const list: Member[] = [];
      members?.each?.((m) => list.push(toMember(m)));
      this.subscribeFailures.delete(name);
      this.dispatch({ type: "presence", members: list });
    };
    this.on(channel, "pusher:subscription_succeeded", showMembers);
    this.on(channel, "pusher:subscription_error", (e) => this.onSubscriptionError(name, e, true));
    this.on(channel, "pusher:member_added", (m: PresenceMember) => this.dispatch({ type: "member-added", member: toMember(m) }));
    this.on(channel, "pusher:member_removed", (m: PresenceMember) => this.dispatch({ type: "member-removed", userId: String(m.id) }));
    // Pusher adds the sender's user_id to client events on presence channels; the payload is not trusted.
    this.on(channel, "client-typing", (_data, metadata) => {
      if (metadata?.user_id) this.showTyping(String(metadata.user_id));
    });
    if (channel.subscribed && channel.members) showMembers(channel.members);
  }

  private on(target: ChannelLike | PusherLike | PusherLike["connection"], event: string, handler: EventHandler): void {
    if (!target.bind) return;
    target.bind(event, handler);
    this.bindings.push([target, event, handler]);
  }

  private later(ms: number, run: () => void): ReturnType<typeof setTimeout> {
    const generation = this.generation;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.started && this.generation === generation) run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  /** Runs an I/O step; a failure becomes the state's error instead of an unhandled rejection. */
  private async guard(step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      this.lastError = null;
      if (this.state.requestError) this.dispatch({ type: "error", error: null });
      return true;
    } catch (error) {
      this.lastError = error;
      this.dispatch({ type: "error", error: describe(error) });
      return false;
    }
  }
}

export { parseConversationId };
