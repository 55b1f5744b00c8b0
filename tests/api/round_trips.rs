//! Database round trips per route, counted by a proxy in front of Postgres
//! (`db_counter`): warm (the caller's session already seen, a pooled
//! connection open), on the response path, with every rate limit on.

use crate::db_counter::Flight;
use crate::support::{TestApp, Tweaks};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::future::Future;

async fn counted_stack() -> TestApp {
    TestApp::start_with(Tweaks {
        count_db_round_trips: true,
        ..Tweaks::default()
    })
    .await
}

/// Runs one request and returns its answer with the database round trips
/// made before the answer arrived.
async fn count<F: Future<Output = (StatusCode, Value)>>(
    t: &TestApp,
    call: F,
) -> (StatusCode, Value, Vec<Flight>) {
    let counter = t.db_counter.as_ref().expect("a counted stack");
    let mark = counter.mark();
    let (status, body) = call.await;
    (status, body, counter.since(mark))
}

fn form(socket_id: &str, channel: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("socket_id", socket_id)
        .append_pair("channel_name", channel)
        .finish()
}

#[tokio::test]
async fn every_route_takes_its_counted_round_trips() {
    let t = counted_stack().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let other = t.conversation("u_alice", "u_carol").await;
    // Warm: sessions seen, a connection open, one message to react to.
    let first = t.send("u_alice", c, "warm up").await;
    let message_id = first["message"]["id"].as_i64().expect("id");
    t.post(
        "/api/messages/typing",
        Some("u_alice"),
        json!({"conversation_id": c}),
    )
    .await;
    let auth = |user: &str, channel: &str| {
        t.http
            .post(format!("{}/api/pusher/auth", t.base))
            .bearer_auth(t.token(user))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form("123.456", channel))
            .send()
    };
    auth("u_alice", "private-user-u_alice").await.expect("auth");

    let mut rows: Vec<(&str, StatusCode, Vec<Flight>)> = Vec::new();
    let send = json!({"conversation_id": c, "body": "counted", "client_message_id": "rt-1"});
    let (s, _, f) = count(
        &t,
        t.post("/api/messages/send", Some("u_alice"), send.clone()),
    )
    .await;
    rows.push(("send (new)", s, f));
    let (s, _, f) = count(&t, t.post("/api/messages/send", Some("u_alice"), send)).await;
    rows.push(("send (replay)", s, f));
    let path = format!("/api/messages/history?conversation_id={c}");
    let (s, _, f) = count(&t, t.get(&path, Some("u_bob"))).await;
    rows.push(("history", s, f));
    let channel = format!("private-conversation-{c}");
    let (s, _, f) = count(&t, async {
        crate::support::read(auth("u_bob", &channel).await.expect("auth")).await
    })
    .await;
    rows.push(("channel auth (conversation)", s, f));
    let (s, _, f) = count(&t, async {
        crate::support::read(auth("u_bob", "private-user-u_bob").await.expect("auth")).await
    })
    .await;
    rows.push(("channel auth (user)", s, f));
    let read = json!({"conversation_id": c, "seq": 2});
    let (s, _, f) = count(&t, t.post("/api/messages/read", Some("u_bob"), read)).await;
    rows.push(("read", s, f));
    let typing = json!({"conversation_id": other});
    let (s, _, f) = count(&t, t.post("/api/messages/typing", Some("u_alice"), typing)).await;
    rows.push(("typing", s, f));
    let react = |action: &str| json!({"message_id": message_id, "emoji": "👍", "action": action});
    let (s, _, f) = count(
        &t,
        t.post("/api/messages/react", Some("u_bob"), react("add")),
    )
    .await;
    rows.push(("react (add)", s, f));
    let (s, _, f) = count(
        &t,
        t.post("/api/messages/react", Some("u_bob"), react("remove")),
    )
    .await;
    rows.push(("react (remove)", s, f));
    let (s, _, f) = count(&t, t.get("/api/conversations", Some("u_bob"))).await;
    rows.push(("conversation list", s, f));

    eprintln!("database round trips per route (warm, response path):");
    for (route, status, flights) in &rows {
        assert!(status.is_success(), "{route}: {status}");
        let labels: Vec<&str> = flights.iter().map(|f| f.label.as_str()).collect();
        eprintln!("  {route:<28} {:>2}  {labels:?}", flights.len());
    }
}
