// Two isolated Chromium contexts (student, teacher) in the Next.js app (app/), plus an outsider who
// starts a conversation of their own.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { conversationLink, launch, openAs, openConversation, sendFromComposer, shownMessages, waitForHistory, watchFor } from "./browser.mjs";
import { ROOT, login, requireStack, sharedConversation } from "./support.mjs";

const ARTIFACTS = join(ROOT, "test-artifacts");
const run = randomUUID().slice(0, 8);
let browser, student, teacher, conversationId;

before(async () => {
  await requireStack();
  const [s, t] = await Promise.all([login("student"), login("teacher")]);
  conversationId = (await sharedConversation(s, t)).id;
  browser = await launch();
  [student, teacher] = await Promise.all([openAs(browser, "student"), openAs(browser, "teacher")]);
  await Promise.all([openConversation(student.page, conversationId), openConversation(teacher.page, conversationId)]);
});

after(async () => {
  await browser?.close();
});

test("a message sent in one browser appears in the other within one second, without a reload", async () => {
  const fromStudent = `Hello from the student ${run}`;
  const watch = await watchFor(teacher.page, fromStudent);
  const sentAt = await sendFromComposer(student.page, fromStudent);
  const seenAt = await watch.seenAt(1000);
  assert.ok(seenAt, "the teacher did not see the student's message within 1 s");
  console.log(`student -> teacher on screen: ${seenAt - sentAt} ms`);
  assert.ok(seenAt - sentAt < 1000);

  // Shift+Enter adds a line; Enter sends.
  const fromTeacher = `Reply from the teacher ${run}\nwith a second line`;
  const back = await watchFor(student.page, fromTeacher);
  const composer = teacher.page.getByTestId("composer");
  await composer.fill(`Reply from the teacher ${run}`);
  await composer.press("Shift+Enter");
  await composer.pressSequentially("with a second line");
  const sentBack = Date.now();
  await composer.press("Enter");
  const seenBack = await back.seenAt(1000);
  assert.ok(seenBack, "the student did not see the teacher's two-line reply within 1 s");
  console.log(`teacher -> student on screen: ${seenBack - sentBack} ms`);
  // Confirmed by its response: the pending copy is replaced, not kept beside the real one.
  await teacher.page.waitForFunction(() => !document.querySelector("[data-testid=pending-message]"), null, { timeout: 1000 });
  assert.equal(await teacher.page.locator("[data-testid=message-body]", { hasText: `Reply from the teacher ${run}` }).count(), 1);
});

test("message bodies render as text, never as HTML", async () => {
  const html = `<img src=x onerror="window.__xss=1"><b>bold ${run}</b>`;
  const watch = await watchFor(teacher.page, html);
  await sendFromComposer(student.page, html);
  assert.ok(await watch.seenAt(1000), "the HTML-looking message did not arrive as literal text");
  assert.equal(await teacher.page.evaluate(() => window.__xss ?? null), null);
  assert.equal(await teacher.page.locator("[data-testid=message-body] img").count(), 0);
});

test("after a reload both browsers show the same history in the same order", async () => {
  await Promise.all([student.page.reload(), teacher.page.reload()]);
  await Promise.all([waitForHistory(student.page, conversationId), waitForHistory(teacher.page, conversationId)]);
  const [mine, theirs] = await Promise.all([shownMessages(student.page), shownMessages(teacher.page)]);
  assert.ok(mine.length > 0);
  assert.deepEqual(mine, theirs);
  const seqs = mine.map((m) => m.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.ok(mine.some((m) => m.body === `Hello from the student ${run}`));
  assert.ok(mine.some((m) => m.body === `Reply from the teacher ${run}\nwith a second line`));
});

test("the other member's typing, presence, read receipt and reaction show live", async () => {
  await showsText(student.page, "presence", "Online: Taylor Teacher");
  await showsText(teacher.page, "presence", "Online: Sam Student");

  await student.page.getByTestId("composer").pressSequentially("typing…");
  await showsText(teacher.page, "typing", "Sam Student is typing…", 2000);
  await student.page.getByTestId("composer").fill("");

  const text = `Seen check ${run}`;
  await sendFromComposer(student.page, text);
  // The teacher has the conversation open, so it is read at once and the student sees "Seen" under it.
  const last = student.page.locator("[data-testid=message]", { hasText: text });
  await last.getByTestId("seen").waitFor({ timeout: 3000 });

  const onTeacherSide = teacher.page.locator("[data-testid=message]", { hasText: text });
  // The quick reactions show on hover (or keyboard focus), as for a person using the page.
  await onTeacherSide.hover();
  await onTeacherSide.locator("[data-testid=reaction][data-emoji='👍']").click({ timeout: 3000 });
  await last.locator("[data-testid=reaction][data-emoji='👍'] .count").filter({ hasText: "1" }).waitFor({ timeout: 2000 });

  // Read positions also come with the conversation list's members, so Seen survives a reload.
  await student.page.reload();
  await waitForHistory(student.page, conversationId);
  await last.getByTestId("seen").waitFor({ timeout: 3000 });
});

test("the unread badge rises live for a closed conversation and clears when it is opened", async () => {
  const link = conversationLink(student.page, conversationId);
  // Back to the list only (a client-side navigation: the socket and the list stay).
  await student.page.getByTestId("home").click();
  await student.page.waitForURL(/\/$/);
  await student.page.getByTestId("conversation").waitFor({ state: "detached" });
  assert.equal(await link.getByTestId("unread-badge").count(), 0, "a badge before anything unread arrived");

  await sendFromComposer(teacher.page, `Unread one ${run}`);
  await sendFromComposer(teacher.page, `Unread two ${run}`);
  await showsText(link, "unread-badge", "2", 2000);

  await link.click();
  await waitForHistory(student.page, conversationId);
  await link.getByTestId("unread-badge").waitFor({ state: "detached", timeout: 2000 });
});

/** Waits for an element's text; on timeout the error says what it showed instead. */
async function showsText(page, testId, text, timeout = 5000) {
  const element = page.getByTestId(testId);
  try {
    await element.filter({ hasText: text }).waitFor({ timeout });
  } catch {
    assert.fail(`${testId} shows ${JSON.stringify(await element.textContent())}, not ${JSON.stringify(text)}, after ${timeout} ms`);
  }
}

test("the list shows who is online with a dot", async () => {
  // The teacher has the conversation open (in its presence channel), so the student's dot is on.
  const dot = conversationLink(student.page, conversationId).getByTestId("online-dot");
  await dot.and(student.page.locator("[data-online=true]")).waitFor({ timeout: 5000 });
});

test("an outsider sees nothing of the conversation and cannot subscribe to its channel", async () => {
  const outsider = await openAs(browser, "outsider");
  try {
    // The list has loaded (its start-a-conversation form is below it) without the pair's conversation.
    await outsider.page.getByText("Loading…").waitFor({ state: "detached" });
    assert.equal(await conversationLink(outsider.page, conversationId).count(), 0);
    const result = await outsider.page.evaluate(async (id) => {
      const { pusher } = window.__messagingApp;
      const auth = await fetch("/api/pusher/auth", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ socket_id: pusher.connection.socket_id, channel_name: `private-conversation-${id}` }),
      });
      const history = await fetch(`/api/messages/history?conversation_id=${id}`);
      const subscription = await new Promise((resolve) => {
        const channel = pusher.subscribe(`presence-conversation-${id}`);
        channel.bind("pusher:subscription_succeeded", () => resolve({ subscribed: true }));
        channel.bind("pusher:subscription_error", (e) => resolve({ subscribed: false, status: e.status }));
        setTimeout(() => resolve({ subscribed: false, status: "timeout" }), 5000);
      });
      return { auth: auth.status, authBody: await auth.json(), history: history.status, subscription };
    }, conversationId);
    assert.deepEqual(
      { auth: result.auth, code: result.authBody?.error?.code, history: result.history, subscription: result.subscription },
      { auth: 403, code: "forbidden", history: 404, subscription: { subscribed: false, status: 403 } },
    );
  } finally {
    await outsider.context.close();
  }
});

test("an outsider starts a conversation with the teacher, whose list shows it with an unread badge", async () => {
  const outsider = await openAs(browser, "outsider");
  try {
    await outsider.page.getByTestId("new-conversation-members").fill("u_teacher");
    await outsider.page.getByTestId("new-conversation-title").fill(`Question ${run}`);
    await outsider.page.getByTestId("new-conversation-start").click();
    await outsider.page.waitForURL(/\/c\/\d+$/);
    const id = Number(new URL(outsider.page.url()).pathname.split("/").pop());
    assert.notEqual(id, conversationId);
    await waitForHistory(outsider.page, id);
    await sendFromComposer(outsider.page, `Hello teacher ${run}`);
    // The teacher did not know this conversation: its event makes the list reload, badge included.
    // (Against a reused dev database the pair's conversation may exist already, with its first title.)
    const link = conversationLink(teacher.page, id);
    await link.getByTestId("unread-badge").waitFor({ timeout: 5000 });
    assert.ok(Number(await link.getByTestId("unread-badge").textContent()) >= 1);
    // An unknown member is refused with the contract's message, shown in the form.
    await outsider.page.getByTestId("new-conversation-members").fill("u_nobody_here");
    await outsider.page.getByTestId("new-conversation-start").click();
    await showsText(outsider.page, "new-conversation-error", "unknown user");
    assert.deepEqual(outsider.errors, [], "the app threw");
  } finally {
    await outsider.context.close();
  }
});

test("saves a screenshot of both windows", async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  // No hover toolbar in the picture.
  await Promise.all([student.page.mouse.move(0, 0), teacher.page.mouse.move(0, 0)]);
  const [left, right] = await Promise.all([student.page.screenshot(), teacher.page.screenshot()]);
  await writeFile(join(ARTIFACTS, "student.png"), left);
  await writeFile(join(ARTIFACTS, "teacher.png"), right);
  const sheet = await browser.newPage({ viewport: { width: 1820, height: 760 } });
  await sheet.setContent(
    `<body style="margin:0;display:flex;gap:20px;background:#444">` +
      [left, right].map((png) => `<img src="data:image/png;base64,${png.toString("base64")}" width="900">`).join("") +
      `</body>`,
  );
  await sheet.screenshot({ path: join(ARTIFACTS, "two-browsers.png"), fullPage: true });
  await sheet.close();
  for (const { errors } of [student, teacher]) assert.deepEqual(errors, [], "the app threw");
});
