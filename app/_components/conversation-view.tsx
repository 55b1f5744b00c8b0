"use client";
// One open conversation: history, live messages, pending sends, receipts, typing, presence, reactions.
import { type FormEvent, type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { ApiClient } from "@messaging/client/api";
import type { PusherLike } from "@messaging/client/realtime-port";
import type { Conversation } from "@messaging/client/types";
import { useRealtimeMessages } from "@messaging/client/use-realtime-messages";
import { MessageItem, PendingItem } from "./message-item";

const MAX_BODY = 4000;

interface Props {
  conversation: Conversation;
  title: string;
  me: { id: string; name: string };
  pusher: PusherLike;
  api: ApiClient;
  /** The list's badge follows what this view knows: the last seq and my read position. */
  onProgress: (lastSeq: number, lastReadSeq: number) => void;
  /** Who else is online in this conversation's presence channel (ids, sorted), once known. */
  onOnline?: (userIds: string[]) => void;
}

// Pusher adds the sender's user_id to client events on presence channels; Sockudo (the local
// stack) does not, so there typing goes through the server, whose `typing` events name the sender.
const TYPING_VIA: "client-event" | "server" =
  process.env.NEXT_PUBLIC_TYPING_VIA === "server" ? "server" : "client-event";

function readPositions(conversation: Conversation, me: string): Record<string, number> {
  const positions: Record<string, number> = { [me]: conversation.last_read_seq };
  for (const member of conversation.members) {
    if (member.id !== me && typeof member.last_read_seq === "number") positions[member.id] = member.last_read_seq;
  }
  return positions;
}

export function ConversationView({ conversation, title, me, pusher, api, onProgress, onOnline }: Props) {
  const live = useRealtimeMessages({
    conversationId: conversation.id,
    me,
    pusher,
    api,
    readPositions: readPositions(conversation, me.id),
    typingVia: TYPING_VIA,
  });
  const { state, seen, online } = live;
  const [draft, setDraft] = useState("");
  const [draftError, setDraftError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const listRef = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);
  const lastAnnounced = useRef(0);
  const lastSeq = state.messages.at(-1)?.seq ?? 0;
  const names = new Map(conversation.members.map((m) => [m.id, m.name ?? m.id]));

  // Keep the newest message in view unless the reader scrolled up to read older ones.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && stickToBottom.current) list.scrollTop = list.scrollHeight;
  }, [state.messages, state.pending, seen]);

  // Announce messages from others that arrive live (not the history already on screen).
  useEffect(() => {
    const last = state.messages.at(-1);
    if (!state.loaded || !last) return;
    if (lastAnnounced.current && last.seq > lastAnnounced.current && last.sender.id !== me.id) {
      setAnnouncement(`New message from ${last.sender.name ?? last.sender.id}: ${last.body}`);
    }
    lastAnnounced.current = Math.max(lastAnnounced.current, last.seq);
  }, [state.messages, state.loaded, me.id]);

  // What is on screen while the tab is visible counts as read.
  useEffect(() => {
    const markIfVisible = () => {
      if (document.visibilityState === "visible") void live.markRead();
    };
    markIfVisible();
    document.addEventListener("visibilitychange", markIfVisible);
    return () => document.removeEventListener("visibilitychange", markIfVisible);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastSeq, state.loaded]);

  const inputRef = useRef<HTMLTextAreaElement>(null);
  const myReadSeq = state.readSeqs[me.id] ?? 0;
  useEffect(() => {
    onProgress(lastSeq, myReadSeq);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastSeq, myReadSeq]);

  const onlineKey = online === null ? null : online.map((m) => m.id).sort().join(" ");
  useEffect(() => {
    if (onlineKey !== null) onOnline?.(onlineKey ? onlineKey.split(" ") : []);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [onlineKey]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    // The element's value, not the last rendered state: a fast Enter can beat the re-render.
    const body = inputRef.current?.value ?? draft;
    if (body.trim() === "") return;
    if ([...body].length > MAX_BODY) {
      setDraftError(`Messages can be at most ${MAX_BODY} characters.`);
      return;
    }
    setDraftError(null);
    stickToBottom.current = true;
    live.send(body);
    setDraft("");
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends; Shift+Enter keeps the newline; never interrupt an IME composition.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const loadOlder = async () => {
    const list = listRef.current;
    const before = list ? list.scrollHeight - list.scrollTop : 0;
    stickToBottom.current = false;
    await live.loadOlder();
    // Keep the reader's place: the older page goes above what they were looking at.
    requestAnimationFrame(() => {
      if (list) list.scrollTop = list.scrollHeight - before;
    });
  };

  const typingNames = state.typing.map((t) => names.get(t.userId) ?? t.name);
  return (
    <section className="conversation" aria-labelledby="conversation-title" data-testid="conversation" data-conversation-id={conversation.id}>
      <header className="conversation-header">
        <h2 id="conversation-title">{title}</h2>
        <p className="presence" data-testid="presence">
          {state.presence === "unavailable"
            ? "Presence unavailable"
            : online === null
            ? "Checking who is online…"
            : online.length
              ? `Online: ${online.map((m) => m.name ?? m.id).join(", ")}`
              : "No one else is online"}
        </p>
      </header>
      {state.error && (
        <p role="alert" className="error" data-testid="conversation-error">
          {state.error}
        </p>
      )}
      <ol
        className="messages"
        ref={listRef}
        data-testid="messages"
        aria-label={`Messages with ${title}`}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {state.hasOlder && (
          <li className="older">
            <button type="button" onClick={() => void loadOlder()} data-testid="load-older">
              Load older
            </button>
          </li>
        )}
        {state.loaded && state.messages.length === 0 && state.pending.length === 0 && <li className="empty">No messages yet. Say hello!</li>}
        {state.messages.map((message) => (
          <MessageItem
            key={message.id}
            message={message}
            mine={message.sender.id === me.id}
            me={me.id}
            seenBy={(seen.get(message.seq) ?? []).map((id) => names.get(id) ?? id)}
            onReact={(emoji) => void live.toggleReaction(message.id, emoji)}
          />
        ))}
        {state.pending.map((pending) => (
          <PendingItem
            key={pending.clientMessageId}
            pending={pending}
            onRetry={() => void live.retry(pending.clientMessageId)}
            onDiscard={() => live.discard(pending.clientMessageId)}
          />
        ))}
      </ol>
      <p className="typing" aria-live="polite" data-testid="typing">
        {typingNames.length ? `${typingNames.join(", ")} ${typingNames.length > 1 ? "are" : "is"} typing…` : ""}
      </p>
      <p className="visually-hidden" aria-live="polite" data-testid="announcer">
        {announcement}
      </p>
      <form className="composer" onSubmit={submit}>
        <label htmlFor="composer-input">Message</label>
        <textarea
          id="composer-input"
          ref={inputRef}
          data-testid="composer"
          rows={2}
          value={draft}
          placeholder="Write a message. Enter sends, Shift+Enter adds a line."
          aria-describedby={draftError ? "composer-error" : undefined}
          onChange={(e) => {
            setDraft(e.target.value);
            if (e.target.value) live.notifyTyping();
          }}
          onKeyDown={onKeyDown}
        />
        <button type="submit" data-testid="send" disabled={draft.trim() === ""}>
          Send
        </button>
        {draftError && (
          <p id="composer-error" role="alert" className="error">
            {draftError}
          </p>
        )}
      </form>
    </section>
  );
}
