//! `GET /api/conversations` (the caller's list) and `POST /api/conversations` (create).

use crate::app::App;
use crate::db::{self, conversations::ConversationSummary};
use crate::domain::{Title, UserId};
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use http::{Method, StatusCode};
use serde::Serialize;

/// 1..=49 other members: 50 people at most, Pusher's presence limit is 100.
pub const MAX_OTHER_MEMBERS: usize = 49;

pub struct CreateRequest {
    /// Other members: the caller and repeats removed, in the order given.
    pub others: Vec<UserId>,
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
struct ListResponse {
    conversations: Vec<ConversationSummary>,
}

#[derive(Serialize)]
struct CreateResponse {
    conversation: ConversationSummary,
}

pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::GET, Method::POST], "GET, POST")?;
    let (user, mut client) = crate::routes::session(app, &req).await?;
    if req.method == Method::GET {
        let conversations = db::conversations::list_for_user(&**client, &user.id).await?;
        return Ok(json(StatusCode::OK, &ListResponse { conversations }));
    }
    let input = CreateRequest::parse(&req.json_fields()?, &user.id)?;
    if let Some(unknown) = db::users::unknown_ids(&**client, &input.others)
        .await?
        .first()
    {
        return Err(AppError::Validation(format!(
            "member_ids: unknown user {unknown}"
        )));
    }
    let (id, created) = match input.others.as_slice() {
        [other] => {
            db::conversations::find_or_create_direct(
                &mut client,
                &user.id,
                other,
                input.title.as_ref(),
            )
            .await?
        }
        others => (
            db::conversations::create_group(&mut client, &user.id, others, input.title.as_ref())
                .await?,
            true,
        ),
    };
    let conversation = db::conversations::summary(&**client, id, &user.id)
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
