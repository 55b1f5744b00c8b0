// pusher-js settings for the browser, read from the environment on the server at request time (so one
// build runs against any Pusher app or a self-hosted Sockudo) with the client modules' own reader.
import "server-only";
import { type PusherClientOptions, pusherOptionsFromEnv } from "@messaging/client/pusher-client";

export function pusherSettings(): PusherClientOptions {
  return pusherOptionsFromEnv();
}
