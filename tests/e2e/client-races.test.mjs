// Issue 17's proof in real browsers: one conversation open twice in a page, and a channel auth that fails once.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { launch, openAs, openConversation, sendFromComposer } from "./browser.mjs";
import { call, login, requireStack, sharedConversation } from "./support.mjs";

const run = randomUUID().slice(0, 8);
let browser, student, teacherSession, conversationId;

before(async () => {
  await requireStack();
  const [s, t] = await Promise.all([login("student"), login("teacher")]);
  teacherSession = t;
  conversationId = (await sharedConversation(s, t)).id;
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Resolves true once the main view (not the second one) shows the body. */
function mainViewShows(page, body, timeout) {
  return page
    .waitForFunction(
      (wanted) =>
        [...document.querySelectorAll("main > [data-testid=conversation] [data-testid=message-body]")].some((el) => el.textContent === wanted),
      body,
      { timeout },
    )
    .then(() => true, () => false);
}

test("closing a second view of the same conversation leaves the first one live (two browsers)", async () => {
  student = await openAs(browser, "student");
  const teacher = await openAs(browser, "teacher");
  await Promise.all([openConversation(student.page, conversationId), openConversation(teacher.page, conversationId)]);
  const page = student.page;
  await page.getByTestId("toggle-second-view").click();
  await page.locator("[data-testid=second-view] [data-testid=messages]").waitFor();
  // Let the second view finish subscribing (it joins the first one's channel) before closing it.
  await page.waitForTimeout(500);
  await page.getByTestId("toggle-second-view").click();
  await page.locator("[data-testid=second-view]").waitFor({ state: "detached" });

  const body = `After the popover closed ${run}`;
  await sendFromComposer(teacher.page, body);
  assert.ok(await mainViewShows(page, body, 3000), "the remaining view stopped receiving after the second view closed");
  assert.deepEqual(student.errors, []);
  await teacher.context.close();
  await student.context.close();
});

test("a channel auth that fails once recovers without a reload", async () => {
  const { context, page, errors } = await openAs(browser, "student");
  let failed = 0;
  await context.route("**/api/pusher/auth", async (route) => {
    const form = new URLSearchParams(route.request().postData() ?? "");
    if (failed === 0 && form.get("channel_name") === `private-conversation-${conversationId}`) {
      failed++;
      return route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "unavailable", message: "Try again" } }),
      });
    }
    return route.continue();
  });
  await page.locator(`[data-testid=conversation-link][data-conversation-id="${conversationId}"]`).click();
  const error = page.getByTestId("conversation-error");
  await error.waitFor({ timeout: 5000 });
  assert.match(await error.textContent(), /Live updates unavailable/);
  // The sync subscribes again with backoff (1 s first) and the error goes once live.
  await error.waitFor({ state: "detached", timeout: 10_000 });
  assert.equal(failed, 1);

  const body = `Live again after a failed auth ${run}`;
  const sent = await call(teacherSession, "/api/messages/send", {
    method: "POST",
    body: { conversation_id: conversationId, body, client_message_id: `e2e-${run}` },
  });
  assert.equal(sent.status, 201);
  // Well inside the 10 s polling interval: it came by the live subscription.
  assert.ok(await mainViewShows(page, body, 3000), "the page did not become live again");
  assert.deepEqual(errors, []);
  await context.close();
});
