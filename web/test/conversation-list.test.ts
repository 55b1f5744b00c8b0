import { describe, expect, it } from "vitest";
import { initialListState, reduceList, totalUnread } from "../src/conversation-list";
import type { Conversation } from "../src/types";
import { ME, OTHER, message } from "./support";

function conversation(id: number, lastSeq: number, lastRead: number): Conversation {
  return {
    id,
    title: `c${id}`,
    members: [],
    last_message: lastSeq ? message(lastSeq, OTHER, { conversation_id: id }) : null,
    last_read_seq: lastRead,
    unread_count: lastSeq - lastRead,
  };
}

const loaded = () => reduceList(initialListState(ME.id), { type: "loaded", conversations: [conversation(1, 5, 5), conversation(2, 3, 1)] });

describe("conversation list", () => {
  it("takes unread counts from the list route", () => {
    expect(loaded().items.map((i) => i.unread)).toEqual([0, 2]);
    expect(totalUnread(loaded())).toBe(2);
  });

  it("raises the unread badge from conversation-updated and moves the conversation first", () => {
    const state = reduceList(loaded(), { type: "updated", event: { conversation_id: 2, message_id: 9, seq: 4, sender_id: OTHER.id } });
    expect(state.items.map((i) => [i.conversation.id, i.unread])).toEqual([[2, 3], [1, 0]]);
  });

  it("keeps unread at zero for my own sends", () => {
    const state = reduceList(loaded(), { type: "updated", event: { conversation_id: 1, message_id: 9, seq: 6, sender_id: ME.id } });
    expect(state.items[0]).toMatchObject({ lastSeq: 6, lastReadSeq: 6, unread: 0 });
  });

  it("ignores a repeated or older event", () => {
    const once = reduceList(loaded(), { type: "updated", event: { conversation_id: 2, message_id: 9, seq: 4, sender_id: OTHER.id } });
    expect(reduceList(once, { type: "updated", event: { conversation_id: 2, message_id: 9, seq: 4, sender_id: OTHER.id } })).toBe(once);
  });

  it("clears the badge when the read call answers", () => {
    const state = reduceList(loaded(), { type: "read", result: { conversation_id: 2, last_read_seq: 3, unread_count: 0 } });
    expect(state.items[1]).toMatchObject({ lastReadSeq: 3, unread: 0 });
  });

  it("counts my own sends as read from the open conversation, which their event skips", () => {
    const sent = reduceList(loaded(), { type: "progress", conversationId: 2, lastSeq: 4, lastReadSeq: 4 });
    expect(sent.items[1]).toMatchObject({ lastSeq: 4, lastReadSeq: 4, unread: 0 });
    const next = reduceList(sent, { type: "updated", event: { conversation_id: 2, message_id: 9, seq: 5, sender_id: OTHER.id } });
    expect(next.items[0]).toMatchObject({ lastSeq: 5, unread: 1 });
  });

  it("flags the list stale for an unknown conversation", () => {
    expect(reduceList(loaded(), { type: "updated", event: { conversation_id: 42, message_id: 1, seq: 1, sender_id: OTHER.id } }).stale).toBe(true);
  });
});
