-- An outbox row's failures come in two kinds (see db::outbox::Failure).
-- Pusher being down, unreachable or refusing us as a whole says nothing about
-- the event: such failures only count in `attempts`, never back the row off
-- (the cron paces its retries by giving up a run after a few of them) and
-- dead-letter it only once it is old. A refusal of the event itself (too
-- large, malformed) counts in `refusals`, backs off and dead-letters after a
-- few. Rows waiting now start with no refusals: at worst a few more tries.
ALTER TABLE outbox
    ADD COLUMN refusals integer NOT NULL DEFAULT 0 CHECK (refusals >= 0);
