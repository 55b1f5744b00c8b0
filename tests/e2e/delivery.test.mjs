// pusher-js in Node, authorized through /api/pusher/auth: delivery, sender exclusion, latency.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { call, login, nodePusher, requireStack, sharedConversation, sleep, subscribe } from "./support.mjs";

const SENDS = Number(process.env.E2E_LATENCY_SENDS ?? 200);
let student, teacher, conversation, teacherClient, studentClient, teacherChannel, studentChannel;
const run = randomUUID().slice(0, 8);
const seenByStudentSocket = [];

before(async () => {
  await requireStack();
  [student, teacher] = await Promise.all([login("student"), login("teacher")]);
  conversation = await sharedConversation(student, teacher);
  [teacherClient, studentClient] = await Promise.all([nodePusher(teacher), nodePusher(student)]);
  const name = `private-conversation-${conversation.id}`;
  [teacherChannel, studentChannel] = await Promise.all([subscribe(teacherClient, name), subscribe(studentClient, name)]);
  studentChannel.bind("new-message", (m) => seenByStudentSocket.push(m));
});

after(() => {
  teacherClient?.disconnect();
  studentClient?.disconnect();
});

/** Waits for the teacher's socket to get the message with this client id. */
function nextEvent(clientMessageId, ms = 2000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      teacherChannel.unbind("new-message", onMessage);
      reject(new Error(`no new-message for ${clientMessageId} within ${ms} ms`));
    }, ms);
    function onMessage(message) {
      if (message.client_message_id !== clientMessageId) return;
      clearTimeout(timer);
      teacherChannel.unbind("new-message", onMessage);
      resolve({ message, at: performance.now() });
    }
    teacherChannel.bind("new-message", onMessage);
  });
}

function send(body, clientMessageId) {
  return call(student, "/api/messages/send", {
    method: "POST",
    body: { conversation_id: conversation.id, body, client_message_id: clientMessageId, socket_id: studentClient.connection.socket_id },
  });
}

test("a send reaches the other member's socket, not the sender's own", async () => {
  const id = `e2e-${run}-one`;
  const event = nextEvent(id);
  const response = await send(`delivery check ${run}`, id);
  assert.equal(response.status, 201, JSON.stringify(response.body));
  assert.equal(response.body.delivery, "sent");
  const { message } = await event;
  assert.deepEqual(
    { id: message.id, seq: message.seq, body: message.body, sender: message.sender.id },
    { id: response.body.message.id, seq: response.body.message.seq, body: `delivery check ${run}`, sender: student.user.id },
  );
  // Give the excluded socket ample time to (wrongly) get it too.
  await sleep(300);
  assert.deepEqual(seenByStudentSocket.filter((m) => m.client_message_id === id), [], "the sender's own socket got its message");
});

test("a repeated client_message_id answers 200 with the original and sends no second event", async () => {
  const id = `e2e-${run}-again`;
  const first = nextEvent(id);
  const original = await send(`idempotent ${run}`, id);
  assert.equal(original.status, 201);
  await first;
  const second = nextEvent(id, 500).then(
    () => "event",
    () => "none",
  );
  const replay = await send(`idempotent ${run}`, id);
  assert.equal(replay.status, 200, JSON.stringify(replay.body));
  assert.equal(replay.body.message.id, original.body.message.id);
  assert.equal(await second, "none", "a replayed send triggered a second new-message");
});

test(`send-start to event latency over ${SENDS} sends`, async () => {
  const latencies = [];
  for (let i = 0; i < SENDS; i++) {
    const id = `e2e-${run}-lat-${i}`;
    const start = performance.now();
    const event = nextEvent(id);
    const response = await send(`latency ${i}`, id);
    assert.equal(response.status, 201, `send ${i}: ${response.status} ${JSON.stringify(response.body)}`);
    const { at } = await event;
    latencies.push(at - start);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  const [p50, p99, max] = [pct(50), pct(99), latencies.at(-1)];
  console.log(`delivery latency over ${SENDS} sends: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
  assert.ok(p99 < 100, `p99 ${p99.toFixed(1)} ms is not well under 100 ms`);
  await sleep(200);
  assert.equal(seenByStudentSocket.length, 0, `the sender's socket got ${seenByStudentSocket.length} of its own messages`);
});
