-- Messages and their reactions.

CREATE TABLE messages (
    id                bigserial PRIMARY KEY,
    conversation_id   bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq               bigint NOT NULL CHECK (seq > 0),
    sender_id         text NOT NULL REFERENCES users (id),
    body              text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
    client_message_id text CHECK (client_message_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- Also the keyset index for history pages (before/after a seq).
    CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
    -- Idempotent sends; NULL keys never collide.
    CONSTRAINT messages_client_message_id_key UNIQUE (conversation_id, sender_id, client_message_id)
);

CREATE TABLE reactions (
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    text NOT NULL REFERENCES users (id),
    emoji      text NOT NULL CHECK (octet_length(emoji) BETWEEN 1 AND 32),
    -- Reaction order (first emoji first, users in the order they reacted);
    -- a sequence rather than a timestamp so that ties cannot happen.
    ordinal    bigint GENERATED ALWAYS AS IDENTITY,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, emoji, user_id)
);
