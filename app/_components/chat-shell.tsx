"use client";
// The signed-in shell: one pusher-js connection for the page, the conversation list with live unread
// badges and online dots, the start-a-conversation form, and the open conversation (children).
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import type Pusher from "pusher-js";
import { type ReactNode, useCallback, useEffect, useMemo, useReducer, useState } from "react";
import { ApiError, createApi } from "@messaging/client/api";
import { type ConversationListState, initialListState, reduceList } from "@messaging/client/conversation-list";
import { type PusherClientOptions, createPusherClient, setPusherClient } from "@messaging/client/pusher-client";
import { acquireChannel, releaseChannel } from "@messaging/client/realtime-port";
import { type ConversationUpdatedEvent, userChannel } from "@messaging/client/types";
import { type Chat, ChatContext, type Me } from "./chat-context";
import { conversationTitle } from "./conversation-title";
import { NewConversation, type Suggestion } from "./new-conversation";

const api = createApi();

declare global {
  interface Window {
    /** For the browser tests: the page's connection and user. */
    __messagingApp?: { pusher: Pusher; user: Me };
  }
}

function useConnection(user: Me, options: PusherClientOptions) {
  const [pusher, setPusher] = useState<Pusher | null>(null);
  const [state, setState] = useState("initialized");
  useEffect(() => {
    // pusher-js loads lazily: the connection exists once its module has arrived.
    let client: Pusher | null = null;
    let gone = false;
    createPusherClient(options)
      .then((created) => {
        if (gone) {
          created.disconnect();
          return;
        }
        client = created;
        // The page's singleton: anything calling getPusherClient() shares this socket.
        setPusherClient(created);
        created.connection.bind("state_change", ({ current }: { current: string }) => setState(current));
        window.__messagingApp = { pusher: created, user };
        setPusher(created);
      })
      .catch((e: Error) => setState(`failed: ${e.message}`));
    return () => {
      gone = true;
      client?.disconnect();
      setPusher(null);
    };
    // The options are the server's, fixed for the page's life.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [user.id]);
  return { pusher, state };
}

function useConversationList(user: Me, pusher: Pusher | null, onSignedOut: () => void) {
  const [list, dispatch] = useReducer(reduceList, user.id, initialListState);
  const [loads, setLoads] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    let current = true;
    api
      .conversations()
      .then((conversations) => {
        if (!current) return;
        dispatch({ type: "loaded", conversations });
        setLoads((n) => n + 1);
        setError(null);
      })
      .catch((e: Error) => {
        if (!current) return;
        // The session cookie expired or was cleared: back to sign-in.
        if (e instanceof ApiError && e.status === 401) onSignedOut();
        else setError(`Conversations unavailable: ${e.message}`);
      });
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);
  useEffect(() => {
    if (!pusher) return;
    const name = userChannel(user.id);
    // Shared with any other view of this user's channel: only the last one out unsubscribes.
    const channel = acquireChannel(pusher, name);
    const onUpdate = (event: ConversationUpdatedEvent) => dispatch({ type: "updated", event });
    channel.bind("conversation-updated", onUpdate);
    // Badges and online flags may have moved while the socket was away.
    channel.bind("pusher:subscription_succeeded", reload);
    return () => {
      channel.unbind("conversation-updated", onUpdate);
      channel.unbind("pusher:subscription_succeeded", reload);
      releaseChannel(pusher, name);
    };
  }, [pusher, user.id]);
  useEffect(() => {
    if (list.stale) reload();
  }, [list.stale]);
  useEffect(() => {
    // Coming back to the tab refreshes the list (online dots of conversations not open move by webhook).
    const onVisible = () => document.visibilityState === "visible" && reload();
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, []);
  return { list, dispatch, loads, error, reload };
}

interface ListProps {
  list: ConversationListState;
  loaded: boolean;
  selected: number | null;
  me: string;
  liveOnline: Record<number, string[]>;
}

function ConversationList({ list, loaded, selected, me, liveOnline }: ListProps) {
  if (!loaded) return <p className="empty">Loading…</p>;
  if (list.items.length === 0) return <p className="empty" data-testid="no-conversations">No conversations yet.</p>;
  return (
    <ul className="conversation-list">
      {list.items.map(({ conversation, unread }) => {
        const others = conversation.members.filter((m) => m.id !== me);
        const live = liveOnline[conversation.id];
        const online = live ? live.length > 0 : others.some((m) => m.online);
        return (
          <li key={conversation.id}>
            <Link
              href={`/c/${conversation.id}`}
              data-testid="conversation-link"
              data-conversation-id={conversation.id}
              aria-current={conversation.id === selected ? "page" : undefined}
            >
              <span className={`dot${online ? " online" : ""}`} data-testid="online-dot" data-online={online} aria-label={online ? "online" : "offline"} role="img" />
              <span className="title">{conversationTitle(conversation, me)}</span>
              {unread > 0 && (
                <span className="badge" data-testid="unread-badge" aria-label={`${unread} unread`}>
                  {unread}
                </span>
              )}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

interface ShellProps {
  user: Me;
  pusherOptions: PusherClientOptions;
  /** People to offer in the start-a-conversation form (the demo users locally). */
  suggestions: Suggestion[];
  children: ReactNode;
}

export function ChatShell({ user, pusherOptions, suggestions, children }: ShellProps) {
  const router = useRouter();
  const params = useParams<{ id?: string }>();
  const selected = params?.id ? Number(params.id) : null;
  const toSignIn = useCallback(() => {
    router.replace("/sign-in");
    router.refresh();
  }, [router]);
  const { pusher, state } = useConnection(user, pusherOptions);
  const { list, dispatch, loads, error, reload } = useConversationList(user, pusher, toSignIn);
  const [liveOnline, setLiveOnline] = useState<Record<number, string[]>>({});
  const reportOnline = useCallback((conversationId: number, userIds: string[]) => {
    setLiveOnline((current) => {
      const before = current[conversationId];
      if (before && before.length === userIds.length && before.every((id, i) => id === userIds[i])) return current;
      return { ...current, [conversationId]: userIds };
    });
  }, []);
  // A reloaded list carries the webhook's view; a closed conversation's live view goes stale.
  useEffect(() => {
    setLiveOnline((current) => (selected !== null && current[selected] ? { [selected]: current[selected] } : {}));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loads]);

  const signOut = async () => {
    await fetch("/api/session", { method: "DELETE" }).catch(() => null);
    toSignIn();
  };

  const chat: Chat = useMemo(
    () => ({ me: user, pusher, api, list, listLoaded: loads > 0, dispatch, reload, reportOnline }),
    [user, pusher, list, loads, reload, reportOnline],
  );
  return (
    <ChatContext.Provider value={chat}>
      <div className="app">
        <header className="topbar">
          <h1>
            <Link href="/" data-testid="home">
              Messages
            </Link>
          </h1>
          <p className="whoami" data-testid="whoami">
            {user.name} {user.role && <span className="role">({user.role})</span>}
          </p>
          <p className={`connection connection-${state}`} data-testid="connection-state">
            {state === "connected" ? "Live" : state === "connecting" || state === "initialized" ? "Connecting…" : "Offline"}
          </p>
          <button type="button" onClick={() => void signOut()} data-testid="sign-out">
            Switch user
          </button>
        </header>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="columns">
          <nav aria-label="Conversations" className="sidebar">
            <h2>Conversations</h2>
            <ConversationList list={list} loaded={loads > 0} selected={selected} me={user.id} liveOnline={liveOnline} />
            <NewConversation
              suggestions={suggestions}
              onStarted={(id) => {
                reload();
                router.push(`/c/${id}`);
              }}
            />
          </nav>
          <main className="main">{children}</main>
        </div>
      </div>
    </ChatContext.Provider>
  );
}
