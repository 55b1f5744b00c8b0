-- Conversations and who is in them.

CREATE TABLE conversations (
    id              bigserial PRIMARY KEY,
    title           text CHECK (char_length(title) BETWEEN 1 AND 200),
    -- 'a|b' with the two user ids sorted ('|' cannot occur in an id): at most
    -- one two-person conversation per pair, even under concurrent creation.
    -- NULL for groups.
    direct_key      text UNIQUE,
    -- The highest seq handed out. Senders bump it under this row's lock, so
    -- seqs are 1, 2, 3, ... without gaps and in commit order.
    last_seq        bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- NULL until the first message. Deliberately not indexed: this row is
    -- updated on every message, and an index on the column would turn those
    -- cheap HOT updates into index writes; the list is found through
    -- conversation_members (by user) and sorted in memory.
    last_message_at timestamptz
);

CREATE TABLE conversation_members (
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users (id),
    last_read_seq   bigint NOT NULL DEFAULT 0 CHECK (last_read_seq >= 0),
    joined_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);

-- "My conversations": the list and membership checks by user.
CREATE INDEX conversation_members_by_user ON conversation_members (user_id, conversation_id);
