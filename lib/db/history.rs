//! History pages: keyset pagination on (conversation_id, seq), re-exported from `messages`.

use super::DbError;
use super::messages::with_reactions;
use super::rows::{self, message_columns};
use crate::domain::{ConversationId, Message, Seq};
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The newest messages.
    Latest,
    /// Just older than this seq.
    Before(Seq),
    /// Just newer than this seq (`After(Seq::ZERO)` reads from the first message).
    After(Seq),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// Ascending seq.
    pub messages: Vec<Message>,
    /// More exist beyond this page in the direction asked.
    pub has_more: bool,
}

/// Newest first below a seq bound (Latest uses i64::MAX): a backward scan of the keyset index.
pub const HISTORY_BEFORE_SQL: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m JOIN users u ON u.id = m.sender_id
     WHERE m.conversation_id = $1 AND m.seq < $2
     ORDER BY m.seq DESC
     LIMIT $3"
);

/// Oldest first above a seq: a forward scan of the keyset index.
pub const HISTORY_AFTER_SQL: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m JOIN users u ON u.id = m.sender_id
     WHERE m.conversation_id = $1 AND m.seq > $2
     ORDER BY m.seq ASC
     LIMIT $3"
);

/// One page of a conversation (the caller has checked membership). `limit` is clamped to 1..=100;
/// one extra row is fetched to learn whether more exist.
pub async fn history(
    c: &impl GenericClient,
    conversation: ConversationId,
    page: Page,
    limit: i64,
) -> Result<HistoryPage, DbError> {
    let limit = limit.clamp(1, 100);
    let (sql, bound) = match page {
        Page::Latest => (HISTORY_BEFORE_SQL, i64::MAX),
        Page::Before(seq) => (HISTORY_BEFORE_SQL, seq.get()),
        Page::After(seq) => (HISTORY_AFTER_SQL, seq.get()),
    };
    let rows = c
        .query_typed(
            sql,
            &[
                (&conversation.get(), Type::INT8),
                (&bound, Type::INT8),
                (&(limit + 1), Type::INT8),
            ],
        )
        .await?;
    let has_more = rows.len() as i64 > limit;
    let mut messages = rows
        .iter()
        .take(limit as usize)
        .map(rows::message)
        .collect::<Result<Vec<_>, _>>()?;
    if !matches!(page, Page::After(_)) {
        messages.reverse();
    }
    Ok(HistoryPage {
        messages: with_reactions(c, messages).await?,
        has_more,
    })
}
