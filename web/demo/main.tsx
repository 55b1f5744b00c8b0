// Demo page: development login, conversation list with live unread badges, one open conversation.
import type Pusher from "pusher-js";
import { StrictMode, useEffect, useReducer, useState } from "react";
import { createRoot } from "react-dom/client";
import { ApiError, createApi } from "../src/api";
import { type ConversationListState, initialListState, reduceList } from "../src/conversation-list";
import { type DemoRole, type DevUser, devConfig, devLogin, pusherOptionsFromDevConfig } from "../src/dev-api";
import { createPusherClient, setPusherClient } from "../src/pusher-client";
import { acquireChannel, releaseChannel } from "../src/realtime-port";
import { type Conversation, type ConversationUpdatedEvent, userChannel } from "../src/types";
import { ConversationView } from "./conversation-view";
import { conversationFromHash, saveUser, savedUser } from "./session";

const api = createApi();

declare global {
  interface Window {
    /** For the browser tests: the page's connection and user. */
    __messagingDemo?: { pusher: Pusher; user: DevUser };
  }
}

export function conversationTitle(c: Conversation, me: string): string {
  if (c.title) return c.title;
  const others = c.members.filter((m) => m.id !== me).map((m) => m.name ?? m.id);
  return others.join(", ") || "Just you";
}

function Login({ onLogin }: { onLogin: (user: DevUser) => void }) {
  const [busy, setBusy] = useState<DemoRole | null>(null);
  const [error, setError] = useState<string | null>(null);
  const login = async (as: DemoRole) => {
    setBusy(as);
    setError(null);
    try {
      onLogin((await devLogin(as)).user);
    } catch (e) {
      setError(`Login failed: ${(e as Error).message}`);
    } finally {
      setBusy(null);
    }
  };
  const roles: Array<[DemoRole, string]> = [
    ["student", "Sam Student (student)"],
    ["teacher", "Taylor Teacher (teacher)"],
    ["outsider", "Olive Outsider (no shared conversation)"],
  ];
  return (
    <main className="login">
      <h1>Messaging demo</h1>
      <p>Development login: choose who you are.</p>
      <div className="login-choices" role="group" aria-label="Log in as">
        {roles.map(([as, label]) => (
          <button key={as} type="button" data-testid={`login-${as}`} disabled={busy !== null} onClick={() => void login(as)}>
            {busy === as ? "Logging in…" : label}
          </button>
        ))}
      </div>
      {error && <p role="alert" className="error">{error}</p>}
    </main>
  );
}

function useConnection(user: DevUser | null): { pusher: Pusher | null; state: string; error: string | null } {
  const [pusher, setPusher] = useState<Pusher | null>(null);
  const [state, setState] = useState("initialized");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!user) return;
    let client: Pusher | null = null;
    let cancelled = false;
    devConfig()
      .then((config) => createPusherClient(pusherOptionsFromDevConfig(config)))
      .then((created) => {
        if (cancelled) return created.disconnect();
        client = created;
        setPusherClient(created);
        created.connection.bind("state_change", ({ current }: { current: string }) => setState(current));
        window.__messagingDemo = { pusher: created, user };
        setPusher(created);
      })
      .catch((e: Error) => setError(`Realtime settings unavailable: ${e.message}`));
    return () => {
      cancelled = true;
      client?.disconnect();
      setPusher(null);
    };
  }, [user]);
  return { pusher, state, error };
}

function useConversationList(user: DevUser, pusher: Pusher | null, onSignedOut: () => void) {
  const [list, dispatch] = useReducer(reduceList, user.id, initialListState);
  const [error, setError] = useState<string | null>(null);
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    api
      .conversations()
      .then((conversations) => dispatch({ type: "loaded", conversations }))
      .catch((e: Error) => {
        // The saved user outlived its session cookie: back to the login.
        if (e instanceof ApiError && e.status === 401) onSignedOut();
        else setError(e.message);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);
  useEffect(() => {
    if (!pusher) return;
    const name = userChannel(user.id);
    const channel = acquireChannel(pusher, name);
    const onUpdate = (event: ConversationUpdatedEvent) => dispatch({ type: "updated", event });
    channel.bind("conversation-updated", onUpdate);
    // Badges may have moved while the socket was away.
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
  return { list, dispatch, error };
}

function ConversationList({ list, selected, me }: { list: ConversationListState; selected: number | null; me: string }) {
  if (list.items.length === 0) return <p className="empty" data-testid="no-conversations">No conversations yet.</p>;
  return (
    <ul className="conversation-list">
      {list.items.map(({ conversation, unread }) => (
        <li key={conversation.id}>
          <a
            href={`#/c/${conversation.id}`}
            data-testid="conversation-link"
            data-conversation-id={conversation.id}
            aria-current={conversation.id === selected ? "page" : undefined}
          >
            <span className="title">{conversationTitle(conversation, me)}</span>
            {unread > 0 && (
              <span className="badge" data-testid="unread-badge" aria-label={`${unread} unread`}>
                {unread}
              </span>
            )}
          </a>
        </li>
      ))}
    </ul>
  );
}

function Shell({ user, onLogout }: { user: DevUser; onLogout: () => void }) {
  const { pusher, state, error: connectionError } = useConnection(user);
  const { list, dispatch, error } = useConversationList(user, pusher, onLogout);
  const [selected, setSelected] = useState<number | null>(conversationFromHash);
  useEffect(() => {
    const onHash = () => setSelected(conversationFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const open = list.items.find((i) => i.conversation.id === selected)?.conversation;
  // A second view of the open conversation (like a popover): both share one channel subscription.
  const [secondView, setSecondView] = useState(false);
  return (
    <div className="app">
      <header className="topbar">
        <h1>Messages</h1>
        <p className="whoami" data-testid="whoami">
          {user.name} <span className="role">({user.role})</span>
        </p>
        <p className={`connection connection-${state}`} data-testid="connection-state">
          {state === "connected" ? "Live" : state === "connecting" || state === "initialized" ? "Connecting…" : "Offline"}
        </p>
        <button type="button" onClick={onLogout}>
          Switch user
        </button>
      </header>
      {(connectionError || error) && (
        <p role="alert" className="error">
          {connectionError ?? error}
        </p>
      )}
      <div className="columns">
        <nav aria-label="Conversations" className="sidebar">
          <h2>Conversations</h2>
          <ConversationList list={list} selected={selected} me={user.id} />
        </nav>
        <main className="main">
          {open && pusher ? (
            <ConversationView
              key={open.id}
              conversation={open}
              title={conversationTitle(open, user.id)}
              me={{ id: user.id, name: user.name }}
              pusher={pusher}
              api={api}
              onProgress={(lastSeq, lastReadSeq) => dispatch({ type: "progress", conversationId: open.id, lastSeq, lastReadSeq })}
            />
          ) : null}
          {open && pusher && (
            <button type="button" data-testid="toggle-second-view" onClick={() => setSecondView((v) => !v)}>
              {secondView ? "Close the second view" : "Open a second view"}
            </button>
          )}
          {open && pusher && secondView && (
            <aside className="second-view" data-testid="second-view" aria-label="Second view">
              <ConversationView
                key={`second-${open.id}`}
                conversation={open}
                title={conversationTitle(open, user.id)}
                me={{ id: user.id, name: user.name }}
                pusher={pusher}
                api={api}
                onProgress={() => {}}
              />
            </aside>
          )}
          {!(open && pusher) && (
            <p className="empty">{selected && list.items.length > 0 && !open ? "Conversation not found." : "Choose a conversation."}</p>
          )}
        </main>
      </div>
    </div>
  );
}

function App() {
  const [user, setUser] = useState<DevUser | null>(savedUser);
  const onLogin = (next: DevUser) => {
    saveUser(next);
    setUser(next);
  };
  const onLogout = () => {
    saveUser(null);
    location.hash = "";
    setUser(null);
  };
  return user ? <Shell key={user.id} user={user} onLogout={onLogout} /> : <Login onLogin={onLogin} />;
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
