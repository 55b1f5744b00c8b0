//! `GET /api/messages/history`: keyset pages of a conversation, ascending seq.

use crate::app::App;
use crate::db::{self, messages::Page};
use crate::domain::{ConversationId, Message, Seq};
use crate::error::{AppError, AppResult};
use crate::http::{Fields, Request, Response, json};
use http::{Method, StatusCode};
use serde::Serialize;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

pub struct HistoryRequest {
    pub conversation_id: ConversationId,
    pub page: Page,
    pub limit: i64,
}

impl HistoryRequest {
    fn parse(f: &Fields) -> AppResult<Self> {
        let conversation_id = ConversationId::parse("conversation_id", f.i64("conversation_id")?)?;
        let before = f
            .opt_i64("before")?
            .map(|n| Seq::parse("before", n))
            .transpose()?;
        let after = f
            .opt_i64("after")?
            .map(|n| Seq::parse("after", n))
            .transpose()?;
        let page = match (before, after) {
            (Some(_), Some(_)) => {
                return Err(AppError::Validation(
                    "before: cannot be combined with after".into(),
                ));
            }
            (Some(seq), None) => Page::Before(seq),
            (None, Some(seq)) => Page::After(seq),
            (None, None) => Page::Latest,
        };
        let limit = f.opt_i64("limit")?.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::Validation(format!(
                "limit: must be between 1 and {MAX_LIMIT}"
            )));
        }
        Ok(Self {
            conversation_id,
            page,
            limit,
        })
    }
}

#[derive(Serialize)]
struct HistoryResponse {
    messages: Vec<Message>,
    has_more: bool,
}

pub async fn handle(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::GET], "GET")?;
    let (user, client) = crate::routes::session(app, &req).await?;
    let input = HistoryRequest::parse(&req.query_fields()?)?;
    // One round trip; non-members get the same 404 as a conversation that does not exist.
    let page = db::messages::history(
        &**client,
        input.conversation_id,
        &user.id,
        input.page,
        input.limit,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(json(
        StatusCode::OK,
        &HistoryResponse {
            messages: page.messages,
            has_more: page.has_more,
        },
    ))
}
