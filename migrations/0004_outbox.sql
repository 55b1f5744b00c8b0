-- Realtime events still to deliver: written in the same transaction as the
-- message, so a stored message always gets its event, eventually.

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    message_id      bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- The sender's pusher-js socket, excluded from the broadcast.
    socket_id       text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    last_error      text
);

-- Only the undelivered few are ever scanned.
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_at IS NULL;
