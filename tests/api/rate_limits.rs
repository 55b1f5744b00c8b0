//! Rate limits per user and action: 429 `rate_limited` with `Retry-After`,
//! counted in Postgres so two server instances share one budget.

use crate::support::{TestApp, assert_error};
use messaging::app::App;
use messaging::limits::{Action, Limit, Limits};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn limits(max: u32, secs: u64) -> Limits {
    Limits::uniform(Some(Limit {
        max,
        window: Duration::from_secs(secs),
    }))
}

async fn post_raw(
    t: &TestApp,
    base: &str,
    path: &str,
    user: &str,
    body: Value,
) -> reqwest::Response {
    t.http
        .post(format!("{base}{path}"))
        .bearer_auth(t.token(user))
        .json(&body)
        .send()
        .await
        .expect("POST")
}

async fn assert_limited(resp: reqwest::Response, window_secs: u64) {
    let retry: u64 = resp
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=window_secs).contains(&retry), "Retry-After {retry}");
    let (status, body) = crate::support::read(resp).await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn the_send_over_the_limit_gets_429_with_retry_after_and_stores_nothing() {
    let t = TestApp::start_configured(move |c| c.limits = limits(3, 60)).await;
    let c = t.conversation("u_alice", "u_bob").await;
    for i in 0..3 {
        t.send("u_alice", c, &format!("m{i}")).await;
    }
    let over = post_raw(
        &t,
        &t.base,
        "/api/messages/send",
        "u_alice",
        json!({"conversation_id": c, "body": "one too many", "client_message_id": "k4"}),
    )
    .await;
    assert_limited(over, 60).await;
    assert_eq!(
        t.sql_one_i64("SELECT count(*) FROM messages").await,
        3,
        "the refused send was stored"
    );
    // Another member has a budget of their own.
    t.send("u_bob", c, "bob is not limited by alice").await;
    // The seq stayed gapless: bob's message is 4.
    assert_eq!(t.sql_one_i64("SELECT max(seq) FROM messages").await, 4);
}

#[tokio::test]
async fn a_retry_of_a_stored_message_gets_its_original_even_over_the_limit() {
    let t = TestApp::start_configured(move |c| c.limits = limits(1, 60)).await;
    let c = t.conversation("u_alice", "u_bob").await;
    let body = json!({"conversation_id": c, "body": "hi", "client_message_id": "same"});
    let (s, first) = t
        .post("/api/messages/send", Some("u_alice"), body.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, replay) = t.post("/api/messages/send", Some("u_alice"), body).await;
    assert_eq!(s, StatusCode::OK, "{replay}");
    assert_eq!(replay["message"]["id"], first["message"]["id"]);
}

#[tokio::test]
async fn a_window_that_ended_gives_a_fresh_budget() {
    let t = TestApp::start_configured(move |c| c.limits = limits(1, 1)).await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.send("u_alice", c, "first").await;
    let over = post_raw(
        &t,
        &t.base,
        "/api/messages/send",
        "u_alice",
        json!({"conversation_id": c, "body": "second"}),
    )
    .await;
    assert_limited(over, 1).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    t.send("u_alice", c, "after the window").await;
}

#[tokio::test]
async fn typing_reactions_and_channel_auth_are_limited_per_action() {
    let t = TestApp::start_configured(move |c| c.limits = limits(2, 60)).await;
    let c = t.conversation("u_alice", "u_bob").await;
    let sent = t.send("u_alice", c, "react to me").await;
    let id = sent["message"]["id"].as_i64().unwrap();
    for _ in 0..2 {
        let (s, _) = t
            .post(
                "/api/messages/typing",
                Some("u_alice"),
                json!({"conversation_id": c}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    let typing = post_raw(
        &t,
        &t.base,
        "/api/messages/typing",
        "u_alice",
        json!({"conversation_id": c}),
    )
    .await;
    assert_limited(typing, 60).await;

    // Reactions keep their own count: typing used none of it.
    for emoji in ["a", "b"] {
        let (s, b) = t
            .post(
                "/api/messages/react",
                Some("u_alice"),
                json!({"message_id": id, "emoji": emoji, "action": "add"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let react = post_raw(
        &t,
        &t.base,
        "/api/messages/react",
        "u_alice",
        json!({"message_id": id, "emoji": "c", "action": "add"}),
    )
    .await;
    assert_limited(react, 60).await;

    let channel = format!("private-conversation-{c}");
    for _ in 0..2 {
        let (s, b) = t.channel_auth("u_alice", "1.1", &channel).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, b) = t.channel_auth("u_alice", "1.1", &channel).await;
    assert_error(s, &b, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn the_limit_holds_across_two_server_instances() {
    let t = TestApp::start_configured(move |c| c.limits = limits(4, 60)).await;
    let c = t.conversation("u_alice", "u_bob").await;
    // A second instance on the same database, like a second Vercel function.
    let mut config = crate::support::config_for(&t.db.url, &t.sockudo);
    config.limits = limits(4, 60);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(messaging::server::serve_app(
        listener,
        App::new(config).unwrap(),
    ));
    let mut statuses = Vec::new();
    for i in 0..6 {
        let base = if i % 2 == 0 { &t.base } else { &second };
        let resp = post_raw(
            &t,
            base,
            "/api/messages/send",
            "u_alice",
            json!({"conversation_id": c, "body": format!("m{i}")}),
        )
        .await;
        statuses.push(resp.status().as_u16());
    }
    server.abort();
    assert_eq!(statuses, [201, 201, 201, 201, 429, 429]);
}

#[tokio::test]
async fn concurrent_sends_over_the_limit_store_exactly_the_budget() {
    let t = TestApp::start_configured(move |c| c.limits = limits(10, 60)).await;
    let c = t.conversation("u_alice", "u_bob").await;
    let calls = (0..30).map(|i| {
        t.post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c, "body": format!("m{i}")}),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|(s, _)| s.as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 10);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 20);
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM messages").await, 10);
}

#[tokio::test]
async fn a_limit_set_to_off_is_not_counted() {
    let t = TestApp::start_configured(move |c| {
        c.limits = limits(1, 60);
        c.limits.set(Action::Send, None);
    })
    .await;
    let c = t.conversation("u_alice", "u_bob").await;
    for i in 0..3 {
        t.send("u_alice", c, &format!("m{i}")).await;
    }
    assert_eq!(
        t.sql_one_i64("SELECT count(*) FROM request_limits WHERE route = 'send'")
            .await,
        0
    );
}
