"""Preconditions that openapi.yaml states in prose because JSON Schema cannot say them.

Loaded by scripts/fuzz (SCHEMATHESIS_HOOKS). Only requests the fuzzer generates as *valid*
are adjusted, and only where the schema cannot express the rule; invalid (negative) cases
are sent as generated:

- createConversation: `member_ids` must name users the server already knows (the contract's
  "seen with a session, or provisioned by the app"); a valid request names the seeded demo
  users, 1..=49 others after the caller and repeats are removed.
- messageHistory: `before` and `after` are each valid, but not together (two query parameters
  cannot exclude each other in OpenAPI); a valid request keeps one of them.
- listConversations: `cursor` is opaque and valid only as a `next_cursor` this server issued
  (signed by nothing but its own format); a valid request without one asks for the first page.
"""

import random

import schemathesis

KNOWN_OTHERS = ["u_teacher", "u_outsider"]


def _positive(case):
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if not _positive(case):
        return
    operation = case.operation.definition.raw.get("operationId")
    if operation == "createConversation" and isinstance(case.body, dict):
        picked = random.sample(KNOWN_OTHERS, random.randint(1, len(KNOWN_OTHERS)))
        case.body["member_ids"] = picked
    elif operation == "messageHistory" and isinstance(case.query, dict):
        if "before" in case.query and "after" in case.query:
            del case.query[random.choice(["before", "after"])]
    elif operation == "listConversations" and isinstance(case.query, dict):
        case.query.pop("cursor", None)
