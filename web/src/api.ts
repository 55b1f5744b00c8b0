// Fetch wrappers for the contract's routes; every non-2xx answer becomes an ApiError.
import type {
  Conversation,
  ConversationPage,
  HistoryPage,
  ReactResult,
  ReadResult,
  SendResult,
} from "./types";

/** An error answer of the contract (`{"error": {"code", "message"}}`) or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** Worth sending again with the same idempotency key: the request may never have landed. */
  get retriable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface ApiOptions {
  /** Origin for Node callers; the browser leaves it empty and stays same-origin. */
  baseUrl?: string;
  /** A session JWT sent as a bearer token; without it the session cookie is used. */
  token?: string;
  fetch?: typeof fetch;
  /** A request with no answer after this long fails as retriable `timeout` (default 15 s). */
  timeoutMs?: number;
}

export interface ConversationsQuery {
  limit?: number;
  /** The previous page's `next_cursor`. */
  cursor?: string | null;
}

export interface HistoryQuery {
  conversationId: number;
  before?: number;
  after?: number;
  limit?: number;
}

export interface SendRequest {
  conversation_id: number;
  body: string;
  client_message_id?: string;
  socket_id?: string;
}

export interface ApiClient {
  history(query: HistoryQuery): Promise<HistoryPage>;
  send(request: SendRequest): Promise<SendResult & { replayed: boolean }>;
  /** `socketId`: this tab's pusher-js socket, left out of the `messages-read` broadcast (it has the answer). */
  markRead(conversationId: number, seq: number, socketId?: string): Promise<ReadResult>;
  typing(conversationId: number, socketId?: string): Promise<void>;
  react(messageId: number, emoji: string, action: "add" | "remove"): Promise<ReactResult>;
  /** The first page of the list (kept for callers written before the list was paginated). */
  conversations(): Promise<Conversation[]>;
  /** Optional so that ApiClients written before pagination still type-check; createApi() has it. */
  conversationsPage?(query?: ConversationsQuery): Promise<ConversationPage>;
}

export function createApi(options: ApiOptions = {}): ApiClient {
  const base = options.baseUrl ?? "";
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function call<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const headers = new Headers(init.headers);
    headers.set("accept", "application/json");
    if (options.token) headers.set("authorization", `Bearer ${options.token}`);
    // A stalled request must end: the caller shows "Sending…" until it does.
    const abort = new AbortController();
    const timeoutMs = options.timeoutMs ?? 15_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await doFetch(base + path, { ...init, headers, credentials: "same-origin", signal: abort.signal });
      text = await response.text();
    } catch (cause) {
      if (timedOut) throw new ApiError(0, "timeout", `No answer from the server within ${Math.round(timeoutMs / 1000)} s`);
      throw new ApiError(0, "network", `Network error: ${(cause as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // A proxy or platform page instead of our JSON; reported below by status.
    }
    if (!response.ok) throw errorFrom(response, parsed);
    return { status: response.status, body: parsed as T };
  }

  const post = <T>(path: string, payload: unknown) =>
    call<T>(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });

  return {
    async history({ conversationId, before, after, limit }) {
      const query = new URLSearchParams({ conversation_id: String(conversationId) });
      if (before !== undefined) query.set("before", String(before));
      if (after !== undefined) query.set("after", String(after));
      if (limit !== undefined) query.set("limit", String(limit));
      return (await call<HistoryPage>(`/api/messages/history?${query}`)).body;
    },
    async send(request) {
      const { status, body } = await post<SendResult>("/api/messages/send", request);
      return { ...body, replayed: status === 200 };
    },
    async markRead(conversationId, seq, socketId) {
      return (await post<ReadResult>("/api/messages/read", { conversation_id: conversationId, seq, socket_id: socketId })).body;
    },
    async typing(conversationId, socketId) {
      await post("/api/messages/typing", { conversation_id: conversationId, socket_id: socketId });
    },
    async react(messageId, emoji, action) {
      return (await post<ReactResult>("/api/messages/react", { message_id: messageId, emoji, action })).body;
    },
    async conversations() {
      return (await conversationsPage()).conversations;
    },
    conversationsPage,
  };

  async function conversationsPage(query: ConversationsQuery = {}): Promise<ConversationPage> {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    if (query.cursor) params.set("cursor", query.cursor);
    const qs = params.size ? `?${params}` : "";
    const body = (await call<Partial<ConversationPage>>(`/api/conversations${qs}`)).body;
    // Servers before pagination send no next_cursor: that is the only page.
    return { conversations: body?.conversations ?? [], next_cursor: body?.next_cursor ?? null };
  }
}

function errorFrom(response: Response, parsed: unknown): ApiError {
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === "string" ? error.code : `http_${response.status}`;
  const message =
    typeof error?.message === "string" ? error.message : `${response.status} ${response.statusText}`.trim();
  const retryAfter = Number(response.headers.get("retry-after"));
  return new ApiError(response.status, code, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
}

