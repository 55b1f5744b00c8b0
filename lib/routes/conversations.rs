//! `GET /api/conversations` (a page of the caller's list) and `POST` (create, in
//! `conversations_create`).

use crate::app::App;
use crate::db::{self, conversations::ConversationSummary, conversations::Selection};
use crate::domain::ListCursor;
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use http::{Method, StatusCode};
use serde::Serialize;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

pub struct ListRequest {
    pub after: Option<ListCursor>,
    pub limit: i64,
}

impl ListRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        let limit = f.opt_i64("limit")?.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::Validation(format!(
                "limit: must be between 1 and {MAX_LIMIT}"
            )));
        }
        let after = f
            .opt_str("cursor")?
            .filter(|c| !c.is_empty())
            .map(ListCursor::parse)
            .transpose()?;
        Ok(Self { after, limit })
    }
}

#[derive(Serialize)]
struct ListResponse {
    conversations: Vec<ConversationSummary>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    next_cursor: Option<String>,
}

pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::GET, Method::POST], "GET, POST")?;
    if req.method == Method::POST {
        return super::conversations_create::handle(app, req).await;
    }
    let (user, client) = crate::routes::session(app, &req).await?;
    let input = ListRequest::parse(&req.query_fields()?)?;
    let selection = Selection::Page {
        after: input.after,
        limit: input.limit,
    };
    let ttl = app.config.conversations.presence_ttl;
    let page = db::conversations::list_for_user(&**client, &user.id, selection, ttl).await?;
    Ok(json(
        StatusCode::OK,
        &ListResponse {
            conversations: page.conversations,
            next_cursor: page.next.map(|c| c.encode()),
        },
    ))
}
