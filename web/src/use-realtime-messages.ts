"use client";
// React adapter over ConversationSync: the hook owns the sync's lifetime, the core owns the logic.
import { useEffect, useMemo, useSyncExternalStore } from "react";
import { type ApiClient, createApi } from "./api";
import { ConversationSync } from "./conversation-sync";
import { type ConversationState, othersOnline, seenMarkers } from "./message-store";
import type { Outbox } from "./outbox";
import { pagePusherSource } from "./pusher-client";
import type { PusherLike, PusherSource } from "./realtime-port";

export interface UseRealtimeMessagesOptions {
  /** A positive integer, or its decimal string (a route param); anything else becomes `state.error`. */
  conversationId: number | string;
  me: { id: string; name: string };
  /**
   * Defaults to the page's singleton from NEXT_PUBLIC_* settings, built (and pusher-js loaded) when
   * the first conversation starts; a missing setting becomes `state.error`, never a thrown error.
   */
  pusher?: PusherLike | PusherSource;
  /** Defaults to same-origin calls with the session cookie. */
  api?: ApiClient;
  pageSize?: number;
  /** Read positions already known, e.g. from the conversation list's members; read once. */
  readPositions?: Record<string, number>;
  /** How typing is sent; see SyncOptions.typingVia (default "client-event"). */
  typingVia?: "client-event" | "server";
  /** Where unsent messages wait (default: the page's outbox for `me`, kept in localStorage). */
  outbox?: Outbox;
}

export interface RealtimeMessages {
  state: ConversationState;
  seen: Map<number, string[]>;
  online: ConversationState["online"];
  send(body: string): string;
  retry(clientMessageId: string): Promise<void>;
  /** Drops an unsent (pending or failed) message. */
  discard(clientMessageId: string): void;
  loadOlder(): Promise<void>;
  markRead: ConversationSync["markRead"];
  notifyTyping(): void;
  toggleReaction(messageId: number, emoji: string): Promise<void>;
}

let defaultApi: ApiClient | null = null;

export function useRealtimeMessages(options: UseRealtimeMessagesOptions): RealtimeMessages {
  const { conversationId, me, pusher, api, pageSize, readPositions, outbox, typingVia } = options;
  const sync = useMemo(
    () =>
      new ConversationSync({
        conversationId,
        me,
        // The page's connection is resolved in start(), from the effect: server rendering opens no socket.
        pusher: pusher ?? pagePusherSource,
        api: api ?? (defaultApi ??= createApi()),
        pageSize,
        readPositions,
        outbox,
        typingVia,
      }),
    // `me` is compared by value, and readPositions only seeds a new sync: neither resubscribes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [conversationId, me.id, me.name, pusher, api, pageSize, outbox, typingVia],
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
      discard: (id: string) => sync.discard(id),
      loadOlder: () => sync.loadOlder(),
      markRead: () => sync.markRead(),
      notifyTyping: () => sync.notifyTyping(),
      toggleReaction: (messageId: number, emoji: string) => sync.toggleReaction(messageId, emoji),
    }),
    [state, seen, online, sync],
  );
}
