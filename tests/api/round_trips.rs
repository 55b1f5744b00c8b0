//! Database round trips per route, counted by a proxy in front of Postgres
//! (`db_counter`): warm (the caller's session already seen, a pooled
//! connection open), on the response path, with every rate limit on.
//! The send's delivered mark runs after the answer (a spawned task) and may
//! reach Postgres before the answer reaches the test: it is counted apart.

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

    let mut rows: Vec<(&str, usize, StatusCode, Vec<Flight>)> = Vec::new();
    let send = json!({"conversation_id": c, "body": "counted", "client_message_id": "rt-1"});
    let (s, _, f) = count(
        &t,
        t.post("/api/messages/send", Some("u_alice"), send.clone()),
    )
    .await;
    rows.push(("send (new)", 1, s, f));
    let (s, _, f) = count(&t, t.post("/api/messages/send", Some("u_alice"), send)).await;
    rows.push(("send (replay)", 1, s, f));
    let path = format!("/api/messages/history?conversation_id={c}");
    let (s, _, f) = count(&t, t.get(&path, Some("u_bob"))).await;
    rows.push(("history", 1, s, f));
    let channel = format!("private-conversation-{c}");
    let (s, _, f) = count(&t, async {
        crate::support::read(auth("u_bob", &channel).await.expect("auth")).await
    })
    .await;
    rows.push(("channel auth (conversation)", 1, s, f));
    let (s, _, f) = count(&t, async {
        crate::support::read(auth("u_bob", "private-user-u_bob").await.expect("auth")).await
    })
    .await;
    rows.push(("channel auth (user)", 1, s, f));
    let read = json!({"conversation_id": c, "seq": 2});
    let (s, _, f) = count(&t, t.post("/api/messages/read", Some("u_bob"), read)).await;
    rows.push(("read", 1, s, f));
    let typing = json!({"conversation_id": other});
    let (s, _, f) = count(&t, t.post("/api/messages/typing", Some("u_alice"), typing)).await;
    rows.push(("typing", 1, s, f));
    let react = |action: &str| json!({"message_id": message_id, "emoji": "👍", "action": action});
    let (s, _, f) = count(
        &t,
        t.post("/api/messages/react", Some("u_bob"), react("add")),
    )
    .await;
    rows.push(("react (add)", 1, s, f));
    let (s, _, f) = count(
        &t,
        t.post("/api/messages/react", Some("u_bob"), react("remove")),
    )
    .await;
    rows.push(("react (remove)", 1, s, f));
    let (s, _, f) = count(&t, t.get("/api/conversations", Some("u_bob"))).await;
    rows.push(("conversation list", 1, s, f));

    eprintln!("database round trips per route (warm, response path):");
    let mut wrong = Vec::new();
    for (route, expected, status, flights) in &rows {
        assert!(status.is_success(), "{route}: {status}");
        let (after, path): (Vec<&Flight>, Vec<&Flight>) =
            flights.iter().partition(|f| is_delivery_mark(f));
        let labels: Vec<&str> = path.iter().map(|f| f.label.as_str()).collect();
        eprintln!(
            "  {route:<28} {:>2}  {labels:?}{}",
            path.len(),
            if after.is_empty() {
                ""
            } else {
                " (+ the mark after the answer)"
            }
        );
        if path.len() != *expected {
            wrong.push(format!(
                "{route}: {} round trips, want {expected}",
                path.len()
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The first send's mark lands after its answer.
    let marked = "SELECT count(*) FROM outbox WHERE delivered_at IS NULL";
    let started = std::time::Instant::now();
    while t.sql_one_i64(marked).await > 0 {
        assert!(
            started.elapsed().as_secs() < 5,
            "the send's mark never landed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The send's outbox mark (`db::outbox::mark_delivered`), run after the answer.
fn is_delivery_mark(f: &Flight) -> bool {
    f.label.starts_with("UPDATE outbox SET delivered_at")
}

#[tokio::test]
async fn with_no_limit_the_callers_own_channel_is_signed_without_the_database() {
    let t = TestApp::start_with(Tweaks {
        count_db_round_trips: true,
        adjust: Some(Box::new(|config| {
            config.limits = messaging::limits::Limits::uniform(None);
        })),
        ..Tweaks::default()
    })
    .await;
    t.login("u_alice").await;
    let auth = || {
        t.http
            .post(format!("{}/api/pusher/auth", t.base))
            .bearer_auth(t.token("u_alice"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form("123.456", "private-user-u_alice"))
            .send()
    };
    let (s, body, flights) = count(&t, async {
        crate::support::read(auth().await.expect("auth")).await
    })
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body["auth"].is_string(), "{body}");
    assert_eq!(flights, [], "no database round trip");
}
