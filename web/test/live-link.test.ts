// Issue 17 (Medium): typing, failed subscriptions, history errors, against real pusher-js over a stubbed socket.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api";
import { ConversationSync, type SyncOptions } from "../src/conversation-sync";
import { Outbox } from "../src/outbox";
import type { PusherLike } from "../src/realtime-port";
import { conversationChannel, presenceChannel } from "../src/types";
import { FakePusherServer, until } from "./fake-socket";
import { CONVERSATION, InMemoryConversation, LocalPusher, ME, OTHER } from "./support";

const channel = conversationChannel(CONVERSATION);
const presence = presenceChannel(CONVERSATION);
let running: ConversationSync[] = [];
afterEach(() => {
  for (const sync of running) sync.stop();
  running = [];
  vi.useRealTimers();
});

function open(api: InMemoryConversation, pusher: PusherLike, options: Partial<SyncOptions> = {}) {
  const sync = new ConversationSync({ api, pusher, conversationId: CONVERSATION, me: ME, gapGraceMs: 0, outbox: new Outbox(), ...options });
  running.push(sync);
  sync.start();
  return sync;
}

const typingCalls = (api: InMemoryConversation) => api.calls.filter((c) => c.route === "typing").length;
const clientTyping = (server: FakePusherServer) => server.received.filter((f) => f.event === "client-typing");

describe("typing", () => {
  it("sends client-typing on the presence channel, and shows the sender Pusher names with the member list's name", async () => {
    const server = new FakePusherServer();
    const [mine, theirs] = await Promise.all([server.client(ME), server.client(OTHER)]);
    const me = open(new InMemoryConversation(0), mine);
    const other = open(new InMemoryConversation(0), theirs, { me: OTHER });
    await until(() => me.getState().presence === "live" && other.getState().online?.length === 2);
    // A payload claiming to be someone else is ignored: only Pusher's user_id counts.
    (theirs.channel(presence) as unknown as { trigger(e: string, d: unknown): boolean }).trigger("client-typing", { user_id: "u_admin", name: "The Admin" });
    await until(() => me.getState().typing.length === 1);
    expect(me.getState().typing).toMatchObject([{ userId: OTHER.id, name: OTHER.name }]);
    me.notifyTyping();
    expect(clientTyping(server).at(-1)).toMatchObject({ channel: presence });
  });

  it("falls back to the typing route for the rest of the session once the server refuses client events", async () => {
    let now = 10_000;
    const server = new FakePusherServer();
    server.clientEvents = false;
    const api = new InMemoryConversation(0);
    const sync = open(api, await server.client(ME), { now: () => now });
    await until(() => sync.getState().presence === "live");
    sync.notifyTyping();
    await until(() => typingCalls(api) === 1);
    now += 2_000;
    sync.notifyTyping();
    expect(typingCalls(api)).toBe(2);
    expect(clientTyping(server)).toHaveLength(1);
  });

  it("sends typing through the server only, when asked to (servers that do not stamp client events)", async () => {
    const server = new FakePusherServer();
    const api = new InMemoryConversation(0);
    const sync = open(api, await server.client(ME), { typingVia: "server" });
    await until(() => sync.getState().presence === "live");
    sync.notifyTyping();
    await until(() => typingCalls(api) === 1);
    expect(clientTyping(server)).toHaveLength(0);
  });

  it("trusts the server's typing event", async () => {
    const server = new FakePusherServer();
    const sync = open(new InMemoryConversation(0), await server.client(ME));
    await until(() => sync.getState().live);
    server.emit(channel, "typing", { user_id: OTHER.id, name: "Taylor" });
    await until(() => sync.getState().typing.length === 1);
    expect(sync.getState().typing[0]).toMatchObject({ userId: OTHER.id });
  });
});

describe("a failed subscription", () => {
  it("keeps the error until live again, polls history meanwhile, and resubscribes with backoff", async () => {
    const server = new FakePusherServer();
    server.authFailures = 1; // the conversation channel's first auth answers 503
    const api = new InMemoryConversation(1);
    const pusher = await server.client(ME);
    const sync = open(api, pusher, { retryBaseMs: 60, pollMs: 10 });
    await until(() => sync.getState().error !== null);
    await sync.settled();
    expect(sync.getState().error).toMatch(/Live updates unavailable/);
    // Polling brings what the dead subscription does not.
    api.add();
    await until(() => sync.getState().messages.length === 2);
    expect(sync.getState().error).toMatch(/Live updates unavailable/);
    await until(() => sync.getState().live);
    expect(sync.getState().error).toBeNull();
    server.emit(channel, "new-message", api.add());
    await until(() => sync.getState().messages.length === 3);
  });
});

describe("history errors", () => {
  it("stops on a 404 and shows it", async () => {
    vi.useFakeTimers();
    const api = new InMemoryConversation(0);
    api.history = async (query) => {
      api.calls.push({ route: "history", args: query });
      throw new ApiError(404, "not_found", "No such conversation");
    };
    const sync = open(api, new LocalPusher());
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.historyCalls()).toHaveLength(1);
    expect(sync.getState().error).toBe("No such conversation");
  });

  it("backs off on errors that may pass", async () => {
    vi.useFakeTimers();
    const api = new InMemoryConversation(0);
    api.history = async (query) => {
      api.calls.push({ route: "history", args: query });
      throw new ApiError(503, "unavailable", "Try later");
    };
    open(api, new LocalPusher());
    await vi.advanceTimersByTimeAsync(60_000);
    // 1, 2, 4, 8, 16 and 30 s apart: 7 calls in a minute, not 30.
    expect(api.historyCalls().length).toBeLessThanOrEqual(7);
  });
});
