// Messages written but not yet confirmed, per user: sent one at a time per conversation, retried
// under the same client_message_id, and kept across conversation switches and reloads.
import { ApiError, type SendRequest } from "./api";
import type { PendingMessage } from "./message-store";
import type { Message, SendResult } from "./types";

export interface OutboxEntry extends PendingMessage {
  conversationId: number;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** How to send: the api of whoever asked last, and the socket to leave out of the broadcast. */
export interface OutboxTransport {
  send(request: SendRequest): Promise<SendResult>;
  socketId(): string | undefined;
}

export interface OutboxOptions {
  /** Where unsent messages survive a reload; null keeps them in memory only. */
  storage?: StorageLike | null;
  storageKey?: string;
  /** Automatic attempts for a failure that may not have landed (network, timeout, 5xx, 429). */
  maxAttempts?: number;
  /** Delay before automatic attempt n+1 is retryBaseMs * 2^(n-1), unless the server said Retry-After. */
  retryBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

type Confirmed = (conversationId: number, clientMessageId: string, message: Message) => void;

export class Outbox {
  private entries: OutboxEntry[];
  private readonly listeners = new Set<() => void>();
  private readonly confirmedListeners = new Set<Confirmed>();
  private readonly draining = new Map<number, Promise<void>>();
  private readonly transports = new Map<number, OutboxTransport>();
  /** Ids this page confirmed or discarded: another tab's stored copy must not bring them back. */
  private readonly forgotten = new Set<string>();

  constructor(private readonly options: OutboxOptions = {}) {
    this.entries = this.stored();
  }

  list(conversationId: number): OutboxEntry[] {
    return this.entries.filter((e) => e.conversationId === conversationId);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onConfirmed(listener: Confirmed): () => void {
    this.confirmedListeners.add(listener);
    return () => this.confirmedListeners.delete(listener);
  }

  /** Queues a message behind the conversation's earlier ones, so the server numbers them in order. */
  send(conversationId: number, clientMessageId: string, body: string, createdAt: string, transport: OutboxTransport): void {
    if (this.entries.some((e) => e.clientMessageId === clientMessageId)) return;
    this.update([...this.entries, { conversationId, clientMessageId, body, createdAt, status: "sending", error: null }]);
    this.kick(conversationId, transport);
  }

  /** Sends what is still marked sending (after a reload, or when a conversation opens again). */
  resume(conversationId: number, transport: OutboxTransport): void {
    if (this.list(conversationId).some((e) => e.status === "sending")) this.kick(conversationId, transport);
    else this.transports.set(conversationId, transport);
  }

  retry(clientMessageId: string, transport: OutboxTransport): Promise<void> {
    const entry = this.entries.find((e) => e.clientMessageId === clientMessageId);
    if (!entry || entry.status !== "failed") return Promise.resolve();
    this.patch(clientMessageId, { status: "sending", error: null });
    return this.kick(entry.conversationId, transport);
  }

  discard(clientMessageId: string): void {
    if (!this.entries.some((e) => e.clientMessageId === clientMessageId)) return;
    this.forgotten.add(clientMessageId);
    this.update(this.entries.filter((e) => e.clientMessageId !== clientMessageId));
  }

  /** A message of mine seen in an event or history page: its entry is done. */
  confirm(clientMessageId: string): void {
    this.discard(clientMessageId);
  }

  /** Resolves once nothing of this conversation is being sent. */
  async idle(conversationId: number): Promise<void> {
    while (this.draining.has(conversationId)) await this.draining.get(conversationId);
  }

  private kick(conversationId: number, transport: OutboxTransport): Promise<void> {
    this.transports.set(conversationId, transport);
    const running = this.draining.get(conversationId);
    if (running) return running;
    const run = (async () => {
      for (;;) {
        const next = this.entries.find((e) => e.conversationId === conversationId && e.status === "sending");
        if (!next) return;
        await this.deliver(next);
      }
    })().finally(() => this.draining.delete(conversationId));
    this.draining.set(conversationId, run);
    return run;
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const { conversationId, clientMessageId } = entry;
    const maxAttempts = this.options.maxAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      const transport = this.transports.get(conversationId)!;
      try {
        const result = await transport.send({
          conversation_id: conversationId,
          body: entry.body,
          client_message_id: clientMessageId,
          socket_id: transport.socketId(),
        });
        this.confirm(clientMessageId);
        // Stored even if discarded meanwhile: the open view shows it like any other message.
        if (result.message) for (const listener of this.confirmedListeners) listener(conversationId, clientMessageId, result.message);
        return;
      } catch (error) {
        if (!this.entries.some((e) => e.clientMessageId === clientMessageId)) return;
        const retriable = error instanceof ApiError && error.retriable;
        if (!retriable || attempt >= maxAttempts) {
          this.patch(clientMessageId, { status: "failed", error: describe(error) });
          return;
        }
        const base = this.options.retryBaseMs ?? 1000;
        const wait = error.retryAfterSeconds !== null ? error.retryAfterSeconds * 1000 : base * 2 ** (attempt - 1);
        this.patch(clientMessageId, { error: `${describe(error)} Retrying…` });
        await (this.options.sleep ?? sleep)(wait);
        // Discarded or confirmed by its event meanwhile: nothing more to send.
        if (!this.entries.some((e) => e.clientMessageId === clientMessageId && e.status === "sending")) return;
      }
    }
  }

  private patch(clientMessageId: string, change: Partial<OutboxEntry>): void {
    this.update(this.entries.map((e) => (e.clientMessageId === clientMessageId ? { ...e, ...change } : e)));
  }

  private update(entries: OutboxEntry[]): void {
    this.entries = entries;
    this.persist();
    for (const listener of this.listeners) listener();
  }

  private stored(): OutboxEntry[] {
    const { storage, storageKey } = this.options;
    if (!storage || !storageKey) return [];
    try {
      const parsed = JSON.parse(storage.getItem(storageKey) ?? "[]") as unknown;
      return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
    } catch {
      return [];
    }
  }

  private persist(): void {
    const { storage, storageKey } = this.options;
    if (!storage || !storageKey) return;
    // Keep what other tabs stored; this page's own entries replace their stored copies.
    const mine = new Set(this.entries.map((e) => e.clientMessageId));
    const others = this.stored().filter((e) => !mine.has(e.clientMessageId) && !this.forgotten.has(e.clientMessageId));
    try {
      storage.setItem(storageKey, JSON.stringify([...others, ...this.entries]));
    } catch {
      // Full or blocked storage: the messages still live in this page.
    }
  }
}

const outboxes = new Map<string, Outbox>();

/** The page's outbox for a user, persisted in localStorage where there is one. */
export function outboxFor(userId: string): Outbox {
  let outbox = outboxes.get(userId);
  if (!outbox) {
    outbox = new Outbox({ storage: browserStorage(), storageKey: `messaging-outbox:v1:${userId}` });
    outboxes.set(userId, outbox);
  }
  return outbox;
}

function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

function isEntry(value: unknown): value is OutboxEntry {
  const e = value as OutboxEntry;
  return (
    typeof e === "object" &&
    e !== null &&
    typeof e.clientMessageId === "string" &&
    typeof e.conversationId === "number" &&
    typeof e.body === "string" &&
    (e.status === "sending" || e.status === "failed")
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
