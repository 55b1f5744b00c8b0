// Issue 17 (Low): read positions, reactions, typing, presence, and the page's Pusher client.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { ConversationSync, type SyncOptions } from "../src/conversation-sync";
import { Outbox } from "../src/outbox";
import { pagePusherSource, setPusherClient } from "../src/pusher-client";
import type { PusherLike, PusherSource } from "../src/realtime-port";
import { conversationChannel, userChannel } from "../src/types";
import { FakePusherServer, until } from "./fake-socket";
import { CONVERSATION, InMemoryConversation, ME, OTHER, message } from "./support";

const channel = conversationChannel(CONVERSATION);
let running: ConversationSync[] = [];
afterEach(() => {
  for (const sync of running) sync.stop();
  running = [];
});

function open(api: InMemoryConversation, pusher: PusherLike | PusherSource, options: Partial<SyncOptions> = {}) {
  const sync = new ConversationSync({ api, pusher, conversationId: CONVERSATION, me: ME, outbox: new Outbox(), ...options });
  running.push(sync);
  sync.start();
  return sync;
}

async function live(api = new InMemoryConversation(0), options: Partial<SyncOptions> = {}) {
  const server = new FakePusherServer();
  const pusher = await server.client(ME);
  const sync = open(api, pusher, options);
  await until(() => sync.getState().live && sync.getState().presence === "live");
  await sync.settled();
  return { server, pusher, sync, api };
}

describe("read position", () => {
  it("marks read up to the end of the contiguous run, not past a gap", async () => {
    const { server, sync, api } = await live(new InMemoryConversation(2), { gapGraceMs: 60_000 });
    api.add();
    api.add();
    server.emit(channel, "new-message", api.add());
    await until(() => sync.getState().messages.length === 3);
    await sync.markRead();
    expect(api.calls.filter((c) => c.route === "read").map((c) => c.args)).toMatchObject([{ conversationId: CONVERSATION, seq: 2 }]);
  });

  it("never moves a read position back on a late messages-read event", async () => {
    const { server, sync } = await live();
    server.emit(channel, "messages-read", { user_id: OTHER.id, last_read_seq: 5 });
    server.emit(channel, "messages-read", { user_id: OTHER.id, last_read_seq: 3 });
    await until(() => sync.getState().readSeqs[OTHER.id] === 5);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sync.getState().readSeqs[OTHER.id]).toBe(5);
  });

  it("takes a group's read receipt from my own channel, where only the author gets it (contract 0.2.0)", async () => {
    const { server, sync } = await live(new InMemoryConversation(0));
    const mine = userChannel(ME.id);
    const third = "u_third";
    server.emit(mine, "messages-read", { conversation_id: CONVERSATION + 1, user_id: third, last_read_seq: 7 });
    server.emit(mine, "messages-read", { conversation_id: CONVERSATION, user_id: third, last_read_seq: 4 });
    await until(() => sync.getState().readSeqs[third] === 4);
    // Another conversation's receipt on the same channel changed nothing here.
    expect(Object.keys(sync.getState().readSeqs)).toEqual([third]);
  });
});

describe("reactions", () => {
  it("sends one add for a double click", async () => {
    const { sync, api } = await live(new InMemoryConversation(1));
    await Promise.all([sync.toggleReaction(1001, "👍"), sync.toggleReaction(1001, "👍")]);
    expect(api.calls.filter((c) => c.route === "react")).toHaveLength(1);
  });

  it("ignores a reaction set older than the one held, from an event or a late answer", async () => {
    const { server, sync, api } = await live(new InMemoryConversation(1));
    const newer = [{ emoji: "🎉", count: 2, user_ids: [OTHER.id, "u_3"] }];
    server.emit(channel, "reaction-updated", { message_id: 1001, seq: 1, reactions: newer, version: 4 });
    await until(() => sync.getState().messages[0].reactions_version === 4);
    // The answer to my own click, overtaken by the event above.
    api.react = async (messageId) => ({ message_id: messageId, reactions: [{ emoji: "👍", count: 1, user_ids: [ME.id] }], version: 3 });
    await sync.toggleReaction(1001, "👍");
    server.emit(channel, "reaction-updated", { message_id: 1001, seq: 1, reactions: [], version: 2 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    // A history page carrying an old copy does not bring old reactions back either.
    await sync.catchUp();
    expect(sync.getState().messages[0].reactions).toEqual(newer);
  });
});

describe("typing indicators", () => {
  it("are not cleared by a history page holding the typist's old messages", async () => {
    const { server, sync } = await live(new InMemoryConversation(60));
    server.emit(channel, "typing", { user_id: OTHER.id, name: OTHER.name });
    await until(() => sync.getState().typing.length === 1);
    await sync.loadOlder();
    expect(sync.getState().messages).toHaveLength(60);
    expect(sync.getState().typing).toHaveLength(1);
    // A live message from them does end it.
    server.emit(channel, "new-message", message(61));
    await until(() => sync.getState().typing.length === 0);
  });

  it("do not stick across stop() and start()", async () => {
    const { server, sync } = await live();
    server.emit(channel, "typing", { user_id: OTHER.id, name: OTHER.name });
    await until(() => sync.getState().typing.length === 1);
    sync.stop();
    sync.start();
    expect(sync.getState().typing).toEqual([]);
  });
});

describe("presence", () => {
  it("says unavailable when the presence subscription fails, instead of checking forever", async () => {
    const server = new FakePusherServer();
    const pusher = await server.client(ME);
    server.authFailures = 3; // the first auth of all three channels (conversation, user, presence) fails
    server.authStatus = 403;
    const sync = open(new InMemoryConversation(0), pusher);
    await until(() => sync.getState().presence === "unavailable");
    expect(sync.getState().online).toBeNull();
  });

  it("drops the online list while disconnected and takes it back after reconnecting", async () => {
    const { server, sync } = await live();
    expect(sync.getState().online).not.toBeNull();
    server.dropAll();
    await until(() => sync.getState().presence === "unavailable");
    expect(sync.getState().online).toBeNull();
    expect(sync.getState().live).toBe(false);
    await until(() => sync.getState().presence === "live", 3000);
  });
});

describe("the page's Pusher client", () => {
  it("turns a missing NEXT_PUBLIC_PUSHER_KEY into the state's error, not a throw", async () => {
    const saved = process.env.NEXT_PUBLIC_PUSHER_KEY;
    delete process.env.NEXT_PUBLIC_PUSHER_KEY;
    try {
      const api = new InMemoryConversation(2);
      const sync = open(api, pagePusherSource);
      await until(() => sync.getState().error !== null);
      expect(sync.getState().error).toMatch(/NEXT_PUBLIC_PUSHER_KEY is not set/);
      await sync.settled();
      // History still loads.
      expect(sync.getState().messages).toHaveLength(2);
      expect(sync.getState().error).toMatch(/NEXT_PUBLIC_PUSHER_KEY/);
    } finally {
      if (saved !== undefined) process.env.NEXT_PUBLIC_PUSHER_KEY = saved;
    }
  });

  it("moves open conversations to a swapped-in client (setPusherClient)", async () => {
    const first = new FakePusherServer();
    const second = new FakePusherServer();
    setPusherClient(await first.client(ME));
    const sync = open(new InMemoryConversation(0), pagePusherSource);
    await until(() => sync.getState().live);
    setPusherClient(await second.client(ME));
    await until(() => second.subscribed(channel) === 1 && sync.getState().live);
    second.emit(channel, "new-message", message(1));
    await until(() => sync.getState().messages.length === 1);
  });

  it("leaves pusher-js out of a bundle that passes its own client (loaded lazily otherwise)", async () => {
    const entry = fileURLToPath(new URL("../src/use-realtime-messages.ts", import.meta.url));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      format: "esm",
      outdir: "/tmp/messaging-lazy-check",
      write: false,
      external: ["react"],
      logLevel: "silent",
    });
    const main = result.outputFiles.find((f) => f.path.endsWith("use-realtime-messages.js"))!;
    expect(main.text).not.toContain("You must pass your app key");
    expect(result.outputFiles.some((f) => f.text.includes("You must pass your app key"))).toBe(true);
  });
});

describe("documentation", () => {
  it("documents NEXT_PUBLIC_PUSHER_HOST, _PORT and _FORCE_TLS in the README and openapi.yaml", async () => {
    for (const file of ["../../README.md", "../../openapi.yaml"]) {
      const text = await readFile(fileURLToPath(new URL(file, import.meta.url)), "utf8");
      for (const name of ["NEXT_PUBLIC_PUSHER_HOST", "NEXT_PUBLIC_PUSHER_PORT", "NEXT_PUBLIC_PUSHER_FORCE_TLS"]) expect(text, file).toContain(name);
    }
  });
});
