//! A slow Pusher and a pool of one connection: no route holds a connection
//! while Pusher answers, and a committed send is a 201 whatever happens after.

use crate::support::{CRON_SECRET, TestApp, Tweaks, read};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn slow_stack(delay_ms: u64) -> TestApp {
    TestApp::start_with(Tweaks {
        pool_size: Some(1),
        pusher_delay: Some(Duration::from_millis(delay_ms)),
        ..Tweaks::default()
    })
    .await
}

/// Runs `call` and returns its answer with how long it took.
async fn timed<F: std::future::Future<Output = (StatusCode, Value)>>(
    call: F,
) -> (StatusCode, Value, Duration) {
    let start = Instant::now();
    let (s, b) = call.await;
    (s, b, start.elapsed())
}

#[tokio::test]
async fn a_send_answers_before_its_outbox_row_is_marked_and_the_mark_lands_later() {
    let t = slow_stack(1500).await;
    let c = t.conversation("u_alice", "u_bob").await;
    let raw = t.db.raw().await;
    let first = tokio::spawn({
        let (http, base, token) = (t.http.clone(), t.base.clone(), t.token("u_alice"));
        async move {
            let req = http
                .post(format!("{base}/api/messages/send"))
                .bearer_auth(token)
                .json(&json!({"conversation_id": c, "body": "first"}));
            read(req.send().await.expect("send")).await
        }
    });
    // Once the first send has committed (it now waits for Pusher), a second
    // send takes the only connection and waits on the conversation's lock.
    while t.sql_one_i64("SELECT count(*) FROM messages").await == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    raw.batch_execute(&format!(
        "BEGIN; SELECT 1 FROM conversations WHERE id = {c} FOR UPDATE"
    ))
    .await
    .expect("lock the conversation");
    let second = tokio::spawn({
        let (http, base, token) = (t.http.clone(), t.base.clone(), t.token("u_bob"));
        async move {
            let req = http
                .post(format!("{base}/api/messages/send"))
                .bearer_auth(token)
                .json(&json!({"conversation_id": c, "body": "second"}));
            read(req.send().await.expect("send")).await
        }
    });
    // The first send's mark cannot get a connection, and the send answers anyway.
    let (s, b) = first.await.expect("first send");
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["delivery"], "sent", "Pusher accepted it: {b}");
    let unmarked = "SELECT count(*) FROM outbox WHERE delivered_at IS NULL";
    assert_eq!(
        raw.query_one(unmarked, &[])
            .await
            .expect("count")
            .get::<_, i64>(0),
        1,
        "answered before its row was marked"
    );
    raw.batch_execute("ROLLBACK").await.expect("unlock");
    let (s, b) = second.await.expect("second send");
    assert_eq!(
        (s, b["message"]["seq"].as_i64()),
        (StatusCode::CREATED, Some(2)),
        "{b}"
    );
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM messages").await, 2);
    // Both marks land after their answers, once a connection is free.
    let started = Instant::now();
    while t.sql_one_i64(unmarked).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a mark never landed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn with_one_connection_and_a_slow_pusher_typing_read_and_react_do_not_queue() {
    let delay = Duration::from_millis(1000);
    let t = slow_stack(1000).await;
    let others = ["u_bob", "u_carol", "u_dave", "u_erin"];
    let mut conversations = Vec::new();
    for other in others {
        conversations.push(t.conversation("u_alice", other).await);
    }
    // One message in each (sends already release their connection).
    let sends = conversations.iter().map(|c| t.send("u_alice", *c, "hello"));
    let messages: Vec<Value> = futures_util::future::join_all(sends).await;
    let mut calls = Vec::new();
    for (i, c) in conversations.iter().enumerate() {
        let other = others[i];
        // The same future type for every route: one list, run all at once.
        calls.push(timed(t.post(
            "/api/messages/typing",
            Some("u_alice"),
            json!({"conversation_id": c}),
        )));
        calls.push(timed(t.post(
            "/api/messages/read",
            Some(other),
            json!({"conversation_id": c, "seq": 1}),
        )));
        calls.push(timed(t.post(
            "/api/messages/react",
            Some(other),
            json!({"message_id": messages[i]["message"]["id"], "emoji": "👍", "action": "add"}),
        )));
    }
    let before = t.proxy.as_ref().map(|p| p.requests()).unwrap_or(0);
    let answers = futures_util::future::join_all(calls).await;
    let slowest = answers.iter().map(|a| a.2).max().unwrap_or_default();
    eprintln!("12 concurrent calls, pool of 1, Pusher delay {delay:?}: slowest answer {slowest:?}");
    for (s, b, _) in &answers {
        assert!(s.is_success(), "{s} {b}");
    }
    assert_eq!(
        t.proxy.as_ref().map(|p| p.requests()).unwrap_or(0) - before,
        12
    );
    // Holding the connection across Pusher would serialise them: 12 s, and 503s after 5 s.
    assert!(
        slowest < delay * 2 + Duration::from_millis(500),
        "{slowest:?}"
    );
}

#[tokio::test]
async fn the_cron_holds_no_connection_while_pusher_answers() {
    let t = slow_stack(1000).await;
    let c = t.conversation("u_alice", "u_bob").await;
    for i in 0..3 {
        t.send("u_alice", c, &format!("m{i}")).await;
    }
    let raw = t.db.raw().await;
    raw.batch_execute("UPDATE outbox SET delivered_at = NULL, attempts = 1, claimed_until = NULL")
        .await
        .expect("queue them again");
    let cron = tokio::spawn({
        let (http, base) = (t.http.clone(), t.base.clone());
        async move {
            let req = http
                .get(format!("{base}/api/cron/redeliver"))
                .bearer_auth(CRON_SECRET);
            read(req.send().await.expect("cron")).await
        }
    });
    // The run takes about 3 s (three slow triggers); history answers meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let (s, b, took) = timed(t.get(
            &format!("/api/messages/history?conversation_id={c}"),
            Some("u_bob"),
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(took < Duration::from_millis(700), "history took {took:?}");
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let (s, b) = cron.await.expect("cron");
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["delivered"], 3, "{b}");
}
