"use client";
// The page of one conversation: found in the shell's list, shown by ConversationView over our hook.
import { useChat } from "./chat-context";
import { conversationTitle } from "./conversation-title";
import { ConversationView } from "./conversation-view";

export function OpenConversation({ id }: { id: number }) {
  const { me, pusher, api, list, listLoaded, dispatch, reportOnline } = useChat();
  const conversation = list.items.find((i) => i.conversation.id === id)?.conversation;
  if (!conversation) {
    return <p className="empty">{listLoaded ? "Conversation not found." : "Loading…"}</p>;
  }
  if (!pusher) return <p className="empty">Connecting…</p>;
  return (
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
  );
}
