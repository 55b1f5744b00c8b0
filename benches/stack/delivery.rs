//! End-to-end delivery: from the start of a send request until a WebSocket
//! subscriber, authorized through our auth route, has the event.

use crate::args::Plan;
use crate::http::{Conn, FORM, JSON, Req};
use crate::seed::Pair;
use crate::stack::{Function, Stack};
use crate::stats::Summary;
use crate::ws::WsClient;
use anyhow::{Context, anyhow};
use serde::Serialize;
use serde_json::Value;
use std::time::Instant;

#[derive(Debug, Serialize)]
pub struct DeliveryRun {
    /// Send request start -> the subscriber has `new-message`.
    pub delivered: Summary,
    /// Send request start -> its HTTP response, in the same runs.
    pub send_answered: Summary,
}

/// pusher-js's endpoint on our Sockudo.
fn ws_url(stack: &Stack) -> String {
    let p = &stack.config.pusher;
    let port = p.port().unwrap_or(80);
    format!(
        "ws://{}:{port}/app/{}?protocol=7&client=js&version=8.4.0&flash=false",
        p.host(),
        p.key()
    )
}

/// Connects and subscribes as pusher-js does: our auth route signs the subscription.
pub async fn subscriber(
    stack: &Stack,
    auth_fn: &Function,
    pair: &Pair,
) -> anyhow::Result<WsClient> {
    let mut ws = WsClient::connect(&ws_url(stack)).await?;
    let channel = format!("private-conversation-{}", pair.conversation);
    let u = &pair.receiver;
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("socket_id", &ws.socket_id)
        .append_pair("channel_name", &channel)
        .finish();
    let req =
        Req::post("/api/pusher/auth", FORM, form).bearer(&stack.token(&u.id, &u.name, &u.role)?)?;
    let answer = Conn::open(auth_fn.addr)
        .await?
        .send(&req)
        .await?
        .expect(200, "channel auth")?;
    let auth: Value = serde_json::from_slice(&answer.body)?;
    let signature = auth["auth"]
        .as_str()
        .ok_or_else(|| anyhow!("no auth in {}", answer.text()))?;
    ws.subscribe(&channel, signature, None).await?;
    Ok(ws)
}

/// Waits for the `new-message` carrying `client_message_id`.
async fn arrival(ws: &mut WsClient, client_message_id: &str) -> anyhow::Result<Instant> {
    let needle = format!(r#""client_message_id":"{client_message_id}""#);
    loop {
        let frame = ws.next_frame().await?;
        if frame.event == "new-message" && frame.data.contains(&needle) {
            return Ok(Instant::now());
        }
    }
}

pub async fn run(
    stack: &Stack,
    plan: &Plan,
    send_fn: &Function,
    auth_fn: &Function,
    pair: &Pair,
) -> anyhow::Result<DeliveryRun> {
    let mut ws = subscriber(stack, auth_fn, pair).await?;
    let s = &pair.sender;
    let req = Req::post("/api/messages/send", JSON, String::new())
        .bearer(&stack.token(&s.id, &s.name, &s.role)?)?;
    let mut conn = Conn::open(send_fn.addr).await?;
    let (mut delivered, mut answered) = (Vec::new(), Vec::new());
    let total = plan.delivery_warmup + plan.delivery_messages;
    for i in 0..total {
        // A unique key per run, so a rerun never replays an earlier message.
        let key = format!("d{}-{i}", std::process::id());
        let body = format!(
            r#"{{"conversation_id":{},"body":"delivery {i}","client_message_id":"{key}"}}"#,
            pair.conversation
        );
        let send = req.with_body(body);
        let t0 = Instant::now();
        let (answer, arrived) = tokio::join!(
            async {
                let a = conn.send(&send).await;
                (a, Instant::now())
            },
            arrival(&mut ws, &key)
        );
        let (answer, answered_at) = answer;
        answer?.expect(201, "send")?;
        let arrived =
            arrived.with_context(|| format!("message {i} never reached the subscriber"))?;
        if i >= plan.delivery_warmup {
            delivered.push(arrived - t0);
            answered.push(answered_at - t0);
        }
    }
    Ok(DeliveryRun {
        delivered: Summary::from_durations(&delivered),
        send_answered: Summary::from_durations(&answered),
    })
}
