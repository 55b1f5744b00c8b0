//! Realtime delivery of sends: exclusion, truncation, and the outbox when Pusher is down.

use crate::support::{CRON_SECRET, TestApp, Tweaks, assert_error, expect_silence, read};
use crate::ws::WsClient;
use messaging::realtime::EventSet;
use messaging::realtime::cost::Room;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_senders_own_socket_is_excluded_and_everyone_else_receives() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("private-conversation-{c}");
    let mut alice = t.subscriber("u_alice", &channel).await;
    let mut alice_other_tab = t.subscriber("u_alice", &channel).await;
    let mut bob = t.subscriber("u_bob", &channel).await;
    let (s, sent) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c, "body": "hi", "socket_id": alice.socket_id.as_str()}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(bob.expect("new-message").await.data_json(), sent["message"]);
    assert_eq!(
        alice_other_tab.expect("new-message").await.data_json(),
        sent["message"]
    );
    expect_silence(&mut alice, Duration::from_millis(500)).await;
}

#[tokio::test]
async fn events_over_10000_bytes_go_out_truncated_and_history_has_the_whole_message() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let body = "€".repeat(4000); // 12,000 bytes of UTF-8
    let sent = t.send("u_alice", c, &body).await;
    let event = bob.expect("new-message").await.data_json();
    assert_eq!(
        event,
        json!({"id": sent["message"]["id"], "conversation_id": c, "seq": 1, "truncated": true})
    );
    let (_, history) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}"),
            Some("u_bob"),
        )
        .await;
    assert_eq!(history["messages"][0]["body"], body);
    // Just under the limit goes out whole (non-ASCII is not escaped).
    let small = "€".repeat(3000);
    t.send("u_alice", c, &small).await;
    assert_eq!(bob.expect("new-message").await.data_json()["body"], small);
}

#[tokio::test]
async fn with_pusher_down_a_send_is_queued_and_the_cron_delivers_it_later() {
    let mut t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.sockudo.stop();
    let (s, queued) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c, "body": "are you there?", "client_message_id": "k1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{queued}");
    assert_eq!(queued["delivery"], "queued");
    let (s, second) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c, "body": "hello?"}),
        )
        .await;
    assert_eq!(
        (s, second["delivery"].as_str()),
        (StatusCode::CREATED, Some("queued"))
    );
    // The message is stored whatever Pusher does.
    let (_, history) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}"),
            Some("u_bob"),
        )
        .await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 2);

    t.sockudo.restart().await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let cron = |token: Option<&str>| {
        let mut req = t.http.get(format!("{}/api/cron/redeliver", t.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    let (s, b) = read(cron(None).await.unwrap()).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (s, b) = read(cron(Some("wrong")).await.unwrap()).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (s, b) = read(cron(Some(CRON_SECRET)).await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b,
        json!({"delivered": 2, "failed": 0, "dead_lettered": 0, "dead_letters": 0,
               "waiting": 0, "purged": 0, "drained": true})
    );
    // In seq order, once each, each with the sender's read position.
    for sent in [&queued, &second] {
        assert_eq!(bob.expect("new-message").await.data_json(), sent["message"]);
        assert_eq!(
            bob.expect("messages-read").await.data_json(),
            json!({"user_id": "u_alice", "last_read_seq": sent["message"]["seq"]})
        );
    }
    let (_, b) = read(cron(Some(CRON_SECRET)).await.unwrap()).await;
    assert_eq!((&b["delivered"], &b["drained"]), (&json!(0), &json!(true)));
    expect_silence(&mut bob, Duration::from_millis(300)).await;
    // A replay of the once-queued message now reports it sent, and sends nothing.
    let (s, again) = t
        .post(
            "/api/messages/send",
            Some("u_alice"),
            json!({"conversation_id": c, "body": "are you there?", "client_message_id": "k1"}),
        )
        .await;
    assert_eq!(
        (s, again["delivery"].as_str()),
        (StatusCode::OK, Some("sent"))
    );
    assert_eq!(again["message"], queued["message"]);
    expect_silence(&mut bob, Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_large_group_gets_both_events_through_separate_triggers() {
    let t = TestApp::start().await;
    let others: Vec<String> = (0..12).map(|i| format!("u_member{i}")).collect();
    t.login("u_alice").await;
    for u in &others {
        t.login(u).await;
    }
    let (s, g) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": others}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let c = g["conversation"]["id"].as_i64().unwrap();
    let mut last = t.subscriber("u_member11", "private-user-u_member11").await;
    let mut room = t
        .subscriber("u_member0", &format!("private-conversation-{c}"))
        .await;
    let sent = t.send("u_alice", c, "hello everyone").await;
    assert_eq!(
        room.expect("new-message").await.data_json(),
        sent["message"]
    );
    assert_eq!(
        room.expect("messages-read").await.data_json(),
        json!({"user_id": "u_alice", "last_read_seq": 1})
    );
    assert_eq!(
        last.expect("conversation-updated").await.data_json()["message_id"],
        sent["message"]["id"]
    );
    assert_eq!(sent["delivery"], "sent");
}

#[tokio::test]
async fn a_send_moves_the_senders_read_position_in_the_same_pusher_request() {
    let t = TestApp::start_with(Tweaks {
        pusher_delay: Some(Duration::ZERO),
        ..Tweaks::default()
    })
    .await;
    let c = t.conversation("u_alice", "u_bob").await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let requests = || t.proxy.as_ref().map_or(0, |p| p.requests());
    let before = requests();
    let sent = t.send("u_alice", c, "read by me, obviously").await;
    assert_eq!(requests() - before, 1, "one batch request per send");
    assert_eq!(bob.expect("new-message").await.data_json(), sent["message"]);
    assert_eq!(
        bob.expect("messages-read").await.data_json(),
        json!({"user_id": "u_alice", "last_read_seq": 1})
    );
    let (_, list) = t.get("/api/conversations", Some("u_bob")).await;
    let members = list["conversations"][0]["members"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let alice = members.iter().find(|m| m["id"] == "u_alice");
    assert_eq!(alice.map(|m| &m["last_read_seq"]), Some(&json!(1)));
}

#[tokio::test]
async fn with_the_lean_event_set_a_send_moves_the_senders_read_position_without_an_event() {
    let t = TestApp::start_with(Tweaks {
        pusher_delay: Some(Duration::ZERO),
        adjust: Some(Box::new(|c| c.events = EventSet::Lean)),
        ..Tweaks::default()
    })
    .await;
    let c = t.conversation("u_alice", "u_bob").await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let requests = || t.proxy.as_ref().map_or(0, |p| p.requests());
    let before = requests();
    let sent = t.send("u_alice", c, "read by me, obviously").await;
    assert_eq!(requests() - before, 1, "one batch request per send");
    assert_eq!(bob.expect("new-message").await.data_json(), sent["message"]);
    // new-message says it: a `messages-read` would cost one more Pusher
    // message per open tab.
    expect_silence(&mut bob, Duration::from_millis(300)).await;
    let (_, list) = t.get("/api/conversations", Some("u_bob")).await;
    let members = list["conversations"][0]["members"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let alice = members.iter().find(|m| m["id"] == "u_alice");
    assert_eq!(alice.map(|m| &m["last_read_seq"]), Some(&json!(1)));
}

/// Also subscribes `ws` (one browser tab) to `channel`, authorized as `user`.
async fn also_subscribe(t: &TestApp, ws: &mut WsClient, user: &str, channel: &str) {
    let (status, auth) = t.channel_auth(user, ws.socket_id.as_str(), channel).await;
    assert_eq!(status, StatusCode::OK, "{auth}");
    let data = json!({"channel": channel, "auth": auth["auth"]});
    ws.send(json!({"event": "pusher:subscribe", "data": data}))
        .await;
    ws.expect("pusher_internal:subscription_succeeded").await;
}

/// The application events (name and channel) that reach `ws` until it has
/// been quiet for 300 ms, sorted.
async fn received(ws: &mut WsClient) -> Vec<String> {
    let mut events = Vec::new();
    while let Ok(frame) = tokio::time::timeout(Duration::from_millis(300), ws.next_event()).await {
        events.push(format!(
            "{} {}",
            frame.event,
            frame.channel.unwrap_or_default()
        ));
    }
    events.sort();
    events
}

#[tokio::test]
async fn sockudo_delivers_exactly_what_the_pusher_cost_model_counts() {
    for set in [EventSet::Contract, EventSet::Lean] {
        sockudo_delivers_what_the_model_counts(set).await;
    }
}

async fn sockudo_delivers_what_the_model_counts(set: EventSet) {
    let t = TestApp::start_configured(move |c| c.events = set).await;
    let c = t.conversation("u_alice", "u_bob").await;
    let room = format!("private-conversation-{c}");
    // Two tabs as the web app has them with the conversation open (their
    // presence channel left out: nothing is published there).
    let mut alice = t.subscriber("u_alice", "private-user-u_alice").await;
    also_subscribe(&t, &mut alice, "u_alice", &room).await;
    let mut bob = t.subscriber("u_bob", "private-user-u_bob").await;
    also_subscribe(&t, &mut bob, "u_bob", &room).await;
    let model = Room::new(2, 2).unwrap();

    let send = json!({"conversation_id": c, "body": "hi", "socket_id": alice.socket_id.as_str()});
    let (s, b) = t.post("/api/messages/send", Some("u_alice"), send).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let to_bob = received(&mut bob).await;
    let mut expected = vec![
        "conversation-updated private-user-u_bob".to_owned(),
        format!("new-message {room}"),
    ];
    if set == EventSet::Contract {
        expected.insert(1, format!("messages-read {room}"));
    }
    assert_eq!(to_bob, expected, "{set:?}");
    assert_eq!(received(&mut alice).await, Vec::<String>::new());
    assert_eq!(model.send_cost(set).unwrap().delivered, to_bob.len());

    let read = json!({"conversation_id": c, "seq": 1, "socket_id": bob.socket_id.as_str()});
    let (s, b) = t.post("/api/messages/read", Some("u_bob"), read).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let to_alice = received(&mut alice).await;
    assert_eq!(to_alice, [format!("messages-read {room}")]);
    assert_eq!(received(&mut bob).await, Vec::<String>::new());
    assert_eq!(model.read_cost(set).unwrap().delivered, to_alice.len());
}
