// The local dev server's extra endpoints (development only, not part of the contract).
import { ApiError } from "./api";
import type { PusherClientOptions } from "./pusher-client";

export type DemoRole = "student" | "teacher" | "outsider";

export interface DevUser {
  id: string;
  name: string;
  role: string;
}

export interface DevLogin {
  user: DevUser;
  token: string;
}

export interface DevConfig {
  key: string;
  cluster: string;
  wsHost: string;
  wsPort: number;
  forceTLS: boolean;
}

async function json<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => null)) as T & { error?: { code: string; message: string } };
  if (!response.ok) {
    throw new ApiError(response.status, body?.error?.code ?? `http_${response.status}`, body?.error?.message ?? response.statusText);
  }
  return body;
}

/** Logs in as a demo user; the server also sets the session cookie. */
export async function devLogin(as: DemoRole, baseUrl = ""): Promise<DevLogin> {
  const response = await fetch(`${baseUrl}/api/dev/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ as }),
    credentials: "same-origin",
  });
  return json<DevLogin>(response);
}

export async function devConfig(baseUrl = ""): Promise<DevConfig> {
  return json<DevConfig>(await fetch(`${baseUrl}/api/dev/config`));
}

export function pusherOptionsFromDevConfig(config: DevConfig, extra: Partial<PusherClientOptions> = {}): PusherClientOptions {
  return {
    key: config.key,
    cluster: config.cluster,
    host: config.wsHost,
    port: config.wsPort,
    forceTLS: config.forceTLS,
    ...extra,
  };
}
