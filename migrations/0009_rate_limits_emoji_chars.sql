-- Rate limits: one fixed-window counter per (user, limited route). The send
-- bumps its counter inside the statement that takes the conversation lock,
-- so the limit costs no extra round trip and holds across function instances.
-- A refused request rolls its bump back with the rest of its transaction.

CREATE TABLE request_limits (
    user_id      text NOT NULL,
    -- The limited action, e.g. 'send', 'typing', 'react', 'channel_auth'.
    route        text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (user_id, route)
);

-- An emoji is 1..=32 characters (Unicode scalar values), as openapi.yaml can
-- state exactly (maxLength counts characters); it was 1..=32 bytes, which
-- every emoji stored so far still satisfies.
ALTER TABLE reactions
    DROP CONSTRAINT reactions_emoji_check,
    ADD CONSTRAINT reactions_emoji_check CHECK (char_length(emoji) BETWEEN 1 AND 32);
