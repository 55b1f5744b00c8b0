// Keeps one conversation's store in step with the server: history, live events, catch-up, sends.
import { ApiError, type ApiClient } from "./api";
import { newClientMessageId } from "./client-id";
import { type Action, type ConversationState, contiguousEnd, firstSeq, gapAfter, initialState, reduce } from "./message-store";
import { type LiveHost, LiveLink } from "./live-link";
import { type Outbox, type OutboxTransport, outboxFor } from "./outbox";
import { MAX_DELAY_MS, describe, isTruncatedOnly, parseConversationId } from "./sync-support";
import { type PusherLike, type PusherSource, currentSocketId, isPusherSource } from "./realtime-port";
import { type Message, type NewMessageEvent, type ReadResult, isTruncated } from "./types";

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
  /**
   * "client-event" (default): `client-typing` on the presence channel, where Pusher stamps the
   * sender's user_id; the typing route when client events are refused. "server": always the typing
   * route, for Pusher-protocol servers that do not stamp client events (Sockudo 5.2.0 does not).
   */
  typingVia?: "client-event" | "server";
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
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly cleanups: Array<() => void> = [];
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
  private readonly reacting = new Set<string>();
  private link: LiveLink | null = null;
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
          if (this.generation === generation && !this.link) this.attach(client);
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
    if (this.id === 0) throw new TypeError(this.state.error ?? "invalid conversationId");
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
        result = await this.options.api.markRead(this.id, seq, this.transport.socketId());
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
    if (!this.started) return;
    if (this.link) this.link.notifyTyping();
    else if (this.now() - this.lastTypingSent >= (this.options.typingThrottleMs ?? 2000)) {
      // No connection (yet): the server can still tell the others.
      this.lastTypingSent = this.now();
      this.host.typingThroughServer(undefined);
    }
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
    socketId: () => (this.link ? currentSocketId(this.link.pusher) : undefined),
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

  private schedulePoll(): void {
    if (this.pollTimer || !this.started) return;
    this.pollTimer = this.later(this.options.pollMs ?? 10_000, () => {
      this.pollTimer = null;
      if (this.state.live) return;
      void this.catchUp();
      this.schedulePoll();
    });
  }

  private attach(pusher: PusherLike): void {
    this.link = new LiveLink(pusher, {
      ...this.host,
      conversationId: this.id,
      me: this.options.me.id,
      presence: this.options.presence !== false,
      typingTtlMs: this.options.typingTtlMs ?? 3000,
      typingThrottleMs: this.options.typingThrottleMs ?? 2000,
      typingViaServer: this.options.typingVia === "server",
    });
  }

  private detach(): void {
    this.link?.close();
    this.link = null;
    this.dispatch({ type: "live", live: false, error: this.state.liveError });
  }

  private readonly host: Omit<LiveHost, "conversationId" | "me" | "presence" | "typingTtlMs" | "typingThrottleMs" | "typingViaServer"> = {
    state: () => this.state,
    dispatch: (action) => this.dispatch(action),
    live: () => void this.catchUp(),
    down: () => this.schedulePoll(),
    newMessage: (event) => this.onNewMessage(event),
    later: (ms, run) => void this.later(ms, run),
    backoff: (failures) => this.backoff(failures),
    now: () => this.now(),
    typingThroughServer: (socketId) => void this.options.api.typing(this.id, socketId).catch(() => {}),
  };

  private onNewMessage(event: NewMessageEvent): void {
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
