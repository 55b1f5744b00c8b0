// Shared by the end-to-end tests: the running stack, demo logins, pusher-js in Node, the web/ packages.
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The app's origin, as a browser sees it (scripts/dev: `next dev`, forwarding /api/* to the Rust dev server). */
export const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:3000").replace(/\/$/, "");
/**
 * Where the Node-level tests call the API: the Rust dev server itself when API_URL is set (scripts/test
 * does), so latency figures measure our functions, not `next dev`'s proxy (which Vercel does not have).
 */
export const API_URL = (process.env.API_URL ?? BASE_URL).replace(/\/$/, "");
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const WEB = fileURLToPath(new URL("../../web/", import.meta.url));

// The tests live outside web/, so its node_modules is reached explicitly.
export const webRequire = createRequire(`${WEB}package.json`);

let stackChecked = null;

/** Fails with one clear line when the local stack is not answering at API_URL. */
export function requireStack() {
  stackChecked ??= (async () => {
    let response;
    try {
      response = await fetch(`${API_URL}/api/dev/config`, { signal: AbortSignal.timeout(3000) });
    } catch (error) {
      throw new Error(
        `The local stack is not running at ${API_URL} (${error.cause?.code ?? error.message}). ` +
          "Start it with scripts/dev (or set BASE_URL) and run the e2e tests again.",
      );
    }
    if (!response.ok) throw new Error(`${API_URL}/api/dev/config answered ${response.status}; is this the dev server?`);
    return response.json();
  })();
  return stackChecked;
}

/** Logs in as a demo user; returns the user, its token and the session cookie. */
export async function login(as) {
  const response = await fetch(`${API_URL}/api/dev/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ as }),
  });
  if (response.status !== 200) throw new Error(`dev login as ${as}: ${response.status} ${await response.text()}`);
  const body = await response.json();
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  return { ...body, cookie };
}

/** A contract call as the given session; returns status and parsed body. */
export async function call(session, path, { method = "GET", body, headers = {} } = {}) {
  const response = await fetch(`${API_URL}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${session.token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: response.status, body: json, headers: response.headers };
}

/** The conversation the demo student and teacher share (seeded by the dev server). */
export async function sharedConversation(student, teacher) {
  const { status, body } = await call(student, "/api/conversations");
  if (status !== 200) throw new Error(`GET /api/conversations: ${status} ${JSON.stringify(body)}`);
  const shared = body.conversations.find((c) => c.members.some((m) => m.id === teacher.user.id));
  if (!shared) throw new Error(`the student has no conversation with the teacher: ${JSON.stringify(body)}`);
  return shared;
}

let core = null;

/** The web client's TypeScript core (api, store, sync), loaded through web/'s tsx. */
export function loadCore() {
  core ??= (async () => {
    // require.resolve would give tsx's CommonJS build; take the ESM entry from its exports map.
    const tsxPackage = webRequire.resolve("tsx/package.json");
    const entry = webRequire(tsxPackage).exports["./esm/api"].import.default;
    const { tsImport } = await import(new URL(entry, pathToFileURL(tsxPackage)).href);
    const load = (file) => tsImport(pathToFileURL(`${WEB}src/${file}`).href, import.meta.url);
    const [api, sync, store, pusherClient, devApi] = await Promise.all([
      load("api.ts"),
      load("conversation-sync.ts"),
      load("message-store.ts"),
      load("pusher-client.ts"),
      load("dev-api.ts"),
    ]);
    return { ...api, ...sync, ...store, ...pusherClient, ...devApi };
  })();
  return core;
}

/** A pusher-js client in Node, authorized through our /api/pusher/auth with the session's bearer token. */
export async function nodePusher(session) {
  const config = await requireStack();
  const Pusher = webRequire("pusher-js");
  const client = new Pusher(config.key, {
    cluster: config.cluster || "mt1",
    wsHost: config.wsHost,
    wsPort: config.wsPort,
    wssPort: config.wsPort,
    forceTLS: Boolean(config.forceTLS),
    enabledTransports: ["ws"],
    channelAuthorization: {
      endpoint: `${API_URL}/api/pusher/auth`,
      transport: "ajax",
      headers: { Authorization: `Bearer ${session.token}` },
    },
  });
  await waitFor(client.connection, "connected", 5000);
  return client;
}

/** Resolves when the connection reaches `state` (or already is there). */
export function waitFor(connection, state, ms) {
  if (connection.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pusher-js did not reach "${state}" in ${ms} ms (now ${connection.state})`)), ms);
    const onChange = ({ current }) => {
      if (current !== state) return;
      clearTimeout(timer);
      connection.unbind("state_change", onChange);
      resolve();
    };
    connection.bind("state_change", onChange);
  });
}

/** Subscribes and resolves once the subscription succeeded; rejects with the auth status otherwise. */
export function subscribe(client, name, ms = 5000) {
  const channel = client.subscribe(name);
  if (channel.subscribed) return Promise.resolve(channel);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscription to ${name} timed out`)), ms);
    channel.bind("pusher:subscription_succeeded", () => {
      clearTimeout(timer);
      resolve(channel);
    });
    channel.bind("pusher:subscription_error", (error) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`subscription to ${name} refused: ${JSON.stringify(error)}`), { status: error?.status }));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check() is truthy; returns its value or throws the message. */
export async function eventually(check, message, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(message);
    await sleep(25);
  }
}
