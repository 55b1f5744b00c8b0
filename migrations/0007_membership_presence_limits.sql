-- Membership that can end (leave), muting, group owners, presence that
-- expires unless Pusher confirms it, and the counters behind rate limits.

-- 'owner' is the creator of a group (the only one who sets its title);
-- everyone else, and both people of a two-person conversation, are 'member'.
-- Further roles (a later issue) widen the CHECK.
ALTER TABLE conversation_members
    ADD COLUMN role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
    -- Set while the member has muted the conversation (clients stay quiet about it).
    ADD COLUMN muted_at timestamptz;

-- Memberships that ended. A member who leaves is moved here from
-- conversation_members, so every membership check stays a lookup of the live
-- row, and the history (when they joined, left, how far they had read) is kept
-- for audits and for rejoining.
CREATE TABLE former_members (
    id              bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users (id),
    role            text NOT NULL,
    joined_at       timestamptz NOT NULL,
    left_at         timestamptz NOT NULL DEFAULT now(),
    last_read_seq   bigint NOT NULL CHECK (last_read_seq >= 0),
    -- 'left': they left themselves. A later issue adds 'removed' (by an owner).
    reason          text NOT NULL CHECK (reason IN ('left'))
);

CREATE INDEX former_members_by_member ON former_members (conversation_id, user_id, left_at);

-- When Pusher last confirmed this row's state (a webhook applied, or the
-- cron's reconciliation with the channel's member list). "Online" in a
-- conversation needs a confirmation within the presence TTL.
ALTER TABLE presence_memberships
    ADD COLUMN confirmed_at timestamptz NOT NULL DEFAULT now();

-- Fixed-window counters, one row per (action, subject), e.g.
-- 'conversation-create:u_alice'. One UPSERT both counts and decides.
CREATE TABLE rate_limits (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL CHECK (count >= 0)
);
