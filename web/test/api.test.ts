// Runs the fetch wrappers against a real local HTTP server that answers like the contract.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, createApi } from "../src/api";

let server: Server;
let baseUrl: string;
const seen: Array<{ method?: string; url?: string; auth?: string; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(json));
      };
      if (req.url?.includes("conversation_id=999")) return; // never answers
      if (req.url?.startsWith("/api/conversations?")) return reply(200, { conversations: [], next_cursor: null });
      if (req.url?.startsWith("/api/messages/history")) return reply(200, { messages: [], has_more: false });
      if (req.url === "/api/messages/send" && JSON.parse(body).body === "again") return reply(200, { message: { id: 1 }, delivery: "sent" });
      if (req.url === "/api/messages/send") return reply(429, { error: { code: "rate_limited", message: "Slow down" } }, { "retry-after": "3" });
      if (req.url === "/api/conversations") return reply(404, { error: { code: "not_found", message: "Not found" } });
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>bad gateway</html>");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("api", () => {
  it("builds the history query and sends the bearer token", async () => {
    await createApi({ baseUrl, token: "jwt" }).history({ conversationId: 7, after: 0, limit: 10 });
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/api/messages/history?conversation_id=7&after=0&limit=10", auth: "Bearer jwt" });
  });

  it("turns the contract's error shape into an ApiError with Retry-After", async () => {
    const error = await createApi({ baseUrl }).send({ conversation_id: 7, body: "hi" }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", message: "Slow down", retryAfterSeconds: 3, retriable: true });
  });

  it("tells a replayed send (200) from a new one", async () => {
    const result = await createApi({ baseUrl }).send({ conversation_id: 7, body: "again", client_message_id: "abc" });
    expect(result.replayed).toBe(true);
  });

  it("reports a non-JSON error page by status", async () => {
    const error = await createApi({ baseUrl }).markRead(7, 1).catch((e) => e);
    expect(error).toMatchObject({ status: 502, code: "http_502", retriable: true });
  });

  it("reports a network failure as retriable", async () => {
    const error = await createApi({ baseUrl: "http://127.0.0.1:1" }).conversations().catch((e) => e);
    expect(error).toMatchObject({ status: 0, code: "network", retriable: true });
  });

  it("gives up on a request with no answer as a retriable timeout", async () => {
    const error = await createApi({ baseUrl, timeoutMs: 50 }).history({ conversationId: 999 }).catch((e) => e);
    expect(error).toMatchObject({ status: 0, code: "timeout", retriable: true });
  });

  it("asks for a page of conversations with limit and cursor", async () => {
    const page = await createApi({ baseUrl }).conversationsPage!({ limit: 20, cursor: "c_2" });
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/api/conversations?limit=20&cursor=c_2" });
    expect(page).toEqual({ conversations: [], next_cursor: null });
  });
});
