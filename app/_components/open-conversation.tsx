"use client";
// The page of one conversation: found in the shell's list, shown by ConversationView over our hook.
import { useState } from "react";
import { useChat } from "./chat-context";
import { conversationTitle } from "./conversation-title";
import { ConversationView } from "./conversation-view";

export function OpenConversation({ id }: { id: number }) {
  const { me, pusher, api, list, listLoaded, dispatch, reportOnline } = useChat();
  // A second view of the same conversation (like a popover): both share one channel subscription,
  // and closing it must leave the first one live.
  const [secondView, setSecondView] = useState(false);
  const conversation = list.items.find((i) => i.conversation.id === id)?.conversation;
  if (!conversation) {
    return <p className="empty">{listLoaded ? "Conversation not found." : "Loading…"}</p>;
  }
  if (!pusher) return <p className="empty">Connecting…</p>;
  return (
    <>
      <ConversationView
        key={conversation.id}
        conversation={conversation}
        title={conversationTitle(conversation, me.id)}
        me={{ id: me.id, name: me.name }}
        pusher={pusher}
        api={api}
        onProgress={(lastSeq, lastReadSeq) => dispatch({ type: "progress", conversationId: id, lastSeq, lastReadSeq })}
        onOnline={(ids) => reportOnline(id, ids)}
      />
      <button type="button" className="second-view-toggle" data-testid="toggle-second-view" onClick={() => setSecondView((v) => !v)}>
        {secondView ? "Close the second view" : "Open a second view"}
      </button>
      {secondView && (
        <aside className="second-view" data-testid="second-view" aria-label="Second view">
          <ConversationView
            key={`second-${conversation.id}`}
            conversation={conversation}
            title={conversationTitle(conversation, me.id)}
            me={{ id: me.id, name: me.name }}
            pusher={pusher}
            api={api}
            onProgress={() => {}}
            onOnline={() => {}}
          />
        </aside>
      )}
    </>
  );
}
