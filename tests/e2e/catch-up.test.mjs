// The sync core over real pusher-js: messages sent while disconnected show up once each, in seq order.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { API_URL, call, eventually, loadCore, login, requireStack, sharedConversation, waitFor } from "./support.mjs";

let core, student, teacher, conversation, pusher, sync;
const run = randomUUID().slice(0, 8);

before(async () => {
  const config = await requireStack();
  core = await loadCore();
  [student, teacher] = await Promise.all([login("student"), login("teacher")]);
  conversation = await sharedConversation(student, teacher);
  // The page's own factory, pointed at the stack with a bearer token instead of the cookie.
  pusher = await core.createPusherClient(
    core.pusherOptionsFromDevConfig(config, {
      authEndpoint: `${API_URL}/api/pusher/auth`,
      authHeaders: { Authorization: `Bearer ${teacher.token}` },
    }),
  );
  sync = new core.ConversationSync({
    api: core.createApi({ baseUrl: API_URL, token: teacher.token }),
    pusher,
    conversationId: conversation.id,
    me: { id: teacher.user.id, name: teacher.user.name },
    // Small pages make the catch-up walk through has_more.
    pageSize: 5,
    presence: false,
    // This test is about the catch-up after reconnecting, not the polling while offline.
    pollMs: 600_000,
  });
  sync.start();
  await waitFor(pusher.connection, "connected", 5000);
  await eventually(() => pusher.channel(`private-conversation-${conversation.id}`)?.subscribed, "the conversation channel never subscribed");
  await sync.settled();
});

after(() => {
  sync?.stop();
  pusher?.disconnect();
});

async function studentSends(body) {
  const response = await call(student, "/api/messages/send", {
    method: "POST",
    body: { conversation_id: conversation.id, body, client_message_id: randomUUID() },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.message;
}

function assertWellFormed(state) {
  const seqs = state.messages.map((m) => m.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "messages are not in seq order");
  assert.equal(new Set(state.messages.map((m) => m.id)).size, seqs.length, "a message shows twice");
  assert.deepEqual(seqs, Array.from(seqs, (_, i) => seqs[0] + i), `the loaded window has a hole: ${seqs.join(",")}`);
}

test("a live message arrives by event", async () => {
  const sent = await studentSends(`live ${run}`);
  await eventually(() => sync.getState().messages.some((m) => m.id === sent.id), `message ${sent.seq} never arrived`, 2000);
  assertWellFormed(sync.getState());
});

test("after a disconnect, every message sent meanwhile shows once, in seq order", async () => {
  pusher.disconnect();
  await waitFor(pusher.connection, "disconnected", 5000);
  const missed = [];
  for (let i = 0; i < 12; i++) missed.push(await studentSends(`missed ${i} ${run}`));
  // Nothing can arrive while the socket is closed.
  assert.ok(!sync.getState().messages.some((m) => m.id === missed[0].id), "got a message while disconnected");

  pusher.connect();
  await waitFor(pusher.connection, "connected", 5000);
  await eventually(
    () => missed.every((sent) => sync.getState().messages.some((m) => m.id === sent.id)),
    "the catch-up after reconnecting did not bring every missed message",
  );
  await sync.settled();
  const state = sync.getState();
  assertWellFormed(state);
  const shown = state.messages.filter((m) => m.body.endsWith(run) && m.body.startsWith("missed"));
  assert.deepEqual(
    shown.map((m) => m.body),
    missed.map((m) => m.body),
  );
  assert.equal(state.messages.at(-1).seq, missed.at(-1).seq);
});

test("a message too large for an event arrives truncated and is fetched", async () => {
  // 4,000 four-byte characters: 16,000 bytes of JSON, over the 10,000-byte event limit.
  const body = "🎉".repeat(4000);
  const sent = await studentSends(body);
  const shown = await eventually(
    () => sync.getState().messages.find((m) => m.id === sent.id),
    "the truncated message was never fetched",
    3000,
  );
  assert.equal(shown.body, body);
  assertWellFormed(sync.getState());
});
