"use client";
// React adapter over ConversationSync: the hook owns the sync's lifetime, the core owns the logic.
import { useEffect, useMemo, useSyncExternalStore } from "react";
import { type ApiClient, createApi } from "./api";
import { ConversationSync } from "./conversation-sync";
import { type ConversationState, othersOnline, seenMarkers } from "./message-store";
import { getPusherClient } from "./pusher-client";
import type { PusherLike } from "./realtime-port";

export interface UseRealtimeMessagesOptions {
  conversationId: number;
  me: { id: string; name: string };
  /** Defaults to the page's singleton from NEXT_PUBLIC_* settings. */
  pusher?: PusherLike;
  /** Defaults to same-origin calls with the session cookie. */
  api?: ApiClient;
  pageSize?: number;
  /** Read positions already known, e.g. from the conversation list's members; read once. */
  readPositions?: Record<string, number>;
}

export interface RealtimeMessages {
  state: ConversationState;
  seen: Map<number, string[]>;
  online: ConversationState["online"];
  send(body: string): string;
  retry(clientMessageId: string): Promise<void>;
  loadOlder(): Promise<void>;
  markRead: ConversationSync["markRead"];
  notifyTyping(): void;
  toggleReaction(messageId: number, emoji: string): Promise<void>;
}

let defaultApi: ApiClient | null = null;

/**
 * The page's singleton, fetched on first use rather than at render: server rendering runs the
 * hook's render too, and must not open a socket.
 */
const pagePusher: PusherLike = {
  subscribe: (name) => getPusherClient().subscribe(name),
  unsubscribe: (name) => getPusherClient().unsubscribe(name),
  get connection() {
    return getPusherClient().connection;
  },
};

export function useRealtimeMessages(options: UseRealtimeMessagesOptions): RealtimeMessages {
  const { conversationId, me, pusher, api, pageSize, readPositions } = options;
  const sync = useMemo(
    () =>
      new ConversationSync({
        conversationId,
        me,
        pusher: pusher ?? pagePusher,
        api: api ?? (defaultApi ??= createApi()),
        pageSize,
        readPositions,
      }),
    // `me` is compared by value, and readPositions only seeds a new sync: neither resubscribes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [conversationId, me.id, me.name, pusher, api, pageSize],
  );

  useEffect(() => {
    sync.start();
    return () => sync.stop();
  }, [sync]);

  const state = useSyncExternalStore(sync.subscribe, sync.getState, sync.getState);
  const seen = useMemo(() => seenMarkers(state), [state]);
  const online = useMemo(() => (state.online === null ? null : othersOnline(state)), [state]);

  return useMemo(
    () => ({
      state,
      seen,
      online,
      send: (body: string) => sync.send(body),
      retry: (id: string) => sync.retry(id),
      loadOlder: () => sync.loadOlder(),
      markRead: () => sync.markRead(),
      notifyTyping: () => sync.notifyTyping(),
      toggleReaction: (messageId: number, emoji: string) => sync.toggleReaction(messageId, emoji),
    }),
    [state, seen, online, sync],
  );
}
