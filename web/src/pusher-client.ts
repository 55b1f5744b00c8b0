// The page's pusher-js connection: built from NEXT_PUBLIC_* settings, or from explicit options.
// pusher-js is loaded on first use, so pages without realtime (or with their own client) skip it.
import type Pusher from "pusher-js";
import type { Options } from "pusher-js";
import type { PusherLike, PusherSource } from "./realtime-port";

export interface PusherClientOptions {
  key: string;
  /** pusher-js 8 requires a cluster even when a self-hosted host is set. */
  cluster: string;
  /** A self-hosted Pusher-protocol server (Sockudo, Soketi) instead of Pusher's cluster hosts. */
  host?: string;
  port?: number;
  forceTLS?: boolean;
  /** Channel authorization endpoint; pusher-js POSTs form-urlencoded `socket_id` and `channel_name`. */
  authEndpoint?: string;
  /** Extra auth request headers, e.g. a bearer token for callers without the session cookie. */
  authHeaders?: Record<string, string>;
}

export const DEFAULT_AUTH_ENDPOINT = "/api/pusher/auth";

/** Maps our settings to pusher-js options (kept separate so it can be checked without a socket). */
export function toPusherOptions(options: PusherClientOptions): Options {
  const result: Options = {
    cluster: options.cluster || "mt1",
    channelAuthorization: {
      endpoint: options.authEndpoint ?? DEFAULT_AUTH_ENDPOINT,
      transport: "ajax",
      headers: options.authHeaders ?? {},
    },
  };
  if (options.host) {
    const tls = options.forceTLS ?? false;
    result.wsHost = options.host;
    result.forceTLS = tls;
    if (options.port) {
      result.wsPort = options.port;
      result.wssPort = options.port;
    }
    // Self-hosted servers speak plain WebSockets only; the other fallbacks would go to Pusher's hosts.
    result.enabledTransports = tls ? ["wss"] : ["ws", "wss"];
  } else if (options.forceTLS !== undefined) {
    result.forceTLS = options.forceTLS;
  }
  return result;
}

/** Builds a connection; pusher-js is imported here, on first call. */
export async function createPusherClient(options: PusherClientOptions): Promise<Pusher> {
  const { default: PusherJs } = await import("pusher-js");
  return new PusherJs(options.key, toPusherOptions(options));
}

/**
 * Reads the NEXT_PUBLIC_* variables. Each is written out in full because Next.js (and our esbuild
 * build) inlines only literal `process.env.NAME` expressions into browser code.
 */
export function pusherOptionsFromEnv(): PusherClientOptions {
  const key = process.env.NEXT_PUBLIC_PUSHER_KEY;
  const cluster = process.env.NEXT_PUBLIC_PUSHER_CLUSTER;
  const host = process.env.NEXT_PUBLIC_PUSHER_HOST;
  const port = process.env.NEXT_PUBLIC_PUSHER_PORT;
  const forceTLS = process.env.NEXT_PUBLIC_PUSHER_FORCE_TLS;
  if (!key) throw new Error("NEXT_PUBLIC_PUSHER_KEY is not set");
  if (!cluster && !host) throw new Error("NEXT_PUBLIC_PUSHER_CLUSTER is not set");
  const portNumber = port ? Number(port) : undefined;
  if (portNumber !== undefined && !(Number.isInteger(portNumber) && portNumber > 0 && portNumber < 65536)) {
    throw new Error(`NEXT_PUBLIC_PUSHER_PORT is not a port number: ${port}`);
  }
  return {
    key,
    cluster: cluster || "mt1",
    host: host || undefined,
    port: portNumber,
    forceTLS: forceTLS === undefined || forceTLS === "" ? undefined : forceTLS === "true" || forceTLS === "1",
  };
}

let instance: PusherLike | null = null;
let building: Promise<PusherLike> | null = null;
const changeListeners = new Set<(client: PusherLike) => void>();

/**
 * One connection per page: every hook shares it, so a page holds one socket whatever it renders.
 * Rejects with the variable's name when a NEXT_PUBLIC_PUSHER_* setting is missing or malformed.
 */
export function getPusherClient(): Promise<PusherLike> {
  if (instance) return Promise.resolve(instance);
  building ??= (async () => {
    const client = await createPusherClient(pusherOptionsFromEnv());
    // setPusherClient may have run while pusher-js loaded: that client wins.
    if (!instance) instance = client;
    else client.disconnect();
    return instance;
  })().finally(() => {
    building = null;
  });
  return building;
}

/**
 * Uses a connection built elsewhere (e.g. from /api/dev/config) as the page's singleton. Open
 * conversations move to it: they resubscribe there and catch up.
 */
export function setPusherClient(client: PusherLike & { disconnect?(): void }): void {
  if (instance === client) return;
  const previous = instance as (PusherLike & { disconnect?(): void }) | null;
  instance = client;
  for (const listener of [...changeListeners]) listener(client);
  previous?.disconnect?.();
}

/** The page's connection as a sync source: resolved when a conversation starts, followed when swapped. */
export const pagePusherSource: PusherSource = {
  get: getPusherClient,
  onChange(listener) {
    changeListeners.add(listener);
    return () => changeListeners.delete(listener);
  },
};
