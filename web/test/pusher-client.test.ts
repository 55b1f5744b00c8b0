import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_AUTH_ENDPOINT, pusherOptionsFromEnv, toPusherOptions } from "../src/pusher-client";

const saved = { ...process.env };
const clearPusherVars = () => {
  for (const key of Object.keys(process.env)) if (key.startsWith("NEXT_PUBLIC_PUSHER")) delete process.env[key];
};
// Each test starts without the variables, whatever the shell exports (scripts/test exports them).
beforeEach(clearPusherVars);
afterEach(() => {
  clearPusherVars();
  Object.assign(process.env, saved);
});

describe("pusher-js options", () => {
  it("uses Pusher's cluster and our auth endpoint by default", () => {
    process.env.NEXT_PUBLIC_PUSHER_KEY = "app-key";
    process.env.NEXT_PUBLIC_PUSHER_CLUSTER = "eu";
    const options = toPusherOptions(pusherOptionsFromEnv());
    expect(options).toEqual({
      cluster: "eu",
      channelAuthorization: { endpoint: DEFAULT_AUTH_ENDPOINT, transport: "ajax", headers: {} },
    });
  });

  it("points at a self-hosted server over plain WebSockets", () => {
    process.env.NEXT_PUBLIC_PUSHER_KEY = "app-key";
    process.env.NEXT_PUBLIC_PUSHER_CLUSTER = "local";
    process.env.NEXT_PUBLIC_PUSHER_HOST = "127.0.0.1";
    process.env.NEXT_PUBLIC_PUSHER_PORT = "6001";
    process.env.NEXT_PUBLIC_PUSHER_FORCE_TLS = "false";
    expect(toPusherOptions(pusherOptionsFromEnv())).toMatchObject({
      cluster: "local",
      wsHost: "127.0.0.1",
      wsPort: 6001,
      wssPort: 6001,
      forceTLS: false,
      enabledTransports: ["ws", "wss"],
    });
  });

  it("names the missing or malformed variable", () => {
    expect(() => pusherOptionsFromEnv()).toThrow("NEXT_PUBLIC_PUSHER_KEY");
    process.env.NEXT_PUBLIC_PUSHER_KEY = "app-key";
    expect(() => pusherOptionsFromEnv()).toThrow("NEXT_PUBLIC_PUSHER_CLUSTER");
    process.env.NEXT_PUBLIC_PUSHER_CLUSTER = "eu";
    process.env.NEXT_PUBLIC_PUSHER_PORT = "sixty";
    expect(() => pusherOptionsFromEnv()).toThrow("NEXT_PUBLIC_PUSHER_PORT");
  });

  it("sends a bearer token with channel authorization when given one", () => {
    const options = toPusherOptions({ key: "k", cluster: "mt1", authHeaders: { Authorization: "Bearer t" }, authEndpoint: "http://h/api/pusher/auth" });
    expect(options.channelAuthorization).toEqual({ endpoint: "http://h/api/pusher/auth", transport: "ajax", headers: { Authorization: "Bearer t" } });
  });
});
