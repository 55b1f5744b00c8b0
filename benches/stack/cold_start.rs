//! Cold start of each function binary: process spawn until the first 200
//! (`/_vercel/ping`, answered by the Vercel runtime itself, before our
//! handler), and until the first database-backed 2xx (a fresh process, so a
//! new database connection is included). Median of `runs` each.

use crate::http::{Conn, FORM, JSON, Req};
use crate::seed::Pair;
use crate::stack::{FUNCTIONS, Stack, free_port};
use crate::stats::median;
use anyhow::{Context, bail};
use messaging::pusher::sign::Token;
use messaging::pusher::webhook;
use serde::Serialize;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Serialize)]
pub struct ColdStart {
    pub name: String,
    /// Median spawn -> first 200 from /_vercel/ping, ms.
    pub ping_ms: f64,
    /// Median spawn -> first database-backed 2xx, ms.
    pub db_ms: f64,
    pub db_request: String,
    pub ping_all_ms: Vec<f64>,
    pub db_all_ms: Vec<f64>,
}

/// What each function is asked for its first database-backed answer.
pub struct Requests {
    pub pair: Pair,
    pub message_id: i64,
}

impl Requests {
    pub fn for_function(&self, stack: &Stack, name: &str) -> anyhow::Result<(Req, u16)> {
        let u = &self.pair.sender;
        let c = self.pair.conversation;
        let token = stack.token(&u.id, &u.name, &u.role)?;
        let post = |path: &str, body: String| Req::post(path, JSON, body).bearer(&token);
        Ok(match name {
            "messages_send" => (
                post(
                    "/api/messages/send",
                    format!(r#"{{"conversation_id":{c},"body":"cold"}}"#),
                )?,
                201,
            ),
            "messages_history" => (
                Req::get(format!("/api/messages/history?conversation_id={c}")).bearer(&token)?,
                200,
            ),
            "pusher_auth" => {
                let form = format!("socket_id=1234.5678&channel_name=private-conversation-{c}");
                (
                    Req::post("/api/pusher/auth", FORM, form).bearer(&token)?,
                    200,
                )
            }
            "conversations" => (Req::get("/api/conversations").bearer(&token)?, 200),
            "cron_redeliver" => {
                let secret = std::env::var("CRON_SECRET").context("CRON_SECRET")?;
                (Req::get("/api/cron/redeliver").bearer(&secret)?, 200)
            }
            "messages_read" => (
                post(
                    "/api/messages/read",
                    format!(r#"{{"conversation_id":{c},"seq":1}}"#),
                )?,
                200,
            ),
            "messages_typing" => (
                post(
                    "/api/messages/typing",
                    format!(r#"{{"conversation_id":{c}}}"#),
                )?,
                202,
            ),
            "messages_react" => {
                let body = format!(
                    r#"{{"message_id":{},"emoji":"+1","action":"add"}}"#,
                    self.message_id
                );
                (post("/api/messages/react", body)?, 200)
            }
            "pusher_webhook" => (webhook_request(stack, c, &u.id)?, 200),
            other => bail!("no database-backed request for {other}"),
        })
    }
}

/// A signed, fresh `member_added` delivery (the handler writes presence rows).
fn webhook_request(stack: &Stack, conversation: i64, user: &str) -> anyhow::Result<Req> {
    let secret = std::env::var("PUSHER_SECRET").context("PUSHER_SECRET")?;
    let token = Token::new(stack.config.pusher.key(), secret);
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    let body = format!(
        r#"{{"time_ms":{now_ms},"events":[{{"name":"member_added","channel":"presence-conversation-{conversation}","user_id":"{user}"}}]}}"#
    );
    let signature = webhook::signature(&token, body.as_bytes());
    Req::post("/api/pusher/webhook", JSON, body)
        .header("x-pusher-key", stack.config.pusher.key())?
        .header("x-pusher-signature", &signature)
}

/// Polls the port without yielding to the runtime's 1 ms timer (blocking
/// thread, 100 µs steps), so the measurement is not rounded up.
pub async fn connect_when_listening(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpStream> {
    let stream = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match std::net::TcpStream::connect(addr) {
                Ok(s) => return Ok(s),
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_micros(100))
                }
                Err(e) => return Err(anyhow::anyhow!("{addr} never listened: {e}")),
            }
        }
    })
    .await??;
    stream.set_nonblocking(true)?;
    Ok(tokio::net::TcpStream::from_std(stream)?)
}

/// Spawn -> `req` answered with `expected`, in one fresh process.
async fn once(stack: &Stack, name: &str, req: &Req, expected: u16) -> anyhow::Result<Duration> {
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let t0 = Instant::now();
    let _f = stack.spawn(name, port)?;
    let stream = connect_when_listening(addr).await?;
    let mut conn = Conn::over(stream, addr).await?;
    conn.send(req).await?.expect(expected, name)?;
    Ok(t0.elapsed())
}

pub async fn run(
    stack: &Stack,
    requests: &Requests,
    runs: usize,
) -> anyhow::Result<Vec<ColdStart>> {
    let ping = Req::get("/_vercel/ping");
    let mut out = Vec::new();
    for name in FUNCTIONS {
        eprintln!("bench: cold start of {name}");
        let (mut pings, mut dbs) = (Vec::new(), Vec::new());
        let mut db_request = String::new();
        for _ in 0..runs {
            pings.push(once(stack, name, &ping, 200).await?);
            // Built per run: the webhook's time_ms must be fresh.
            let (req, expected) = requests.for_function(stack, name)?;
            db_request = req.describe();
            dbs.push(once(stack, name, &req, expected).await?);
        }
        let ms = |d: &Duration| d.as_secs_f64() * 1e3;
        out.push(ColdStart {
            name: name.to_owned(),
            ping_ms: ms(&median(&pings)),
            db_ms: ms(&median(&dbs)),
            db_request,
            ping_all_ms: pings.iter().map(ms).collect(),
            db_all_ms: dbs.iter().map(ms).collect(),
        });
    }
    Ok(out)
}

/// The database part of a cold start's floor: a new connection plus `SELECT 1`, median of `runs`.
pub async fn fresh_connection_ms(url: &str, runs: usize) -> anyhow::Result<f64> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t0 = Instant::now();
        let client = crate::seed::connect(url).await?;
        client.query_typed_one("SELECT 1", &[]).await?;
        samples.push(t0.elapsed());
    }
    Ok(median(&samples).as_secs_f64() * 1e3)
}
