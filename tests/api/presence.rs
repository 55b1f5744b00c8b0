//! Presence that is truthful and private: per conversation, expiring, and
//! reconciled by the cron with Pusher's own member lists.

use crate::support::TestApp;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `member` as `viewer` sees them in conversation `c`.
async fn seen(t: &TestApp, viewer: &str, c: i64, member: &str) -> Value {
    let (s, list) = t.get("/api/conversations", Some(viewer)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let conv = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == c)
        .unwrap_or_else(|| panic!("{viewer} does not list {c}: {list}"))
        .clone();
    conv["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == member)
        .unwrap()
        .clone()
}

async fn wait_online(t: &TestApp, viewer: &str, c: i64, member: &str, online: bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if seen(t, viewer, c, member).await["online"] == online {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{member} never showed online={online} to {viewer} in {c}; sockudo log:\n{}",
        t.sockudo.log_tail()
    );
}

/// A signed webhook, as Pusher would send it.
async fn webhook(t: &TestApp, name: &str, channel: &str, user: &str) {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let body =
        json!({"time_ms": now_ms, "events": [{"name": name, "channel": channel, "user_id": user}]})
            .to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(t.sockudo.secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let resp = t
        .http
        .post(format!("{}/api/pusher/webhook", t.base))
        .header("content-type", "application/json")
        .header("x-pusher-key", &t.sockudo.key)
        .header(
            "x-pusher-signature",
            hex::encode(mac.finalize().into_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_member_is_online_only_in_the_conversation_whose_presence_channel_they_joined() {
    let t = TestApp::start().await;
    let with_alice = t.conversation("u_alice", "u_bob").await;
    let with_eve = t.conversation("u_eve", "u_bob").await;
    let _bob = t
        .subscriber("u_bob", &format!("presence-conversation-{with_alice}"))
        .await;
    wait_online(&t, "u_alice", with_alice, "u_bob", true).await;
    assert!(seen(&t, "u_alice", with_alice, "u_bob").await["last_seen_at"].is_string());
    // Eve shares a different conversation with Bob: she learns nothing of his activity.
    let to_eve = seen(&t, "u_eve", with_eve, "u_bob").await;
    assert_eq!(to_eve["online"], false, "{to_eve}");
    assert!(to_eve["last_seen_at"].is_null(), "{to_eve}");
}

#[tokio::test]
async fn online_expires_without_confirmation_and_the_cron_confirms_who_is_really_there() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let _bob = t
        .subscriber("u_bob", &format!("presence-conversation-{c}"))
        .await;
    wait_online(&t, "u_alice", c, "u_bob", true).await;
    // Nothing confirmed Bob for an hour (past the 5-minute TTL): no longer shown online.
    t.db.raw()
        .await
        .execute(
            "UPDATE presence_memberships SET confirmed_at = now() - interval '1 hour'",
            &[],
        )
        .await
        .unwrap();
    let bob = seen(&t, "u_alice", c, "u_bob").await;
    assert_eq!(bob["online"], false, "{bob}");
    assert!(bob["last_seen_at"].is_string());
    // Pusher still lists Bob in the channel: the cron's reconciliation confirms him.
    let (s, b) = t.cron().await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(seen(&t, "u_alice", c, "u_bob").await["online"], true);
}

#[tokio::test]
async fn the_cron_corrects_a_missed_member_removed() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("presence-conversation-{c}");
    // A member_added whose member_removed never arrived: nobody is in the channel.
    webhook(&t, "member_added", &channel, "u_bob").await;
    assert_eq!(seen(&t, "u_alice", c, "u_bob").await["online"], true);
    let (s, _) = t.cron().await;
    assert_eq!(s, StatusCode::OK);
    let bob = seen(&t, "u_alice", c, "u_bob").await;
    assert_eq!(bob["online"], false, "{bob}");
    assert!(bob["last_seen_at"].is_string());
    assert_eq!(
        t.sql_one_i64("SELECT count(*) FROM users WHERE id = 'u_bob' AND online")
            .await,
        0
    );
}

/// A separate stack: Sockudo 5.2 answers a repeated channel list from a short-lived cache.
#[tokio::test]
async fn the_cron_corrects_a_missed_member_added() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("presence-conversation-{c}");
    // Alice really joins, but her member_added was lost (the database was down).
    let _alice = t.subscriber("u_alice", &channel).await;
    wait_online(&t, "u_bob", c, "u_alice", true).await;
    t.db.raw()
        .await
        .execute(
            "DELETE FROM presence_memberships WHERE user_id = 'u_alice'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(seen(&t, "u_bob", c, "u_alice").await["online"], false);
    let (s, _) = t.cron().await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(seen(&t, "u_bob", c, "u_alice").await["online"], true);
}
