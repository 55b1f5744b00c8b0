//! `POST /api/conversations`: create a conversation, within the conversation
//! policy and the per-user creation quota.

use crate::app::App;
use crate::auth::CurrentUser;
use crate::db::{self, Client, GenericClient, conversations::ConversationSummary};
use crate::domain::{ConversationId, Title, UserId};
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use crate::limits::Action;
use http::StatusCode;
use serde::Serialize;

/// 1..=49 other members: 50 people at most, Pusher's presence limit is 100.
pub const MAX_OTHER_MEMBERS: usize = 49;

/// One message for "not allowed" and "no such user": the answer never tells which.
const REFUSED: &str = "you may not start a conversation with one or more of these users";

pub struct CreateRequest {
    /// Other members: the caller and repeats removed, in the order given.
    pub others: Vec<UserId>,
    /// Groups only: a two-person conversation shows each side the other's name.
    pub title: Option<Title>,
}

impl CreateRequest {
    fn parse(f: &Fields, me: &UserId) -> AppResult<Self> {
        let mut others: Vec<UserId> = Vec::new();
        for raw in f.str_array("member_ids")? {
            let id = UserId::parse("member_ids", raw)?;
            if &id != me && !others.contains(&id) {
                others.push(id);
            }
        }
        if others.is_empty() || others.len() > MAX_OTHER_MEMBERS {
            return Err(AppError::Validation(format!(
                "member_ids: must name 1 to {MAX_OTHER_MEMBERS} other users"
            )));
        }
        let title = f.opt_str("title")?.map(Title::parse).transpose()?.flatten();
        Ok(Self { others, title })
    }
}

#[derive(Serialize)]
struct CreateResponse {
    conversation: ConversationSummary,
}

/// Under the default `open` policy an unknown member is a 400 naming it (the
/// original contract). Under role rules, unknown and disallowed members get the
/// same 403, so nobody can probe which user ids exist.
async fn check_policy(
    app: &App,
    c: &impl GenericClient,
    me: &CurrentUser,
    others: &[UserId],
) -> AppResult<()> {
    let policy = &app.config.conversations.policy;
    let roles = db::users::roles(c, others).await?;
    for other in others {
        match roles.get(other) {
            None if policy.is_open() => {
                return Err(AppError::Validation(format!(
                    "member_ids: unknown user {other}"
                )));
            }
            Some(role) if policy.allows(me.role.as_deref(), role.as_deref()) => {}
            _ => return Err(AppError::Forbidden(REFUSED)),
        }
    }
    Ok(())
}

/// Counts a creation against the caller's `RATE_LIMIT_CONVERSATION_CREATE`,
/// or refuses it with 429 (a refusal is not counted).
async fn take_quota(app: &App, c: &impl GenericClient, user: &UserId) -> AppResult<()> {
    let limit = app.config.limits.get(Action::ConversationCreate);
    db::limits::take(c, user, Action::ConversationCreate, limit)
        .await?
        .into_result()
}

/// The conversation and whether it is new. An existing two-person conversation the
/// caller is in costs no quota.
async fn create(
    app: &App,
    client: &mut Client,
    me: &UserId,
    input: &CreateRequest,
) -> AppResult<(ConversationId, bool)> {
    if let [other] = input.others.as_slice() {
        if let Some(id) = db::conversations::direct_of_member(&***client, me, other).await? {
            return Ok((id, false));
        }
        take_quota(app, &***client, me).await?;
        let (id, created) = db::conversations::find_or_create_direct(client, me, other).await?;
        if !created {
            // Another request created it first, or the caller rejoined it: nothing new.
            db::limits::give_back(&***client, me, Action::ConversationCreate).await?;
        }
        return Ok((id, created));
    }
    take_quota(app, &***client, me).await?;
    let id =
        db::conversations::create_group(client, me, &input.others, input.title.as_ref()).await?;
    Ok((id, true))
}

/// Round trips: the session upsert (usually cached), the members' roles, the quota,
/// the creation transaction, and the summary.
pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    let (user, mut client) = crate::routes::session(app, &req).await?;
    let input = CreateRequest::parse(&req.json_fields()?, &user.id)?;
    check_policy(app, &**client, &user, &input.others).await?;
    let (id, created) = create(app, &mut client, &user.id, &input).await?;
    let ttl = app.config.conversations.presence_ttl;
    let conversation = db::conversations::summary(&**client, id, &user.id, ttl)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("conversation {id} vanished after creation"))
        })?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &CreateResponse { conversation }))
}
