// pusher-js settings for the browser, read on the server with the client modules' own reader and passed
// to the page as props: one place reads them, and a bad value fails the page's render with a clear message.
import "server-only";
import { type PusherClientOptions, pusherOptionsFromEnv } from "@messaging/client/pusher-client";

export function pusherSettings(): PusherClientOptions {
  return pusherOptionsFromEnv();
}
