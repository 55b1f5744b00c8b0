"use client";
// What the signed-in shell shares with the open conversation: the user, the one pusher-js connection,
// the API client and the conversation list (whose badges the open conversation moves).
import type Pusher from "pusher-js";
import { type Dispatch, createContext, useContext } from "react";
import type { ApiClient } from "@messaging/client/api";
import type { ConversationListState, ListAction } from "@messaging/client/conversation-list";

export interface Me {
  id: string;
  name: string;
  role: string | null;
}

export interface Chat {
  me: Me;
  pusher: Pusher | null;
  api: ApiClient;
  list: ConversationListState;
  listLoaded: boolean;
  dispatch: Dispatch<ListAction>;
  reload: () => void;
  /** Who else the open conversation's presence channel shows online, so the list's dot is live too. */
  reportOnline: (conversationId: number, userIds: string[]) => void;
}

export const ChatContext = createContext<Chat | null>(null);

export function useChat(): Chat {
  const chat = useContext(ChatContext);
  if (!chat) throw new Error("useChat outside ChatShell");
  return chat;
}
