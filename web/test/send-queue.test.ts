// Issue 17 (Medium): ordered sends, automatic retries under one client_message_id, unsent messages that outlive a view.
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, type SendRequest } from "../src/api";
import { isValidClientMessageId } from "../src/client-id";
import { ConversationSync, type SyncOptions } from "../src/conversation-sync";
import { Outbox, type StorageLike } from "../src/outbox";
import { FakePusherServer, until } from "./fake-socket";
import { CONVERSATION, InMemoryConversation, ME } from "./support";

let running: ConversationSync[] = [];
afterEach(() => {
  for (const sync of running) sync.stop();
  running = [];
});

async function open(api: InMemoryConversation, options: Partial<SyncOptions> = {}) {
  const pusher = await new FakePusherServer().client(ME);
  const sync = new ConversationSync({ api, pusher, conversationId: CONVERSATION, me: ME, outbox: new Outbox(), ...options });
  running.push(sync);
  sync.start();
  await sync.settled();
  return sync;
}

/** Holds every send until released, like a slow network. */
function gated(api: InMemoryConversation) {
  const waiting: Array<() => void> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = api.send.bind(api);
  api.send = async (request: SendRequest) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight--;
    return send(request);
  };
  return {
    releaseAll: () => waiting.splice(0).forEach((r) => r()),
    release: () => waiting.shift()?.(),
    get maxInFlight() {
      return maxInFlight;
    },
    get waiting() {
      return waiting.length;
    },
  };
}

class MemoryStorage implements StorageLike {
  items = new Map<string, string>();
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
}

describe("sending in order", () => {
  it("sends one message at a time per conversation, so seqs follow the typing order", async () => {
    const api = new InMemoryConversation(0);
    const gate = gated(api);
    const sync = await open(api);
    sync.send("first");
    sync.send("second");
    await until(() => gate.waiting === 1);
    expect(sync.getState().pending.map((p) => p.body)).toEqual(["first", "second"]);
    while (sync.getState().pending.length) {
      gate.releaseAll();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(gate.maxInFlight).toBe(1);
    expect(sync.getState().messages.map((m) => m.body)).toEqual(["first", "second"]);
  });
});

describe("failures", () => {
  it("retries a failure that may not have landed, with the same client_message_id", async () => {
    const api = new InMemoryConversation(0);
    api.failSends = 2;
    const sync = await open(api, { outbox: new Outbox({ retryBaseMs: 1 }) });
    const id = sync.send("hello");
    await until(() => sync.getState().pending.length === 0);
    expect(isValidClientMessageId(id)).toBe(true);
    expect(api.sendCalls().map((c) => c.client_message_id)).toEqual([id, id, id]);
    expect(sync.getState().messages.map((m) => m.body)).toEqual(["hello"]);
  });

  it("waits Retry-After seconds on 429 before sending again", async () => {
    const api = new InMemoryConversation(0);
    const send = api.send.bind(api);
    let limited = 1;
    api.send = async (request) => {
      if (limited-- > 0) {
        api.calls.push({ route: "send", args: request });
        throw new ApiError(429, "rate_limited", "Slow down", 3);
      }
      return send(request);
    };
    const waits: number[] = [];
    const sync = await open(api, { outbox: new Outbox({ sleep: async (ms) => void waits.push(ms) }) });
    const id = sync.send("hi");
    await until(() => sync.getState().pending.length === 0);
    expect(waits).toEqual([3000]);
    expect(api.sendCalls().map((c) => c.client_message_id)).toEqual([id, id]);
  });

  it("marks a refused send failed at once, for the user to retry or discard", async () => {
    const api = new InMemoryConversation(0);
    api.send = async (request) => {
      api.calls.push({ route: "send", args: request });
      throw new ApiError(403, "forbidden", "Not a member");
    };
    const sync = await open(api);
    const id = sync.send("no");
    await until(() => sync.getState().pending[0]?.status === "failed");
    expect(api.sendCalls()).toHaveLength(1);
    sync.discard(id);
    expect(sync.getState().pending).toEqual([]);
  });
});

describe("unsent messages outlive the view", () => {
  it("keeps a pending message across a switch to another conversation", async () => {
    const api = new InMemoryConversation(0);
    const gate = gated(api);
    const outbox = new Outbox();
    const sync = await open(api, { outbox });
    sync.send("written before switching");
    sync.stop();
    const other = await open(new InMemoryConversation(0), { outbox, conversationId: CONVERSATION + 1 });
    expect(other.getState().pending).toEqual([]);
    other.stop();
    sync.start();
    expect(sync.getState().pending.map((p) => p.body)).toEqual(["written before switching"]);
    await until(() => gate.waiting === 1);
    gate.releaseAll();
    await until(() => sync.getState().messages.length === 1);
    expect(sync.getState().pending).toEqual([]);
  });

  it("sends after a reload what was still unsent, under the same id", async () => {
    const storage = new MemoryStorage();
    const before = new Outbox({ storage, storageKey: "outbox" });
    before.send(CONVERSATION, "abc-123", "typed, then the tab closed", new Date().toISOString(), {
      send: () => new Promise(() => {}),
      socketId: () => undefined,
    });
    const api = new InMemoryConversation(0);
    const sync = await open(api, { outbox: new Outbox({ storage, storageKey: "outbox" }) });
    await until(() => sync.getState().messages.length === 1);
    expect(api.sendCalls().map((c) => c.client_message_id)).toEqual(["abc-123"]);
    expect(JSON.parse(storage.getItem("outbox")!)).toEqual([]);
  });
});
