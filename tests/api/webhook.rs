//! POST /api/pusher/webhook: presence from signed deliveries, and from Sockudo itself.

use crate::support::{TestApp, assert_error, read};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

async fn deliver(t: &TestApp, body: &str, key: &str, signature: &str) -> (StatusCode, Value) {
    let req = t
        .http
        .post(format!("{}/api/pusher/webhook", t.base))
        .header("content-type", "application/json")
        .header("x-pusher-key", key)
        .header("x-pusher-signature", signature)
        .body(body.to_owned());
    read(req.send().await.unwrap()).await
}

async fn presence(t: &TestApp, user: &str) -> (bool, Option<String>) {
    let row = t.db.raw().await
        .query_one("SELECT online, to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') FROM users WHERE id = $1", &[&user])
        .await.unwrap();
    (row.get(0), row.get(1))
}

fn hook(time_ms: i64, name: &str, channel: &str, user: &str) -> String {
    json!({"time_ms": time_ms, "events": [{"name": name, "channel": channel, "user_id": user}]})
        .to_string()
}

#[tokio::test]
async fn signed_member_events_keep_online_and_last_seen_idempotently() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("presence-conversation-{c}");
    let (key, secret) = (t.sockudo.key.clone(), t.sockudo.secret.clone());
    let at = now_ms();
    let added = hook(at, "member_added", &channel, "u_bob");
    for _ in 0..2 {
        let (s, b) = deliver(&t, &added, &key, &sign(&secret, &added)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(presence(&t, "u_bob").await.0);
    }
    let removed = hook(at + 1000, "member_removed", &channel, "u_bob");
    deliver(&t, &removed, &key, &sign(&secret, &removed)).await;
    let after_removal = presence(&t, "u_bob").await;
    assert!(!after_removal.0);
    assert!(after_removal.1.is_some());
    // The older delivery arriving again late changes nothing.
    deliver(&t, &added, &key, &sign(&secret, &added)).await;
    assert_eq!(presence(&t, "u_bob").await, after_removal);
    let (_, list) = t.get("/api/conversations", Some("u_alice")).await;
    let bob = list["conversations"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "u_bob")
        .unwrap()
        .clone();
    assert_eq!(bob["online"], false);
    assert!(bob["last_seen_at"].as_str().unwrap().ends_with('Z'));
    // Events we do not act on still get a 2xx.
    let other = json!({"time_ms": now_ms(), "events": [{"name": "channel_occupied", "channel": "x"}, {"name": "client_event", "channel": channel, "event": "client-typing", "data": {"a": 1}}]}).to_string();
    let (s, _) = deliver(&t, &other, &key, &sign(&secret, &other)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn bad_signatures_wrong_keys_and_stale_deliveries_get_401_and_change_nothing() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("presence-conversation-{c}");
    let (key, secret) = (t.sockudo.key.clone(), t.sockudo.secret.clone());
    let body = hook(now_ms(), "member_added", &channel, "u_bob");
    let stale = hook(now_ms() - 6 * 60 * 1000, "member_added", &channel, "u_bob");
    let cases = [
        (body.clone(), key.clone(), sign("wrong-secret", &body)),
        (
            body.clone(),
            key.clone(),
            sign(&secret, &body).to_uppercase(),
        ),
        (body.clone(), key.clone(), "not hex at all".to_owned()),
        (body.clone(), key.clone(), String::new()),
        (body.clone(), "another-key".to_owned(), sign(&secret, &body)),
        (format!("{body} "), key.clone(), sign(&secret, &body)),
        (stale.clone(), key.clone(), sign(&secret, &stale)),
    ];
    for (body, key, signature) in cases {
        let (s, b) = deliver(&t, &body, &key, &signature).await;
        assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    assert_eq!(presence(&t, "u_bob").await, (false, None));
}

#[tokio::test]
async fn sockudos_own_webhooks_flip_online_when_a_client_joins_and_leaves() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let bob = t
        .subscriber("u_bob", &format!("presence-conversation-{c}"))
        .await;
    wait_for(&t, "u_bob", true).await;
    drop(bob);
    // Pusher and Sockudo delay member_removed by a few seconds.
    wait_for(&t, "u_bob", false).await;
}

async fn wait_for(t: &TestApp, user: &str, online: bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        if presence(t, user).await.0 == online {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{user} did not become online={online}; sockudo log:\n{}",
        t.sockudo.log_tail()
    );
}
