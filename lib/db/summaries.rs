//! Conversation summaries: what `GET /api/conversations` shows one member, a page at a
//! time, read in two pipelined statements plus the last messages' reactions.
//!
//! What a member sees of the others is scoped to the conversation: `online` and
//! `last_seen_at` come from that conversation's presence channel only, so sharing
//! one conversation with someone never reveals their activity elsewhere.

use super::DbError;
use super::rows::{self, message_columns, reactions_column};
use crate::domain::{ConversationId, ListCursor, Member, Message, Seq, UserId};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;
use time::OffsetDateTime;
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

/// A conversation as `GET /api/conversations` shows it to one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    /// A group's title as its owner set it; for a two-person conversation, the other person's name.
    pub title: Option<String>,
    pub members: Vec<Member>,
    pub last_message: Option<Message>,
    pub last_read_seq: Seq,
    pub unread_count: i64,
    /// The caller muted this conversation.
    pub muted: bool,
}

/// One conversation, or a page of them after a cursor.
#[derive(Debug, Clone, Copy)]
pub enum Selection {
    One(ConversationId),
    Page {
        after: Option<ListCursor>,
        limit: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryPage {
    pub conversations: Vec<ConversationSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<ListCursor>,
}

/// The caller's conversations on this page, by last activity (last message, else creation).
/// `$2` one conversation; `$3, $4` the cursor (exclusive); `$5` the page size.
macro_rules! page {
    () => {
        "WITH page AS (
             SELECT c.id, coalesce(c.last_message_at, c.created_at) AS active_at
             FROM conversation_members mine JOIN conversations c ON c.id = mine.conversation_id
             WHERE mine.user_id = $1 AND ($2 IS NULL OR c.id = $2)
               AND ($3 IS NULL OR (coalesce(c.last_message_at, c.created_at), c.id) < ($3, $4))
             ORDER BY active_at DESC, c.id DESC
             LIMIT $5) "
    };
}

/// The page's conversations with their last message. A two-person conversation's
/// title is the other person's name (their id when they have none), whoever created it.
const CONVERSATIONS: &str = concat!(
    page!(),
    "SELECT c.id AS conversation_id, page.active_at, c.last_seq, mine.last_read_seq,
            mine.muted_at IS NOT NULL AS muted,
            CASE WHEN c.direct_key IS NULL THEN c.title
                 ELSE (SELECT coalesce(o.name, o.id) FROM users o
                       WHERE o.id = CASE WHEN split_part(c.direct_key, '|', 1) = $1
                                         THEN split_part(c.direct_key, '|', 2)
                                         ELSE split_part(c.direct_key, '|', 1) END)
            END AS title, ",
    message_columns!(),
    ", ",
    reactions_column!(),
    " FROM page
     JOIN conversations c ON c.id = page.id
     JOIN conversation_members mine ON mine.conversation_id = c.id AND mine.user_id = $1
     LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
     LEFT JOIN users u ON u.id = m.sender_id
     ORDER BY page.active_at DESC, c.id DESC"
);

/// Everyone in the page's conversations, in the order they joined, with their presence in
/// that conversation's channel: online while present and confirmed within the TTL (`$6`
/// seconds); last seen when they left, or the last time they were confirmed present.
macro_rules! members_of_page {
    () => {
        " SELECT cm.conversation_id, u.id, u.name, u.role, cm.last_read_seq,
                 coalesce(p.present AND p.confirmed_at > now() - $6 * interval '1 second', false)
                     AS online,
                 CASE WHEN p.present
                      THEN greatest('epoch'::timestamptz + p.updated_ms * interval '1 millisecond',
                                    p.confirmed_at)
                      ELSE 'epoch'::timestamptz + p.updated_ms * interval '1 millisecond'
                 END AS last_seen_at
          FROM page
          JOIN conversation_members cm ON cm.conversation_id = page.id
          JOIN users u ON u.id = cm.user_id
          LEFT JOIN presence_memberships p
                 ON p.user_id = cm.user_id
                AND p.channel = 'presence-conversation-' || cm.conversation_id
          ORDER BY cm.conversation_id, cm.joined_at, cm.user_id"
    };
}

const MEMBERS: &str = concat!(page!(), members_of_page!());

/// The same, for conversations named in `$7` (when a conversation's activity changed
/// between the two pipelined statements and its members were on no page).
const MEMBERS_OF: &str = concat!(
    "WITH page AS (SELECT unnest($7::int8[]) AS id)",
    members_of_page!()
);

/// Summaries of the user's conversations (or just one), most recent activity first.
pub(crate) async fn load(
    c: &impl GenericClient,
    user: &UserId,
    selection: Selection,
    presence_ttl: Duration,
) -> Result<SummaryPage, DbError> {
    let (only, after, limit) = match selection {
        Selection::One(id) => (Some(id.get()), None, 1),
        Selection::Page { after, limit } => (None, after, limit),
    };
    let (after_at, after_id) = (after.map(|a| a.active_at), after.map(|a| a.id));
    // One more than asked: whether another page exists.
    let fetch = limit + 1;
    let ttl = presence_ttl.as_secs_f64();
    let user = user.as_str();
    let mut missing: Vec<i64> = Vec::new();
    let params: [(&(dyn ToSql + Sync), Type); 7] = [
        (&user, Type::TEXT),
        (&only, Type::INT8),
        (&after_at, Type::TIMESTAMPTZ),
        (&after_id, Type::INT8),
        (&fetch, Type::INT8),
        (&ttl, Type::FLOAT8),
        (&missing, Type::INT8_ARRAY),
    ];
    // Two independent statements, pipelined on the one connection: one round trip.
    let (mut conversations, members) = tokio::try_join!(
        c.query_typed(CONVERSATIONS, &params),
        c.query_typed(MEMBERS, &params),
    )?;
    let more = (conversations.len() as i64) > limit;
    conversations.truncate(usize::try_from(limit).unwrap_or(0));
    let mut by_conversation: HashMap<i64, Vec<Member>> = HashMap::new();
    for row in &members {
        by_conversation
            .entry(row.try_get("conversation_id")?)
            .or_default()
            .push(rows::member(row)?);
    }
    for row in &conversations {
        let id: i64 = row.try_get("conversation_id")?;
        if !by_conversation.contains_key(&id) {
            missing.push(id);
        }
    }
    if !missing.is_empty() {
        let params: [(&(dyn ToSql + Sync), Type); 7] = [
            (&user, Type::TEXT),
            (&only, Type::INT8),
            (&after_at, Type::TIMESTAMPTZ),
            (&after_id, Type::INT8),
            (&fetch, Type::INT8),
            (&ttl, Type::FLOAT8),
            (&missing, Type::INT8_ARRAY),
        ];
        for row in c.query_typed(MEMBERS_OF, &params).await? {
            by_conversation
                .entry(row.try_get("conversation_id")?)
                .or_default()
                .push(rows::member(&row)?);
        }
    }
    let mut out = Vec::with_capacity(conversations.len());
    let mut next = None;
    for row in &conversations {
        let id: i64 = row.try_get("conversation_id")?;
        let last_message = match row.try_get::<_, Option<i64>>("id")? {
            Some(_) => Some(rows::message_with_reactions(row)?),
            None => None,
        };
        let last_seq: i64 = row.try_get("last_seq")?;
        let last_read: i64 = row.try_get("last_read_seq")?;
        out.push(ConversationSummary {
            id: ConversationId::from_db(id),
            title: row.try_get("title")?,
            members: by_conversation.remove(&id).unwrap_or_default(),
            last_message,
            last_read_seq: Seq::from_db(last_read),
            unread_count: (last_seq - last_read).max(0),
            muted: row.try_get("muted")?,
        });
        next = more.then_some(ListCursor {
            active_at: row.try_get::<_, OffsetDateTime>("active_at")?,
            id,
        });
    }
    Ok(SummaryPage {
        conversations: out,
        next,
    })
}
