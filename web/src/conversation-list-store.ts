// The conversation list with its I/O: pages from the list route on demand, live badges from the user's channel.
import type { ApiClient, ConversationsQuery } from "./api";
import { type ConversationListState, type ListAction, initialListState, reduceList } from "./conversation-list";
import { type ChannelLike, type EventHandler, type PusherLike, acquireChannel, releaseChannel } from "./realtime-port";
import { type ConversationPage, type ConversationUpdatedEvent, type MessagesReadEvent, userChannel } from "./types";

export interface ConversationListOptions {
  api: ApiClient;
  me: string;
  /** Conversations per page (the server's default when absent). */
  pageSize?: number;
}

export class ConversationListStore {
  private state: ConversationListState;
  private readonly listeners = new Set<() => void>();
  private loading: Promise<void> | null = null;
  private unwatch: (() => void) | null = null;
  /** Bumped by every first-page load, so a page of an older listing is not appended to a newer one. */
  private listing = 0;

  constructor(private readonly options: ConversationListOptions) {
    this.state = initialListState(options.me);
  }

  getState = (): ConversationListState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  dispatch(action: ListAction): void {
    const next = reduceList(this.state, action);
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener();
  }

  /** Loads (or reloads) the first page; what is held merges forward, never back. */
  async reload(): Promise<void> {
    const listing = ++this.listing;
    const page = await this.page({ limit: this.options.pageSize });
    if (listing === this.listing) this.dispatch({ type: "loaded", conversations: page.conversations, nextCursor: page.next_cursor });
  }

  get hasMore(): boolean {
    return this.state.nextCursor !== null;
  }

  /** Appends the next page, once at a time; does nothing after the last page. */
  loadMore(): Promise<void> {
    if (this.loading) return this.loading;
    const cursor = this.state.nextCursor;
    if (cursor === null) return Promise.resolve();
    const listing = this.listing;
    this.loading = (async () => {
      const page = await this.page({ limit: this.options.pageSize, cursor });
      if (listing === this.listing) {
        this.dispatch({ type: "loaded", conversations: page.conversations, nextCursor: page.next_cursor, append: true });
      }
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async page(query: ConversationsQuery): Promise<ConversationPage> {
    const { api } = this.options;
    if (api.conversationsPage) return api.conversationsPage(query);
    return { conversations: await api.conversations(), next_cursor: null };
  }

  /** Follows the user's channel: `conversation-updated`, and `messages-read` when it names its conversation. */
  watch(pusher: PusherLike, onError?: (error: unknown) => void): () => void {
    this.unwatch?.();
    const name = userChannel(this.options.me);
    const channel = acquireChannel(pusher, name);
    const reload = () => void this.reload().catch((e) => onError?.(e));
    const handlers: Array<[string, EventHandler]> = [
      ["conversation-updated", (event: ConversationUpdatedEvent) => this.dispatch({ type: "updated", event })],
      [
        "messages-read",
        (event: MessagesReadEvent & { conversation_id?: number }) => {
          if (typeof event?.conversation_id === "number") this.dispatch({ type: "messages-read", conversationId: event.conversation_id, event });
        },
      ],
      // Badges may have moved while the socket was away.
      ["pusher:subscription_succeeded", reload],
    ];
    for (const [event, handler] of handlers) channel.bind(event, handler);
    const stop = () => {
      for (const [event, handler] of handlers) (channel as ChannelLike).unbind(event, handler);
      releaseChannel(pusher, name);
      if (this.unwatch === stop) this.unwatch = null;
    };
    this.unwatch = stop;
    return stop;
  }
}
