// Debian's chromium driven by playwright-core (no browser download), and the Next.js app's flows.
import { existsSync } from "node:fs";
import { BASE_URL, webRequire } from "./support.mjs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** An upper bound for steps that may wait for `next dev` to compile a page (a cold, busy machine). */
const COMPILE_MS = 180_000;

export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run web/scripts/ensure-chromium.sh`);
  const { chromium } = webRequire("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * A fresh, isolated context (own cookies and storage) signed in through the app's sign-in page:
 * `/` redirects there without a session, and the demo sign-in sets the session cookie.
 */
export async function openAs(browser, as, baseUrl = BASE_URL) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // Generous first waits: on a fresh stack `next dev` compiles each page on its first request.
  await page.goto(`${baseUrl}/`, { timeout: COMPILE_MS });
  await page.waitForURL(/\/sign-in$/, { timeout: COMPILE_MS });
  await page.getByTestId(`login-${as}`).click({ timeout: COMPILE_MS });
  await page.getByTestId("whoami").waitFor({ timeout: COMPILE_MS });
  await page.getByText("Live", { exact: true }).waitFor({ timeout: COMPILE_MS });
  return { context, page, errors };
}

/** The list's link to a conversation, once the list has loaded. */
export function conversationLink(page, id) {
  return page.locator(`[data-testid=conversation-link][data-conversation-id="${id}"]`);
}

export async function openConversation(page, id) {
  await conversationLink(page, id).click({ timeout: COMPILE_MS });
  await page.waitForURL(new RegExp(`/c/${id}$`), { timeout: COMPILE_MS });
  await waitForHistory(page, id);
}

/** Waits until the open conversation shows its history (or its empty state). */
export async function waitForHistory(page, id) {
  await page.locator(`[data-testid=conversation][data-conversation-id="${id}"]`).waitFor({ timeout: COMPILE_MS });
  await page.waitForFunction(
    () => {
      const list = document.querySelector("[data-testid=messages]");
      return list && (list.querySelector("[data-testid=message]") || list.querySelector(".empty"));
    },
    null,
    { timeout: COMPILE_MS },
  );
}

/** Seqs and bodies shown, in page order. */
export function shownMessages(page) {
  return page.$$eval("[data-testid=message]", (items) =>
    items.map((li) => ({ seq: Number(li.dataset.seq), body: li.querySelector("[data-testid=message-body]")?.textContent })),
  );
}

/** Starts watching for a message body; resolves with Date.now() when it appears. */
export async function watchFor(page, text) {
  await page.evaluate((wanted) => {
    window.__seenAt = new Promise((resolve) => {
      const found = () =>
        [...document.querySelectorAll("[data-testid=message-body]")].some((el) => el.textContent === wanted);
      if (found()) return resolve(Date.now());
      const observer = new MutationObserver(() => {
        if (!found()) return;
        observer.disconnect();
        resolve(Date.now());
      });
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    });
  }, text);
  return {
    seenAt: (ms) =>
      page.evaluate((timeout) => Promise.race([window.__seenAt, new Promise((r) => setTimeout(() => r(null), timeout))]), ms),
  };
}

export async function sendFromComposer(page, text) {
  const composer = page.getByTestId("composer");
  await composer.fill(text);
  const sentAt = Date.now();
  await composer.press("Enter");
  return sentAt;
}
