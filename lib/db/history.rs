//! History pages: keyset pagination on (conversation_id, seq), re-exported from `messages`.

use super::DbError;
use super::rows::{self, message_columns, reactions_column};
use crate::domain::{ConversationId, Message, Seq, UserId};
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

/// One page in one round trip: the membership check, the page and each
/// message's reactions. `$1` conversation, `$2` seq bound, `$3` rows (limit + 1),
/// `$4` the reader. One row with `member` false for a non-member; a member's
/// empty page is one row with NULL columns. The page itself is a scan of the
/// keyset index in the order given, newest first below a bound (Latest uses
/// i64::MAX) or oldest first above one.
macro_rules! history_sql {
    ($cmp:literal, $order:literal) => {
        concat!(
            "WITH member AS (
                 SELECT EXISTS (SELECT 1 FROM conversation_members
                                WHERE conversation_id = $1 AND user_id = $4) AS ok
             )
             SELECT member.ok AS member, page.* FROM member LEFT JOIN LATERAL (
                 SELECT ",
            message_columns!(),
            ", ",
            reactions_column!(),
            " FROM messages m JOIN users u ON u.id = m.sender_id
                 WHERE member.ok AND m.conversation_id = $1 AND m.seq ",
            $cmp,
            " $2
                 ORDER BY m.seq ",
            $order,
            " LIMIT $3
             ) page ON true
             ORDER BY page.seq ",
            $order
        )
    };
}

pub const HISTORY_BEFORE_SQL: &str = history_sql!("<", "DESC");
pub const HISTORY_AFTER_SQL: &str = history_sql!(">", "ASC");

/// One page of a conversation for `reader`; `None` when they are not a
/// member. `limit` is clamped to 1..=100; one extra row is fetched to learn
/// whether more exist.
pub async fn history(
    c: &impl GenericClient,
    conversation: ConversationId,
    reader: &UserId,
    page: Page,
    limit: i64,
) -> Result<Option<HistoryPage>, DbError> {
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
                (&reader.as_str(), Type::TEXT),
            ],
        )
        .await?;
    let member = match rows.first() {
        Some(row) => row.try_get::<_, bool>("member")?,
        None => false,
    };
    if !member {
        return Ok(None);
    }
    let mut messages = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<_, Option<i64>>("id")?.is_some() {
            messages.push(rows::message_with_reactions(row)?);
        }
    }
    let has_more = messages.len() as i64 > limit;
    messages.truncate(limit as usize);
    if !matches!(page, Page::After(_)) {
        messages.reverse();
    }
    Ok(Some(HistoryPage { messages, has_more }))
}
