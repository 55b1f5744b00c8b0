//! Messages: sending (seq, idempotency, outbox in one statement), history pages, lookup.

pub use super::history::{HISTORY_AFTER_SQL, HISTORY_BEFORE_SQL, HistoryPage, Page, history};
pub use super::send::{Inserted, NewMessage, SEND_SQL, insert};

use super::DbError;
use super::reactions::for_messages;
use super::rows::{self, message_columns};
use crate::domain::{Message, MessageId};
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

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
