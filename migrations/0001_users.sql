-- People as the app's login knows them, kept current from session claims,
-- plus presence as reported by Pusher's webhooks.

CREATE TABLE users (
    id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name         text,
    role         text,
    -- True while the user is in at least one presence channel.
    online       boolean NOT NULL DEFAULT false,
    last_seen_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The newest member_added/member_removed seen per (user, presence channel).
-- Keeping the event time per channel is what makes webhook handling
-- idempotent and order-safe: an older or repeated delivery cannot undo a newer
-- one, and users.online / last_seen_at are recomputed from these rows.
CREATE TABLE presence_memberships (
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel    text NOT NULL,
    present    boolean NOT NULL,
    updated_ms bigint NOT NULL,
    PRIMARY KEY (user_id, channel)
);
