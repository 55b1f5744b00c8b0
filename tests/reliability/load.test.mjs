// Load with counting clients: 32 senders over 8 conversations (RELIABILITY_SECONDS, 60 by
// default), a pusher-js subscriber on each. Every acknowledged message is in history exactly
// once, seqs are gapless, every subscriber kept every message once in seq order, no 5xx.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack } from "./stack.mjs";
import { underLoad, LOAD_SECONDS } from "./load.mjs";

let stack;
before(async () => (stack = await startStack()));
after(async () => stack?.stop());

test(`${LOAD_SECONDS} s of load: every acknowledged message stored once, in order, and seen by every subscriber`, async () => {
  const { result, tally } = await underLoad(stack, { name: "load", seconds: LOAD_SECONDS });
  assert.deepEqual(result.problems, []);
  assert.ok(result.acknowledged > 0, "nothing was sent");
  assert.equal(tally.count("5"), 0, `5xx answers: ${JSON.stringify(tally.fiveHundreds.slice(0, 5))}`);
  assert.equal(tally.count("conn:"), 0, "connections were lost");
  assert.equal(result.stored, result.acknowledged, "history holds messages nobody acknowledged");
});
