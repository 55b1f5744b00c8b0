import { describe, expect, it } from "vitest";
import {
  type Action,
  type ConversationState,
  contiguousEnd,
  gapAfter,
  initialState,
  othersOnline,
  reduce,
  seenMarkers,
} from "../src/message-store";
import { CONVERSATION, ME, OTHER, message, page } from "./support";

const start = () => initialState(CONVERSATION, ME.id);
const apply = (state: ConversationState, ...actions: Action[]) => actions.reduce(reduce, state);
const seqs = (state: ConversationState) => state.messages.map((m) => m.seq);
const latest = (...seqList: number[]): Action => ({ type: "history", page: page(seqList.map((s) => message(s))), direction: "latest" });
const event = (seq: number, from = OTHER): Action => ({ type: "message", message: message(seq, from) });

describe("ordering and dedupe", () => {
  it("keeps one copy of a message delivered by history and by event", () => {
    const state = apply(start(), latest(1, 2, 3), event(3), event(3));
    expect(seqs(state)).toEqual([1, 2, 3]);
  });

  it("orders messages by seq whatever order they arrive in", () => {
    const state = apply(start(), latest(1), event(4), event(2), event(3));
    expect(seqs(state)).toEqual([1, 2, 3, 4]);
  });

  it("ignores messages of another conversation", () => {
    const state = apply(start(), latest(1), { type: "message", message: message(2, OTHER, { conversation_id: 99 }) });
    expect(seqs(state)).toEqual([1]);
  });

  it("merges an overlapping catch-up page without duplicates", () => {
    const after: Action = { type: "history", page: page([2, 3, 4, 5].map((s) => message(s))), direction: "after" };
    const state = apply(start(), latest(1, 2, 3), event(5), after);
    expect(seqs(state)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(state.messages.map((m) => m.id)).size).toBe(5);
  });

  it("prepends an older page and keeps has_more for the Load older button", () => {
    const first: Action = { type: "history", page: page([3, 4].map((s) => message(s)), true), direction: "latest" };
    const older: Action = { type: "history", page: page([1, 2].map((s) => message(s)), false), direction: "before" };
    const loaded = apply(start(), first);
    expect(loaded.hasOlder).toBe(true);
    const state = reduce(loaded, older);
    expect(seqs(state)).toEqual([1, 2, 3, 4]);
    expect(state.hasOlder).toBe(false);
  });
});

describe("gaps", () => {
  it("has no gap when seqs are contiguous", () => {
    expect(gapAfter(apply(start(), latest(4, 5, 6), event(7)))).toBeNull();
  });

  it("reports the seq to fetch after when an event skips seqs", () => {
    const state = apply(start(), latest(1, 2), event(5));
    expect(contiguousEnd(state)).toBe(2);
    expect(gapAfter(state)).toBe(2);
  });

  it("closes the gap once the missing messages are fetched", () => {
    const fill: Action = { type: "history", page: page([3, 4].map((s) => message(s))), direction: "after" };
    expect(gapAfter(apply(start(), latest(1, 2), event(5), fill))).toBeNull();
  });

  it("treats a truncated event as a message to fetch", () => {
    const state = apply(start(), latest(1, 2), { type: "announced", seq: 3 });
    expect(seqs(state)).toEqual([1, 2]);
    expect(gapAfter(state)).toBe(2);
    expect(gapAfter(reduce(state, event(3)))).toBeNull();
  });

  it("fetches from the start of an empty conversation", () => {
    const empty = apply(start(), { type: "history", page: page([]), direction: "latest" }, { type: "announced", seq: 1 });
    expect(gapAfter(empty)).toBe(0);
  });
});

describe("sending", () => {
  const started: Action = { type: "send-started", clientMessageId: "c-1", body: "hello", now: "2026-11-26T09:30:00.000Z" };
  const mine = message(4, ME, { body: "hello", client_message_id: "c-1" });

  it("shows a pending message until the response confirms it", () => {
    const pending = apply(start(), latest(1, 2, 3), started);
    expect(pending.pending).toHaveLength(1);
    expect(pending.pending[0]).toMatchObject({ status: "sending", body: "hello" });
    const done = reduce(pending, { type: "send-confirmed", clientMessageId: "c-1", message: mine });
    expect(done.pending).toHaveLength(0);
    expect(seqs(done)).toEqual([1, 2, 3, 4]);
  });

  it("confirms by event when it comes first, and the later response adds nothing", () => {
    const byEvent = apply(start(), latest(1, 2, 3), started, { type: "message", message: mine });
    expect(byEvent.pending).toHaveLength(0);
    const both = reduce(byEvent, { type: "send-confirmed", clientMessageId: "c-1", message: mine });
    expect(seqs(both)).toEqual([1, 2, 3, 4]);
    expect(both.pending).toHaveLength(0);
  });

  it("does not confirm a pending message by someone else's message with the same client id", () => {
    const theirs = message(4, OTHER, { client_message_id: "c-1" });
    const state = apply(start(), latest(1, 2, 3), started, { type: "message", message: theirs });
    expect(state.pending).toHaveLength(1);
  });

  it("keeps the client id through failure and retry", () => {
    const failed = apply(start(), started, { type: "send-failed", clientMessageId: "c-1", error: "offline" });
    expect(failed.pending[0]).toMatchObject({ clientMessageId: "c-1", status: "failed", error: "offline" });
    const retried = reduce(failed, { type: "send-retried", clientMessageId: "c-1" });
    expect(retried.pending[0]).toMatchObject({ clientMessageId: "c-1", status: "sending", error: null });
  });

  it("moves the sender's read position with a send", () => {
    const state = apply(start(), latest(1, 2, 3), started, { type: "send-confirmed", clientMessageId: "c-1", message: mine });
    expect(state.readSeqs[ME.id]).toBe(4);
  });
});

describe("realtime features", () => {
  it("puts Seen under my last message the other member has read", () => {
    const state = apply(start(), latest(1), event(2, ME), event(3, ME), { type: "read", userId: OTHER.id, lastReadSeq: 2 });
    expect([...seenMarkers(state)]).toEqual([[2, [OTHER.id]]]);
    const later = reduce(state, { type: "read", userId: OTHER.id, lastReadSeq: 3 });
    expect([...seenMarkers(later)]).toEqual([[3, [OTHER.id]]]);
  });

  it("never moves a read position backwards", () => {
    const state = apply(start(), { type: "read", userId: OTHER.id, lastReadSeq: 5 }, { type: "read", userId: OTHER.id, lastReadSeq: 3 });
    expect(state.readSeqs[OTHER.id]).toBe(5);
  });

  it("shows typing until it expires or the typist's message arrives", () => {
    const typing = apply(start(), latest(1), { type: "typing", userId: OTHER.id, name: "Taylor", until: 3000 });
    expect(typing.typing.map((t) => t.name)).toEqual(["Taylor"]);
    expect(reduce(typing, { type: "typing-expired", now: 2999 }).typing).toHaveLength(1);
    expect(reduce(typing, { type: "typing-expired", now: 3000 }).typing).toHaveLength(0);
    expect(reduce(typing, event(2)).typing).toHaveLength(0);
  });

  it("ignores my own typing events", () => {
    expect(reduce(start(), { type: "typing", userId: ME.id, name: "Sam", until: 3000 }).typing).toHaveLength(0);
  });

  it("replaces a message's reactions from reaction-updated", () => {
    const reactions = [{ emoji: "👍", count: 2, user_ids: [ME.id, OTHER.id] }];
    const state = apply(start(), latest(1, 2), { type: "reactions", messageId: message(2).id, reactions });
    expect(state.messages[1].reactions).toEqual(reactions);
    expect(state.messages[0].reactions).toEqual([]);
  });

  it("tracks who is online on the presence channel", () => {
    const me = { id: ME.id, name: ME.name, role: null };
    const other = { id: OTHER.id, name: OTHER.name, role: null };
    const state = apply(start(), { type: "presence", members: [me] }, { type: "member-added", member: other });
    expect(othersOnline(state).map((m) => m.id)).toEqual([OTHER.id]);
    expect(othersOnline(reduce(state, { type: "member-removed", userId: OTHER.id }))).toEqual([]);
  });
});
