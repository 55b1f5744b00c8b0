//! History pages on the big conversation (newest, middle `before=`,
//! catch-up `after=`) and channel auth, one request at a time, each next to
//! its floor: an HTTP round trip to the same function plus the essential
//! query issued directly (the page query; the membership check).

use crate::args::Plan;
use crate::floor::{self, HttpRtt};
use crate::http::{Conn, FORM, Req};
use crate::load::{self, Op, Window};
use crate::seed::Seeded;
use crate::stack::{Function, Stack};
use crate::stats::Summary;
use deadpool_postgres::Pool;
use messaging::db::messages::{HISTORY_AFTER_SQL, HISTORY_BEFORE_SQL};
use serde::Serialize;
use tokio_postgres::types::Type;

const PAGE: i64 = 50;
const MEMBER_SQL: &str = "SELECT EXISTS (SELECT 1 FROM conversation_members
                          WHERE conversation_id = $1 AND user_id = $2)";

#[derive(Debug, Serialize)]
pub struct ReadRun {
    pub name: String,
    pub query: String,
    pub route: Summary,
    pub floor: Summary,
}

/// A GET or POST that must answer 200.
struct Call {
    conn: Conn,
    req: Req,
}

impl Op for Call {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.conn
            .send(&self.req)
            .await?
            .expect(200, self.req.path())?;
        Ok(())
    }
}

/// HTTP round trip, then one query with `(int8, int8|text, int8?, text?)` parameters.
struct Floor {
    http: HttpRtt,
    pool: Pool,
    sql: &'static str,
    conversation: i64,
    second: Param,
}

enum Param {
    /// The page bound, the row count fetched (limit + 1) and the reader.
    Page(i64, i64, String),
    User(String),
}

impl Op for Floor {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.http.call().await?;
        let client = self.pool.get().await?;
        match &self.second {
            Param::Page(bound, rows, user) => {
                client
                    .query_typed(
                        self.sql,
                        &[
                            (&self.conversation, Type::INT8),
                            (bound, Type::INT8),
                            (rows, Type::INT8),
                            (user, Type::TEXT),
                        ],
                    )
                    .await?;
            }
            Param::User(user) => {
                client
                    .query_typed_one(
                        self.sql,
                        &[(&self.conversation, Type::INT8), (user, Type::TEXT)],
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

async fn measure(
    f: &Function,
    req: Req,
    floor: Floor,
    window: Window,
    name: &str,
) -> anyhow::Result<ReadRun> {
    eprintln!("bench: {name}");
    let query = req.path().to_owned();
    let route = load::run(
        vec![Call {
            conn: Conn::open(f.addr).await?,
            req,
        }],
        window,
    )
    .await?;
    let floor = load::run(vec![floor], window).await?;
    Ok(ReadRun {
        name: name.to_owned(),
        query,
        route,
        floor,
    })
}

pub async fn run(
    stack: &Stack,
    plan: &Plan,
    history_fn: &Function,
    auth_fn: &Function,
    seeded: &Seeded,
) -> anyhow::Result<Vec<ReadRun>> {
    let pool = floor::pool(&stack.config.database_url, 1)?;
    let window = Window {
        warmup: plan.warmup,
        measure: plan.read,
    };
    let h = &seeded.history;
    let u = &h.receiver;
    let token = stack.token(&u.id, &u.name, &u.role)?;
    let n = seeded.history_rows;
    // Newest page; a page from the middle; catching up from 1,000 messages back.
    let pages = [
        (
            "history newest",
            String::new(),
            HISTORY_BEFORE_SQL,
            i64::MAX,
        ),
        (
            "history middle",
            format!("&before={}", n / 2),
            HISTORY_BEFORE_SQL,
            n / 2,
        ),
        (
            "history catch-up",
            format!("&after={}", n - 1000),
            HISTORY_AFTER_SQL,
            n - 1000,
        ),
    ];
    let mut runs = Vec::new();
    for (name, extra, sql, bound) in pages {
        let path = format!(
            "/api/messages/history?conversation_id={}&limit={PAGE}{extra}",
            h.conversation
        );
        let floor = Floor {
            http: HttpRtt::open(history_fn.addr).await?,
            pool: pool.clone(),
            sql,
            conversation: h.conversation,
            second: Param::Page(bound, PAGE + 1, u.id.clone()),
        };
        let req = Req::get(path).bearer(&token)?;
        runs.push(measure(history_fn, req, floor, window, name).await?);
    }
    let channel = format!("private-conversation-{}", h.conversation);
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("socket_id", "123456.7890123")
        .append_pair("channel_name", &channel)
        .finish();
    let floor = Floor {
        http: HttpRtt::open(auth_fn.addr).await?,
        pool,
        sql: MEMBER_SQL,
        conversation: h.conversation,
        second: Param::User(u.id.clone()),
    };
    let req = Req::post("/api/pusher/auth", FORM, form).bearer(&token)?;
    runs.push(measure(auth_fn, req, floor, window, "channel auth").await?);
    Ok(runs)
}
