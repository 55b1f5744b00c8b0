//! Sending a message: one statement that checks, counts, numbers and stores it.

use super::DbError;
use super::rows::{self, message_columns, reactions_column};
use crate::domain::{
    ClientMessageId, ConversationId, Message, MessageBody, MessageId, Sender, Seq, Timestamp,
    UserId,
};
use crate::limits::{Action, Limit, Verdict};
use time::OffsetDateTime;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

pub struct NewMessage<'a> {
    pub conversation_id: ConversationId,
    pub sender: &'a UserId,
    pub body: &'a MessageBody,
    pub client_message_id: Option<&'a ClientMessageId>,
    /// The sender's pusher-js socket, excluded from the broadcast.
    pub socket_id: Option<&'a str>,
    /// The sender's send limit, counted by the same statement.
    pub limit: Option<Limit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored now, with its outbox row (mark it delivered once Pusher accepted the event)
    /// and the conversation's members (whose user channels hear of it).
    New {
        message: Message,
        outbox_id: i64,
        members: Vec<UserId>,
    },
    /// This sender already used this `client_message_id` here: the original
    /// (with its reactions and whether its event went out), nothing written.
    Replay { message: Message, delivered: bool },
    /// No such conversation, or the sender is not a member.
    NotMember,
    /// Over the sender's send limit: nothing written, not counted.
    Limited { retry_after_secs: u64 },
}

/// The whole send in one statement, run on its own (autocommit: the
/// statement is its transaction), so the send costs one round trip.
/// Parameters: `$1` conversation, `$2` sender, `$3` body, `$4` client message
/// id, `$5` socket id, `$6` the limit's counter key, `$7` its max (NULL: no
/// limit), `$8` its window in seconds. Public so the benchmark's floor runs
/// exactly this statement.
///
/// How each guarantee holds without an explicit transaction:
/// - Membership and replay are read from the statement's snapshot; every
///   write below is conditioned on "member and no stored row with this key",
///   so a non-member or a replay writes nothing (`go`).
/// - The rate limit: the counter's upsert bumps only when the window has
///   room (its `WHERE` is re-checked on the newest row version under the
///   counter row's lock, so concurrent sends admit exactly `max`); a refused
///   send leaves the counter as it was and the seq bump below does not run.
///   The counter row is locked before the conversation row, in every send,
///   so the two locks cannot deadlock.
/// - Gapless seqs in commit order: the UPDATE of the conversation row takes
///   its row lock and holds it until the statement commits; a concurrent
///   send waits, then bumps from the committed value. If anything aborts the
///   statement, the bump is rolled back with it: no gap.
/// - Concurrent sends with one `client_message_id`: a send that waited for the
///   lock may not see, in its snapshot, the row the first one committed
///   meanwhile. It then tries to insert a second row with the same key, the
///   unique constraint `messages_client_message_id_key` refuses it and the
///   whole statement rolls back (seq bump and count included); [`insert`]
///   then reads the stored row in a second round trip, only in that race.
/// - The outbox row is born claimed for 10 s from the insert itself
///   (`clock_timestamp()`), so the cron leaves it to the send's own trigger;
///   the sender's read position moves to the new seq.
///
/// Members who joined while the send waited for the lock may miss this
/// message's `conversation-updated` (the snapshot predates them); they read
/// it in the history they load on joining.
pub const SEND_SQL: &str = concat!(
    "WITH member AS (
         SELECT EXISTS (SELECT 1 FROM conversation_members
                        WHERE conversation_id = $1 AND user_id = $2) AS ok
     ), replay AS (
         SELECT id FROM messages
         WHERE conversation_id = $1 AND sender_id = $2 AND client_message_id = $4
     ), go AS (
         SELECT member.ok AND NOT EXISTS (SELECT 1 FROM replay) AS ok FROM member
     ), counted AS (
         INSERT INTO request_limits AS l (user_id, route, window_start, hits)
         SELECT $2, $6, now(), 1 FROM go WHERE go.ok AND $7 IS NOT NULL
         ON CONFLICT (user_id, route) DO UPDATE SET
             window_start = CASE WHEN l.window_start <= now() - make_interval(secs => $8)
                                 THEN now() ELSE l.window_start END,
             hits = CASE WHEN l.window_start <= now() - make_interval(secs => $8)
                         THEN 1 ELSE l.hits + 1 END
         WHERE l.window_start <= now() - make_interval(secs => $8) OR l.hits < $7
         RETURNING 1
     ), bumped AS (
         UPDATE conversations
         SET last_seq = last_seq + 1, last_message_at = clock_timestamp()
         WHERE id = $1 AND (SELECT ok FROM go)
           AND ($7 IS NULL OR EXISTS (SELECT 1 FROM counted))
         RETURNING last_seq, last_message_at
     ), inserted AS (
         INSERT INTO messages (conversation_id, seq, sender_id, body, client_message_id, created_at)
         SELECT $1, last_seq, $2, $3, $4, last_message_at FROM bumped
         RETURNING id, seq, created_at
     ), queued AS (
         INSERT INTO outbox (message_id, conversation_id, socket_id, created_at, claimed_until)
         SELECT id, $1, $5, at, at + interval '10 seconds'
         FROM inserted, (SELECT clock_timestamp() AS at) clock
         RETURNING id
     ), read AS (
         UPDATE conversation_members SET last_read_seq = inserted.seq
         FROM inserted
         WHERE conversation_id = $1 AND user_id = $2
     ), stored AS (
         SELECT ",
    message_columns!(),
    ", ",
    reactions_column!(),
    ",
                NOT EXISTS (SELECT 1 FROM outbox o
                            WHERE o.message_id = m.id AND o.delivered_at IS NULL) AS delivered
         FROM messages m JOIN users u ON u.id = m.sender_id
         WHERE m.id = (SELECT id FROM replay)
     )
     SELECT member.ok AS member, inserted.id AS new_id, inserted.seq AS new_seq,
            inserted.created_at AS new_created_at, queued.id AS outbox_id,
            sender.name AS new_sender_name, sender.role AS new_sender_role,
            CASE WHEN inserted.id IS NOT NULL THEN
                ARRAY(SELECT user_id FROM conversation_members
                      WHERE conversation_id = $1 ORDER BY joined_at, user_id)
            END AS member_ids,
            stored.*,
            (SELECT extract(epoch FROM window_start + make_interval(secs => $8) - now())::float8
             FROM request_limits WHERE user_id = $2 AND route = $6) AS secs_left
     FROM member
     LEFT JOIN inserted ON true
     LEFT JOIN queued ON true
     LEFT JOIN users sender ON sender.id = $2 AND inserted.id IS NOT NULL
     LEFT JOIN stored ON true"
);

/// The stored message this sender sent here with this key (the race's second round trip).
const STORED_SQL: &str = concat!(
    "SELECT ",
    message_columns!(),
    ", ",
    reactions_column!(),
    ",
            NOT EXISTS (SELECT 1 FROM outbox o
                        WHERE o.message_id = m.id AND o.delivered_at IS NULL) AS delivered
     FROM messages m JOIN users u ON u.id = m.sender_id
     WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3"
);

/// Stores a message: one round trip ([`SEND_SQL`]); two only when a
/// concurrent send with the same `client_message_id` won the race.
pub async fn insert(c: &impl GenericClient, new: NewMessage<'_>) -> Result<Inserted, DbError> {
    let conversation = new.conversation_id.get();
    let sender = new.sender.as_str();
    let key = new.client_message_id.map(ClientMessageId::as_str);
    let max = new.limit.map(|l| i32::try_from(l.max).unwrap_or(i32::MAX));
    let window = new.limit.map_or(0.0, |l| l.window.as_secs_f64());
    let result = c
        .query_typed_one(
            SEND_SQL,
            &[
                (&conversation, Type::INT8),
                (&sender, Type::TEXT),
                (&new.body.as_str(), Type::TEXT),
                (&key, Type::TEXT),
                (&new.socket_id, Type::TEXT),
                (&Action::Send.key(), Type::TEXT),
                (&max, Type::INT4),
                (&window, Type::FLOAT8),
            ],
        )
        .await;
    let row = match result {
        Ok(row) => row,
        Err(e) if is_duplicate_key(&e) => return replay_after_race(c, &new).await,
        Err(e) => return Err(e.into()),
    };
    if !row.try_get::<_, bool>("member")? {
        return Ok(Inserted::NotMember);
    }
    if row.try_get::<_, Option<i64>>("id")?.is_some() {
        return replay(&row);
    }
    let Some(id) = row.try_get::<_, Option<i64>>("new_id")? else {
        let limit = new
            .limit
            .ok_or_else(|| DbError::Corrupt("a send without a limit stored nothing".into()))?;
        let secs_left = row.try_get::<_, Option<f64>>("secs_left")?.unwrap_or(0.0);
        return Ok(
            match Verdict::from_count(i64::from(limit.max) + 1, limit, secs_left) {
                Verdict::Limited { retry_after_secs } => Inserted::Limited { retry_after_secs },
                Verdict::Allowed => Inserted::Limited {
                    retry_after_secs: 1,
                },
            },
        );
    };
    let message = Message {
        id: MessageId::from_db(id),
        conversation_id: new.conversation_id,
        seq: Seq::from_db(row.try_get("new_seq")?),
        sender: Sender {
            id: new.sender.clone(),
            name: row.try_get("new_sender_name")?,
            role: row.try_get("new_sender_role")?,
        },
        body: new.body.clone(),
        client_message_id: new.client_message_id.cloned(),
        created_at: Timestamp(row.try_get::<_, OffsetDateTime>("new_created_at")?),
        reactions: Vec::new(),
        reactions_version: 0,
    };
    let members = row
        .try_get::<_, Vec<String>>("member_ids")?
        .into_iter()
        .map(rows::user_id)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Inserted::New {
        message,
        outbox_id: row.try_get("outbox_id")?,
        members,
    })
}

fn is_duplicate_key(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some("messages_client_message_id_key")
    })
}

fn replay(row: &Row) -> Result<Inserted, DbError> {
    Ok(Inserted::Replay {
        message: rows::message_with_reactions(row)?,
        delivered: row.try_get("delivered")?,
    })
}

/// The statement rolled back on the key's unique constraint: the row that won is committed.
async fn replay_after_race(
    c: &impl GenericClient,
    new: &NewMessage<'_>,
) -> Result<Inserted, DbError> {
    let key = new
        .client_message_id
        .ok_or_else(|| DbError::Corrupt("a duplicate key without a key".into()))?;
    let row = c
        .query_typed_opt(
            STORED_SQL,
            &[
                (&new.conversation_id.get(), Type::INT8),
                (&new.sender.as_str(), Type::TEXT),
                (&key.as_str(), Type::TEXT),
            ],
        )
        .await?
        .ok_or_else(|| DbError::Corrupt("the winning send's row is gone".into()))?;
    replay(&row)
}
