// Issue 17 (High): shared channels and bounded catch-up, against real pusher-js over a stubbed socket.
import { afterEach, describe, expect, it } from "vitest";
import { ConversationSync, type SyncOptions } from "../src/conversation-sync";
import { contiguousEnd, gapAfter } from "../src/message-store";
import { Outbox } from "../src/outbox";
import type { PusherLike } from "../src/realtime-port";
import { conversationChannel, presenceChannel } from "../src/types";
import { FakePusherServer, until } from "./fake-socket";
import { CONVERSATION, InMemoryConversation, ME, message } from "./support";

const channel = conversationChannel(CONVERSATION);
let running: ConversationSync[] = [];
afterEach(() => {
  for (const sync of running) sync.stop();
  running = [];
});

function open(api: InMemoryConversation, pusher: PusherLike, options: Partial<SyncOptions> = {}) {
  const sync = new ConversationSync({ api, pusher, conversationId: CONVERSATION, me: ME, gapGraceMs: 0, outbox: new Outbox(), ...options });
  running.push(sync);
  sync.start();
  return sync;
}

const seqs = (sync: ConversationSync) => sync.getState().messages.map((m) => m.seq);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("two views of one conversation", () => {
  it("closing the second view leaves the first one receiving events", async () => {
    const server = new FakePusherServer();
    const api = new InMemoryConversation(1);
    const pusher = await server.client(ME);
    const page = open(api, pusher);
    await until(() => page.getState().live);
    const popover = open(api, pusher);
    await until(() => popover.getState().live);
    popover.stop();
    server.emit(channel, "new-message", api.add());
    await until(() => seqs(page).includes(2));
    expect(server.subscribed(channel)).toBe(1);
    page.stop();
    await until(() => server.subscribed(channel) === 0 && server.subscribed(presenceChannel(CONVERSATION)) === 0);
  });

  it("survives StrictMode's mount, unmount, mount on one shared connection", async () => {
    const server = new FakePusherServer();
    const api = new InMemoryConversation(1);
    const pusher = await server.client(ME);
    const first = open(api, pusher);
    const strict = open(api, pusher);
    strict.stop();
    strict.start();
    await until(() => first.getState().live && strict.getState().live);
    first.stop();
    server.emit(channel, "new-message", api.add());
    await until(() => seqs(strict).includes(2));
  });
});

describe("bounded catch-up", () => {
  it("treats a seq the server does not have as settled instead of asking again and again", async () => {
    const server = new FakePusherServer();
    const api = new InMemoryConversation(2);
    const pusher = await server.client(ME);
    const sync = open(api, pusher);
    await until(() => sync.getState().live);
    await sync.settled();
    api.add();
    api.add();
    const fifth = api.add();
    api.messages.splice(2, 1); // seq 3 is gone for good
    server.emit(channel, "new-message", fifth);
    await until(() => seqs(sync).includes(4));
    await pause(50);
    expect(seqs(sync)).toEqual([1, 2, 4, 5]);
    // Settled: nothing is waiting to be fetched, and everything shown can be marked read.
    expect(gapAfter(sync.getState())).toBeNull();
    expect(contiguousEnd(sync.getState())).toBe(5);
    expect(api.historyCalls().filter((q) => q.after !== undefined).length).toBeLessThanOrEqual(3);
  });

  it("backs off when pages bring nothing new, and fetches nothing after stop()", async () => {
    const server = new FakePusherServer();
    const api = new InMemoryConversation(2);
    // A server that ignores after= and always says there is more: the page never moves forward.
    const stuck = Object.assign(Object.create(api) as InMemoryConversation, {
      history: async (query: { after?: number }) => {
        api.calls.push({ route: "history", args: query });
        return { messages: [message(1), message(2), message(4)], has_more: query.after !== undefined };
      },
    });
    const pusher = await server.client(ME);
    const sync = open(stuck, pusher, { retryBaseMs: 40 });
    await until(() => sync.getState().live);
    server.emit(channel, "new-message", message(9));
    await pause(100);
    const during = api.historyCalls().length;
    expect(during).toBeLessThan(8);
    sync.stop();
    await pause(100);
    expect(api.historyCalls().length).toBe(during);
  });

  it("accepts a route-param string as the conversation id, and names a malformed one", async () => {
    const server = new FakePusherServer();
    const api = new InMemoryConversation(1);
    const pusher = await server.client(ME);
    const sync = open(api, pusher, { conversationId: String(CONVERSATION) });
    await until(() => sync.getState().live);
    server.emit(channel, "new-message", api.add());
    await until(() => seqs(sync).includes(2));

    const calls = api.calls.length;
    const bad = open(api, pusher, { conversationId: "seven" });
    expect(bad.getState().error).toBe('conversationId must be a positive integer, got "seven"');
    await pause(20);
    expect(api.calls.length).toBe(calls);
  });
});
