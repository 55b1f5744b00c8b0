// Idempotency keys for sends: 1..=64 chars of [A-Za-z0-9_-] (contract), unique per attempt of a message.

const VALID = /^[A-Za-z0-9_-]{1,64}$/;

export function newClientMessageId(): string {
  const c = globalThis.crypto;
  // randomUUID exists only in secure contexts; a page on a LAN address over http still has getRandomValues.
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const bytes = c.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function isValidClientMessageId(id: string): boolean {
  return VALID.test(id);
}
