-- The outbox under a backlog, and versions for state sent after commit.
--
-- Outbox rows are claimed with a lease (claimed_until) so overlapping cron
-- runs never send the same row; the send route claims its own row at insert,
-- measured from clock_timestamp() (not the transaction start, which can be
-- long before commit when the send waited for the conversation lock). A
-- failed row waits next_attempt_at (backoff); after too many attempts it is
-- dead-lettered (dead_at) and its conversation's later events move on.

ALTER TABLE outbox
    ADD COLUMN conversation_id bigint,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN claimed_until   timestamptz,
    ADD COLUMN dead_at         timestamptz,
    ALTER COLUMN created_at SET DEFAULT clock_timestamp();

UPDATE outbox o SET conversation_id = m.conversation_id
FROM messages m WHERE m.id = o.message_id;

ALTER TABLE outbox ALTER COLUMN conversation_id SET NOT NULL;

-- Fair selection walks the waiting rows by conversation, in id (= seq)
-- order. Only columns that claims and failures never change are in this
-- index (key or predicate), so those frequent updates can be HOT;
-- delivering (delivered_at) and dead-lettering (dead_at) leave the index
-- and cannot be.
DROP INDEX outbox_undelivered;
CREATE INDEX outbox_waiting ON outbox (conversation_id, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
-- Room on each page for the new versions of claimed and failed rows (HOT).
ALTER TABLE outbox SET (fillfactor = 80);
-- Dead letters are few and counted on every cron run.
CREATE INDEX outbox_dead ON outbox (id) WHERE dead_at IS NOT NULL;

-- Counts every change to the message's reaction set; only ever grows, so
-- clients can drop a `reaction-updated` older than what they show.
ALTER TABLE messages ADD COLUMN reactions_version bigint NOT NULL DEFAULT 0
    CHECK (reactions_version >= 0);
