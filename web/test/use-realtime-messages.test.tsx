import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { useRealtimeMessages } from "../src/use-realtime-messages";
import { CONVERSATION, ME } from "./support";

function Messages() {
  const { state } = useRealtimeMessages({ conversationId: CONVERSATION, me: ME });
  return <p>{state.loaded ? "loaded" : `loading ${state.conversationId}`}</p>;
}

describe("useRealtimeMessages", () => {
  it("renders on the server without building the page's Pusher connection", () => {
    // No NEXT_PUBLIC_PUSHER_KEY here: touching the singleton during render would throw.
    delete process.env.NEXT_PUBLIC_PUSHER_KEY;
    expect(renderToString(<Messages />)).toBe(`<p>loading ${CONVERSATION}</p>`);
  });
});
