//! Messages: sending (seq, idempotency, outbox in one transaction), history pages, lookup.

pub use super::history::{HISTORY_AFTER_SQL, HISTORY_BEFORE_SQL, HistoryPage, Page, history};

use super::DbError;
use super::limits::lock_counting;
use super::pool::{Client, pg};
use super::reactions::for_messages;
use super::rows::{self, message_columns};
use crate::domain::{
    ClientMessageId, ConversationId, Message, MessageBody, MessageId, Sender, Seq, Timestamp,
    UserId,
};
use crate::limits::{Limit, Verdict};
use time::OffsetDateTime;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Transaction};

pub struct NewMessage<'a> {
    pub conversation_id: ConversationId,
    pub sender: &'a UserId,
    pub body: &'a MessageBody,
    pub client_message_id: Option<&'a ClientMessageId>,
    /// The sender's pusher-js socket, excluded from the broadcast.
    pub socket_id: Option<&'a str>,
    /// The sender's send limit, counted in the statement that takes the lock.
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
    /// This sender already used this `client_message_id` here: the original, nothing written.
    Replay { message: Message },
    /// No such conversation, or the sender is not a member.
    NotMember,
    /// Over the sender's send limit: nothing written, the count included.
    Limited { retry_after_secs: u64 },
}

/// Takes the conversation row's lock for a member (no row: not a member).
/// Public so the benchmark's floor issues exactly these statements.
pub const LOCK_SQL: &str = "SELECT c.last_seq FROM conversations c
             WHERE c.id = $1 AND EXISTS (
                 SELECT 1 FROM conversation_members m
                 WHERE m.conversation_id = c.id AND m.user_id = $2)
             FOR NO KEY UPDATE OF c";

/// Bumps the seq, stores the message and its outbox row, moves the sender's
/// read position, and returns what the send needs, member ids included.
///
/// The outbox row is born claimed by this send for 10 seconds, counted from
/// the insert itself (`clock_timestamp()`, not the transaction's start, which
/// may be long ago when the send waited for the lock): the cron leaves it
/// alone while the send's own trigger (2 s timeout) may still be running.
pub const INSERT_SQL: &str = "WITH bumped AS (
                 UPDATE conversations
                 SET last_seq = last_seq + 1, last_message_at = clock_timestamp()
                 WHERE id = $1
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
             )
             SELECT inserted.id, inserted.seq, inserted.created_at, queued.id AS outbox_id,
                    u.name, u.role,
                    ARRAY(SELECT user_id FROM conversation_members
                          WHERE conversation_id = $1 ORDER BY joined_at, user_id) AS member_ids
             FROM inserted, queued, users u
             WHERE u.id = $2";

/// Stores a message in one transaction.
///
/// The seq comes from the conversation row, bumped while holding that row's
/// lock until commit: the next sender waits, so seqs are gapless and commit in
/// seq order (a reader that sees seq N+1 also sees N). The same lock
/// serialises concurrent sends with one `client_message_id`, and the replay
/// check runs after it is taken, so all of them get the first one's row.
/// The sender's rate-limit counter is bumped by the locking statement itself
/// (no extra round trip); a refused send rolls its count back.
pub async fn insert(c: &mut Client, new: NewMessage<'_>) -> Result<Inserted, DbError> {
    let tx = pg(c).transaction().await?;
    let conversation = new.conversation_id.get();
    let sender = new.sender.as_str();
    let verdict = match lock_counting(&tx, conversation, sender, new.limit).await? {
        Some(verdict) => verdict,
        None => {
            // Explicitly, so no lock outlives the call even for a moment.
            tx.rollback().await?;
            return Ok(Inserted::NotMember);
        }
    };
    if let Some(key) = new.client_message_id {
        // A retry of a stored message gets its original even when over the limit.
        if let Some(message) = by_client_id(&tx, new.conversation_id, new.sender, key).await? {
            tx.rollback().await?;
            return Ok(Inserted::Replay { message });
        }
    }
    if let Verdict::Limited { retry_after_secs } = verdict {
        // The rollback takes this request's count back with it.
        tx.rollback().await?;
        return Ok(Inserted::Limited { retry_after_secs });
    }
    let key = new.client_message_id.map(ClientMessageId::as_str);
    let row = tx
        .query_typed_one(
            INSERT_SQL,
            &[
                (&conversation, Type::INT8),
                (&sender, Type::TEXT),
                (&new.body.as_str(), Type::TEXT),
                (&key, Type::TEXT),
                (&new.socket_id, Type::TEXT),
            ],
        )
        .await?;
    let message = Message {
        id: MessageId::from_db(row.try_get("id")?),
        conversation_id: new.conversation_id,
        seq: Seq::from_db(row.try_get("seq")?),
        sender: Sender {
            id: new.sender.clone(),
            name: row.try_get("name")?,
            role: row.try_get("role")?,
        },
        body: new.body.clone(),
        client_message_id: new.client_message_id.cloned(),
        created_at: Timestamp(row.try_get::<_, OffsetDateTime>("created_at")?),
        reactions: Vec::new(),
        reactions_version: 0,
    };
    let outbox_id = row.try_get("outbox_id")?;
    let members = row
        .try_get::<_, Vec<String>>("member_ids")?
        .into_iter()
        .map(rows::user_id)
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit().await?;
    Ok(Inserted::New {
        message,
        outbox_id,
        members,
    })
}

async fn by_client_id(
    tx: &Transaction<'_>,
    conversation: ConversationId,
    sender: &UserId,
    key: &ClientMessageId,
) -> Result<Option<Message>, DbError> {
    let row = tx
        .query_typed_opt(
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages m JOIN users u ON u.id = m.sender_id
                 WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3"
            ),
            &[
                (&conversation.get(), Type::INT8),
                (&sender.as_str(), Type::TEXT),
                (&key.as_str(), Type::TEXT),
            ],
        )
        .await?;
    match row {
        Some(row) => Ok(with_reactions(tx, vec![rows::message(&row)?]).await?.pop()),
        None => Ok(None),
    }
}

/// One message with its reactions (no membership check: the caller does it).
pub async fn get(c: &impl GenericClient, id: MessageId) -> Result<Option<Message>, DbError> {
    let row = c
        .query_typed_opt(
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.id = $1"
            ),
            &[(&id.get(), Type::INT8)],
        )
        .await?;
    match row {
        Some(row) => Ok(with_reactions(c, vec![rows::message(&row)?]).await?.pop()),
        None => Ok(None),
    }
}

pub(crate) async fn with_reactions(
    c: &impl GenericClient,
    mut messages: Vec<Message>,
) -> Result<Vec<Message>, DbError> {
    let ids: Vec<MessageId> = messages.iter().map(|m| m.id).collect();
    let mut reactions = for_messages(c, &ids).await?;
    for m in &mut messages {
        m.reactions = reactions.remove(&m.id).unwrap_or_default();
    }
    Ok(messages)
}
