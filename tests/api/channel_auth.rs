//! POST /api/pusher/auth

use crate::support::{TestApp, assert_error, read};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

fn expected_auth(t: &TestApp, to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(t.sockudo.secret.as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    format!(
        "{}:{}",
        t.sockudo.key,
        hex::encode(mac.finalize().into_bytes())
    )
}

#[tokio::test]
async fn a_member_is_authorized_for_the_private_conversation_channel() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("private-conversation-{c}");
    let (s, b) = t.channel_auth("u_alice", "123.456", &channel).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b,
        json!({"auth": expected_auth(&t, &format!("123.456:{channel}"))})
    );
}

#[tokio::test]
async fn presence_channel_data_names_the_session_user_whatever_the_request_says() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let channel = format!("presence-conversation-{c}");
    let req = t
        .http
        .post(format!("{}/api/pusher/auth", t.base))
        .bearer_auth(t.token("u_alice"))
        .form(&[
            ("socket_id", "1.2"),
            ("channel_name", channel.as_str()),
            ("channel_data", r#"{"user_id":"u_bob"}"#),
            ("user_id", "u_bob"),
        ]);
    let (s, b) = read(req.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let channel_data = b["channel_data"].as_str().unwrap();
    let parsed: Value = serde_json::from_str(channel_data).unwrap();
    assert_eq!(
        parsed,
        json!({"user_id": "u_alice", "user_info": {"name": "Alice", "role": "student"}})
    );
    assert_eq!(
        b["auth"],
        expected_auth(&t, &format!("1.2:{channel}:{channel_data}"))
    );
}

#[tokio::test]
async fn non_members_and_other_users_channels_are_forbidden() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.login("u_eve").await;
    for channel in [
        format!("private-conversation-{c}"),
        format!("presence-conversation-{c}"),
        "private-user-u_alice".to_owned(),
        "private-conversation-999999".to_owned(),
        format!("private-conversation-0{c}"),
        "private-encrypted-x".to_owned(),
        "public-room".to_owned(),
        "presence-lobby".to_owned(),
    ] {
        let (s, b) = t.channel_auth("u_eve", "1.2", &channel).await;
        assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    }
    let (s, _) = t.channel_auth("u_eve", "1.2", "private-user-u_eve").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn malformed_socket_ids_and_channel_names_are_400_and_no_session_is_401() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let ch = format!("private-conversation-{c}");
    for (socket, channel, field) in [
        ("1234", ch.as_str(), "socket_id"),
        ("1.2:", ch.as_str(), "socket_id"),
        ("1.2", "private-bad name", "channel_name"),
        ("1.2", "private-#x", "channel_name"),
        ("1.2", "", "channel_name"),
    ] {
        let (s, b) = t.channel_auth("u_alice", socket, channel).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
        assert!(
            b["error"]["message"].as_str().unwrap().contains(field),
            "{b}"
        );
    }
    let req = t
        .http
        .post(format!("{}/api/pusher/auth", t.base))
        .form(&[("socket_id", "1.2"), ("channel_name", ch.as_str())]);
    let (s, b) = read(req.send().await.unwrap()).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn json_bodies_are_accepted_too() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let (s, b) = t
        .post(
            "/api/pusher/auth",
            Some("u_bob"),
            json!({"socket_id": "9.9", "channel_name": format!("private-conversation-{c}")}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["auth"].as_str().unwrap().starts_with(&t.sockudo.key));
}

#[tokio::test]
async fn the_auth_lets_a_real_client_subscribe_and_receive() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let mut bob_user = t.subscriber("u_bob", "private-user-u_bob").await;
    let _presence = t
        .subscriber("u_bob", &format!("presence-conversation-{c}"))
        .await;
    let sent = t.send("u_alice", c, "hello bob").await;
    let event = bob.expect("new-message").await;
    assert_eq!(
        event.channel.as_deref(),
        Some(format!("private-conversation-{c}").as_str())
    );
    assert_eq!(event.data_json(), sent["message"]);
    let updated = bob_user.expect("conversation-updated").await.data_json();
    assert_eq!(
        updated,
        json!({"conversation_id": c, "message_id": sent["message"]["id"], "seq": 1, "sender_id": "u_alice"})
    );
}
