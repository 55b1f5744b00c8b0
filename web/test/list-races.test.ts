// Issue 17 (Low): unread counts that only move forward, reads from other tabs, and the paginated list route.
import { describe, expect, it } from "vitest";
import type { ConversationsQuery } from "../src/api";
import { initialListState, reduceList } from "../src/conversation-list";
import { ConversationListStore } from "../src/conversation-list-store";
import type { Conversation, ConversationPage } from "../src/types";
import { FakePusherServer, until } from "./fake-socket";
import { InMemoryConversation, ME, OTHER, message } from "./support";

function conversation(id: number, lastSeq: number, lastRead: number, extra: Partial<Conversation> = {}): Conversation {
  return {
    id,
    title: `c${id}`,
    members: [],
    last_message: lastSeq ? message(lastSeq, OTHER, { conversation_id: id }) : null,
    last_read_seq: lastRead,
    unread_count: lastSeq - lastRead,
    ...extra,
  };
}

describe("unread counts", () => {
  it("a reload that started before a conversation-updated event does not undo it", () => {
    const loaded = reduceList(initialListState(ME.id), { type: "loaded", conversations: [conversation(1, 5, 5)] });
    const updated = reduceList(loaded, { type: "updated", event: { conversation_id: 1, message_id: 9, seq: 7, sender_id: OTHER.id } });
    const lateReload = reduceList(updated, { type: "loaded", conversations: [conversation(1, 5, 5)] });
    expect(lateReload.items[0]).toMatchObject({ lastSeq: 7, lastReadSeq: 5, unread: 2 });
  });

  it("a late reload does not move a read position back either", () => {
    const loaded = reduceList(initialListState(ME.id), { type: "loaded", conversations: [conversation(1, 5, 2)] });
    const read = reduceList(loaded, { type: "read", result: { conversation_id: 1, last_read_seq: 5, unread_count: 0 } });
    expect(reduceList(read, { type: "loaded", conversations: [conversation(1, 5, 2)] }).items[0]).toMatchObject({ lastReadSeq: 5, unread: 0 });
  });

  it("clears the badge when another tab reads (messages-read), never moving backwards", () => {
    const loaded = reduceList(initialListState(ME.id), { type: "loaded", conversations: [conversation(1, 5, 2)] });
    const read = reduceList(loaded, { type: "messages-read", conversationId: 1, event: { user_id: ME.id, last_read_seq: 5 } });
    expect(read.items[0]).toMatchObject({ lastReadSeq: 5, unread: 0 });
    expect(reduceList(read, { type: "messages-read", conversationId: 1, event: { user_id: ME.id, last_read_seq: 3 } })).toBe(read);
    expect(reduceList(loaded, { type: "messages-read", conversationId: 1, event: { user_id: OTHER.id, last_read_seq: 5 } })).toBe(loaded);
  });
});

describe("the paginated list", () => {
  it("loads further pages on demand with the cursor, and stops after the last", async () => {
    const api = new InMemoryConversation(0);
    const pages: Record<string, ConversationPage> = {
      first: { conversations: [conversation(3, 1, 0), conversation(2, 1, 1, { muted: true })], next_cursor: "c2" },
      c2: { conversations: [conversation(1, 4, 4)], next_cursor: null },
    };
    const asked: Array<string | null | undefined> = [];
    api.conversationsPage = async (query: ConversationsQuery = {}) => {
      asked.push(query.cursor);
      return pages[query.cursor ?? "first"];
    };
    const list = new ConversationListStore({ api, me: ME.id, pageSize: 2 });
    await list.reload();
    expect(list.hasMore).toBe(true);
    await Promise.all([list.loadMore(), list.loadMore()]);
    await list.loadMore();
    expect(asked).toEqual([undefined, "c2"]);
    expect(list.getState().items.map((i) => i.conversation.id)).toEqual([3, 2, 1]);
    expect(list.getState().items[1].conversation.muted).toBe(true);
    expect(list.hasMore).toBe(false);
  });

  it("follows conversation-updated on the user's channel and reloads on (re)subscription", async () => {
    const server = new FakePusherServer();
    const api = new InMemoryConversation(0);
    let reloads = 0;
    api.conversationsPage = async () => {
      reloads++;
      return { conversations: [conversation(1, 1, 1)], next_cursor: null };
    };
    const list = new ConversationListStore({ api, me: ME.id });
    const stop = list.watch(await server.client(ME));
    await until(() => reloads === 1 && list.getState().items.length === 1);
    server.emit(`private-user-${ME.id}`, "conversation-updated", { conversation_id: 1, message_id: 5, seq: 2, sender_id: OTHER.id });
    await until(() => list.getState().items[0].unread === 1);
    stop();
    await until(() => server.subscribed(`private-user-${ME.id}`) === 0);
  });
});
