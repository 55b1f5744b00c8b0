-- One rate limiter: the conversation-creation cap moved from `rate_limits`
-- (0007) to `request_limits` (0009, route 'conversation_create'), so the old
-- table is unused. Its counters are not carried over: at worst a user gets one
-- fresh window of conversation creations.
DROP TABLE IF EXISTS rate_limits;
