import { afterEach, describe, expect, it } from "vitest";
import { isValidClientMessageId } from "../src/client-id";
import { ConversationSync } from "../src/conversation-sync";
import { Outbox } from "../src/outbox";
import { seenMarkers } from "../src/message-store";
import { conversationChannel, presenceChannel } from "../src/types";
import { CONVERSATION, InMemoryConversation, LocalPusher, ME, OTHER, flush } from "./support";

const channelName = conversationChannel(CONVERSATION);
let running: ConversationSync[] = [];

function setup(count: number, options: { pageSize?: number; now?: () => number; outbox?: Outbox } = {}) {
  const server = new InMemoryConversation(count);
  const pusher = new LocalPusher();
  const sync = new ConversationSync({ api: server, pusher, conversationId: CONVERSATION, me: ME, gapGraceMs: 0, outbox: new Outbox(), ...options });
  running.push(sync);
  sync.start();
  const channel = pusher.channel(channelName);
  return { server, pusher, sync, channel };
}

const seqs = (sync: ConversationSync) => sync.getState().messages.map((m) => m.seq);
const until = async (check: () => boolean) => {
  for (let i = 0; i < 50 && !check(); i++) await flush();
  expect(check()).toBe(true);
};

afterEach(() => {
  for (const sync of running) sync.stop();
  running = [];
});

describe("loading and catching up", () => {
  it("loads the latest page, then catches up after the last seq once subscribed", async () => {
    const { server, sync, channel } = setup(5);
    channel.emit("pusher:subscription_succeeded");
    await sync.settled();
    expect(seqs(sync)).toEqual([1, 2, 3, 4, 5]);
    expect(server.historyCalls()).toEqual([
      { conversationId: CONVERSATION, limit: 50 },
      { conversationId: CONVERSATION, after: 5, limit: 50 },
    ]);
  });

  it("shows messages sent while disconnected once each, in order, after resubscribing", async () => {
    const { server, sync, channel } = setup(3, { pageSize: 2 });
    channel.emit("pusher:subscription_succeeded");
    await sync.settled();
    for (let i = 0; i < 5; i++) server.add();
    // pusher-js fires subscription_succeeded again after a reconnect.
    channel.emit("pusher:subscription_succeeded");
    channel.emit("new-message", server.messages[7]);
    await sync.settled();
    expect(seqs(sync)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const afters = server.historyCalls().map((q) => q.after).filter((a) => a !== undefined);
    // The page after 5 said has_more, so one more call after 8 confirms the end.
    expect(afters).toEqual([3, 3, 5, 8]);
  });

  it("fetches the missing seqs when an event skips ahead", async () => {
    const { server, sync, channel } = setup(2);
    channel.emit("pusher:subscription_succeeded");
    await sync.settled();
    server.add();
    server.add();
    const fifth = server.add();
    channel.emit("new-message", fifth);
    await until(() => seqs(sync).length === 5);
    expect(seqs(sync)).toEqual([1, 2, 3, 4, 5]);
    expect(server.historyCalls().at(-1)).toMatchObject({ after: 2 });
  });

  it("fetches a message announced by a truncated event", async () => {
    const { server, sync, channel } = setup(2);
    channel.emit("pusher:subscription_succeeded");
    await sync.settled();
    const big = server.add(OTHER, "x".repeat(12_000));
    channel.emit("new-message", { id: big.id, conversation_id: CONVERSATION, seq: big.seq, truncated: true });
    await until(() => seqs(sync).length === 3);
    expect(sync.getState().messages[2].body).toHaveLength(12_000);
  });

  it("loads older pages with before = the first loaded seq", async () => {
    const { server, sync } = setup(5, { pageSize: 2 });
    await sync.settled();
    expect(seqs(sync)).toEqual([4, 5]);
    expect(sync.getState().hasOlder).toBe(true);
    await sync.loadOlder();
    await sync.loadOlder();
    expect(seqs(sync)).toEqual([1, 2, 3, 4, 5]);
    expect(sync.getState().hasOlder).toBe(false);
    expect(server.historyCalls().map((q) => q.before).filter(Boolean)).toEqual([4, 2]);
  });
});

describe("sending", () => {
  it("sends with a valid client id and the own socket id, pending until confirmed", async () => {
    const { server, sync } = setup(1);
    await sync.settled();
    const id = sync.send("hello");
    expect(isValidClientMessageId(id)).toBe(true);
    expect(sync.getState().pending).toMatchObject([{ clientMessageId: id, status: "sending" }]);
    await until(() => sync.getState().pending.length === 0);
    expect(server.sendCalls()).toEqual([{ conversation_id: CONVERSATION, body: "hello", client_message_id: id, socket_id: "1234.5678" }]);
    expect(sync.getState().messages.at(-1)).toMatchObject({ seq: 2, body: "hello", client_message_id: id });
  });

  it("retries a failed send with the same client id and stores it once", async () => {
    const { server, sync, channel } = setup(1, { outbox: new Outbox({ maxAttempts: 1 }) });
    await sync.settled();
    server.failSends = 1;
    const id = sync.send("again");
    await until(() => sync.getState().pending[0]?.status === "failed");
    await sync.retry(id);
    // The event for the stored message arriving too must not duplicate it.
    channel.emit("new-message", server.messages.at(-1));
    await sync.retry(id);
    expect(server.sendCalls().map((c) => c.client_message_id)).toEqual([id, id]);
    expect(sync.getState().pending).toEqual([]);
    expect(sync.getState().messages.filter((m) => m.body === "again")).toHaveLength(1);
  });

  it("leaves the socket id out when the connection has none", async () => {
    const { server, sync, pusher } = setup(0);
    pusher.connection.socket_id = undefined;
    sync.send("offline-ish");
    await until(() => server.sendCalls().length === 1);
    expect(server.sendCalls()[0].socket_id).toBeUndefined();
  });
});

describe("realtime features", () => {
  it("marks the last shown seq read, once, leaving this tab out of the receipt", async () => {
    const { server, sync } = setup(3);
    await sync.settled();
    await sync.markRead();
    await sync.markRead();
    // The tab's socket id: the server's messages-read skips it (it has the answer), one Pusher message fewer.
    expect(server.calls.filter((c) => c.route === "read").map((c) => c.args)).toEqual([
      { conversationId: CONVERSATION, seq: 3, socketId: "1234.5678" },
    ]);
  });

  it("moves a sender's read position from new-message alone: a send publishes no messages-read", async () => {
    const { server, sync, channel } = setup(3);
    await sync.settled();
    channel.emit("new-message", server.add(ME));
    await flush();
    expect(sync.getState().readSeqs[ME.id]).toBe(4);
    channel.emit("new-message", server.add(OTHER));
    await flush();
    expect(sync.getState().readSeqs[OTHER.id]).toBe(5);
    // The other member's message is the last one they read: no Seen marker on mine.
    expect([...seenMarkers(sync.getState()).keys()]).toEqual([]);
  });

  it("marks messages that arrive during a read call once it returns", async () => {
    const { server, sync, channel } = setup(3);
    await sync.settled();
    const first = sync.markRead();
    channel.emit("new-message", server.add());
    expect(await sync.markRead()).toBeNull();
    expect(await first).toMatchObject({ last_read_seq: 4 });
    expect(server.calls.filter((c) => c.route === "read").map((c) => (c.args as { seq: number }).seq)).toEqual([3, 4]);
  });

  it("shows Seen from read positions known before any event", async () => {
    const server = new InMemoryConversation(0);
    server.add(ME);
    server.add(ME);
    const sync = new ConversationSync({
      api: server,
      pusher: new LocalPusher(),
      conversationId: CONVERSATION,
      me: ME,
      outbox: new Outbox(),
      readPositions: { [OTHER.id]: 1, [ME.id]: 2 },
    });
    running.push(sync);
    sync.start();
    await sync.settled();
    expect([...seenMarkers(sync.getState())]).toEqual([[1, [OTHER.id]]]);
    expect(await sync.markRead()).toBeNull();
  });

  it("tracks presence members from the presence channel", () => {
    const { sync, pusher } = setup(0);
    const presence = pusher.channel(presenceChannel(CONVERSATION));
    const members = [{ id: ME.id, info: { name: ME.name } }];
    presence.emit("pusher:subscription_succeeded", { each: (cb: (m: unknown) => void) => members.forEach(cb) });
    presence.emit("pusher:member_added", { id: OTHER.id, info: { name: OTHER.name, role: "teacher" } });
    expect(sync.getState().online?.map((m) => m.name)).toEqual([ME.name, OTHER.name]);
  });

  it("reports a refused subscription", () => {
    const { sync, channel } = setup(0);
    channel.emit("pusher:subscription_error", { type: "AuthError", status: 403 });
    expect(sync.getState().error).toMatch(/not a member/);
  });

  it("unbinds everything and unsubscribes on stop", () => {
    const { sync, channel, pusher } = setup(0);
    expect(channel.listenerCount()).toBeGreaterThan(0);
    sync.stop();
    expect(channel.listenerCount()).toBe(0);
    expect(pusher.channels.size).toBe(0);
  });
});
