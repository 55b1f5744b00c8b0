//! Conversations: creation (one two-person conversation per pair), the caller's list, membership.

pub use super::summaries::{ConversationSummary, Selection, SummaryPage};

use super::DbError;
use super::pool::{Client, pg};
use super::rows::{id_strs, user_id};
use crate::domain::{ConversationId, Title, UserId};
use std::time::Duration;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// `'a|b'` with the ids sorted: the same key whoever creates it.
fn direct_key(a: &UserId, b: &UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{lo}|{hi}")
}

/// The two-person conversation of `me` and `other`, created if needed (`true` when created now).
/// It has no stored title: each side sees the other's name.
/// Concurrent calls for the same pair get one conversation: the unique key
/// makes the loser's insert wait for the winner's commit and then do nothing.
/// When it exists and `me` had left it, `me` is back in (asking for it again is
/// consent); `other`, if they had left, is not added back: leaving is how a
/// person stops hearing from someone.
pub async fn find_or_create_direct(
    c: &mut Client,
    me: &UserId,
    other: &UserId,
) -> Result<(ConversationId, bool), DbError> {
    let key = direct_key(me, other);
    // A conversation found taken cannot vanish (nothing deletes them); the bound is only a guard.
    for _ in 0..3 {
        let tx = pg(c).transaction().await?;
        let inserted = tx
            .query_typed_opt(
                "INSERT INTO conversations (direct_key) VALUES ($1)
                 ON CONFLICT (direct_key) DO NOTHING
                 RETURNING id",
                &[(&key, Type::TEXT)],
            )
            .await?;
        if let Some(row) = inserted {
            let id = ConversationId::from_db(row.try_get(0)?);
            add_members(&tx, id, &[me.clone(), other.clone()]).await?;
            tx.commit().await?;
            return Ok((id, true));
        }
        let found = tx
            .query_typed_opt(
                "SELECT id FROM conversations WHERE direct_key = $1",
                &[(&key, Type::TEXT)],
            )
            .await?;
        if let Some(row) = found {
            let id = ConversationId::from_db(row.try_get(0)?);
            super::membership::rejoin(&tx, id, me).await?;
            tx.commit().await?;
            return Ok((id, false));
        }
    }
    Err(DbError::Corrupt(format!(
        "direct conversation {key} neither insertable nor found"
    )))
}

/// The pair's two-person conversation, when it exists and `me` is in it.
pub async fn direct_of_member(
    c: &impl GenericClient,
    me: &UserId,
    other: &UserId,
) -> Result<Option<ConversationId>, DbError> {
    let row = c
        .query_typed_opt(
            "SELECT c.id FROM conversations c
             JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $2
             WHERE c.direct_key = $1",
            &[
                (&direct_key(me, other), Type::TEXT),
                (&me.as_str(), Type::TEXT),
            ],
        )
        .await?;
    row.map(|r| Ok(ConversationId::from_db(r.try_get(0)?)))
        .transpose()
}

/// A new group of `me` and `others` (repeats and `me` among them are ignored), `me` its owner.
/// An unknown member id fails with [`DbError::MissingReference`].
pub async fn create_group(
    c: &mut Client,
    me: &UserId,
    others: &[UserId],
    title: Option<&Title>,
) -> Result<ConversationId, DbError> {
    let tx = pg(c).transaction().await?;
    let row = tx
        .query_typed_one(
            "INSERT INTO conversations (title) VALUES ($1) RETURNING id",
            &[(&title.map(Title::as_str), Type::TEXT)],
        )
        .await?;
    let id = ConversationId::from_db(row.try_get(0)?);
    tx.execute_typed(
        "INSERT INTO conversation_members (conversation_id, user_id, role) VALUES ($1, $2, 'owner')",
        &[(&id.get(), Type::INT8), (&me.as_str(), Type::TEXT)],
    )
    .await?;
    add_members(&tx, id, others).await?;
    tx.commit().await?;
    Ok(id)
}

async fn add_members(
    c: &impl GenericClient,
    id: ConversationId,
    members: &[UserId],
) -> Result<(), DbError> {
    c.execute_typed(
        "INSERT INTO conversation_members (conversation_id, user_id)
         SELECT $1, u FROM unnest($2) AS u
         ON CONFLICT DO NOTHING",
        &[
            (&id.get(), Type::INT8),
            (&id_strs(members), Type::TEXT_ARRAY),
        ],
    )
    .await?;
    Ok(())
}

/// Members' ids in the order they joined (empty for an unknown conversation).
pub async fn member_ids(
    c: &impl GenericClient,
    id: ConversationId,
) -> Result<Vec<UserId>, DbError> {
    let rows = c
        .query_typed(
            "SELECT user_id FROM conversation_members WHERE conversation_id = $1
             ORDER BY joined_at, user_id",
            &[(&id.get(), Type::INT8)],
        )
        .await?;
    rows.iter().map(|r| user_id(r.try_get(0)?)).collect()
}

/// A page of the user's conversations, most recent activity (last message, else creation) first.
pub async fn list_for_user(
    c: &impl GenericClient,
    user: &UserId,
    selection: Selection,
    presence_ttl: Duration,
) -> Result<SummaryPage, DbError> {
    super::summaries::load(c, user, selection, presence_ttl).await
}

/// One conversation as `user` sees it; `None` when it does not exist or they are not a member.
pub async fn summary(
    c: &impl GenericClient,
    id: ConversationId,
    user: &UserId,
    presence_ttl: Duration,
) -> Result<Option<ConversationSummary>, DbError> {
    let page = super::summaries::load(c, user, Selection::One(id), presence_ttl).await?;
    Ok(page.conversations.into_iter().next())
}
