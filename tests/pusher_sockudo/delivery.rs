//! Events we trigger reach subscribers we authorized: private, presence,
//! encrypted (sealed; opened with the shared secret), batches, exclusion of
//! the sender's socket, and events sent to a signed-in user.

use crate::sockudo::{Sockudo, TEST_MASTER_KEY_BASE64};
use crate::ws::WsClient;
use crate::{channel, event};
use base64::Engine;
use messaging::pusher::encryption;
use messaging::pusher::{BatchEvent, ChannelName, PresenceMember, Pusher};
use serde_json::json;

async fn subscribed(sockudo: &Sockudo, pusher: &Pusher, channels: &[&ChannelName]) -> WsClient {
    let mut client = WsClient::connect(&sockudo.ws_url()).await;
    for channel in channels {
        let member = PresenceMember {
            user_id: format!("user-{}", client.socket_id),
            user_info: json!({"name": "N"}),
        };
        let presence = channel.is_presence().then_some(&member);
        let auth = pusher
            .authorize_channel(&client.socket_id, channel, presence)
            .expect("auth");
        client.subscribe(channel, Some(&auth)).await;
    }
    client
}

#[tokio::test]
async fn private_and_presence_subscribers_receive_our_events() {
    let sockudo = Sockudo::start().await;
    let pusher = Pusher::new(sockudo.pusher_config());
    let (private, presence) = (channel("private-chat"), channel("presence-room"));
    let mut client = subscribed(&sockudo, &pusher, &[&private, &presence]).await;
    let data = r#"{"text":"héllo","n":1}"#;
    pusher
        .trigger(
            &[private.clone(), presence.clone()],
            &event("new-message"),
            data,
            None,
        )
        .await
        .expect("trigger");
    let mut seen = Vec::new();
    for _ in 0..2 {
        let frame = client.next_event().await;
        assert_eq!(frame.event, "new-message");
        assert_eq!(frame.data_text(), data, "data arrives exactly as sent");
        seen.push(frame.channel.expect("channel"));
    }
    seen.sort();
    assert_eq!(seen, ["presence-room", "private-chat"]);
}

#[tokio::test]
async fn the_excluded_socket_does_not_get_the_event() {
    let sockudo = Sockudo::start().await;
    let pusher = Pusher::new(sockudo.pusher_config());
    let room = channel("private-room");
    let mut sender = subscribed(&sockudo, &pusher, &[&room]).await;
    let mut other = subscribed(&sockudo, &pusher, &[&room]).await;
    let sender_id = sender.socket_id.clone();
    pusher
        .trigger(
            std::slice::from_ref(&room),
            &event("first"),
            "1",
            Some(&sender_id),
        )
        .await
        .expect("trigger");
    pusher
        .trigger(std::slice::from_ref(&room), &event("second"), "2", None)
        .await
        .expect("trigger");
    assert_eq!(other.next_event().await.event, "first");
    assert_eq!(other.next_event().await.event, "second");
    // Events on one channel arrive in order: had "first" reached the
    // sender, it would come before "second".
    assert_eq!(sender.next_event().await.event, "second");
}

#[tokio::test]
async fn encrypted_events_arrive_sealed_and_open_with_the_shared_secret() {
    let sockudo = Sockudo::start().await;
    let pusher =
        Pusher::new(sockudo.pusher_config_with(&sockudo.secret, Some(TEST_MASTER_KEY_BASE64)));
    let secret_room = channel("private-encrypted-room");
    let mut client = WsClient::connect(&sockudo.ws_url()).await;
    let auth = pusher
        .authorize_channel(&client.socket_id, &secret_room, None)
        .expect("auth");
    let shared = auth
        .shared_secret
        .clone()
        .expect("encrypted channels get their key");
    client.subscribe(&secret_room, Some(&auth)).await;

    let data = r#"{"text":"top secret"}"#;
    pusher
        .trigger(
            std::slice::from_ref(&secret_room),
            &event("secret"),
            data,
            None,
        )
        .await
        .expect("trigger");
    let frame = client.next_event().await;
    let sealed = frame.data_text();
    assert!(
        !sealed.contains("top secret"),
        "the server only sees ciphertext: {sealed}"
    );
    assert!(frame.data_json()["nonce"].is_string() && frame.data_json()["ciphertext"].is_string());
    let key: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(shared)
        .expect("base64 shared secret")
        .try_into()
        .expect("32 bytes");
    assert_eq!(encryption::open(&key, &sealed).as_deref(), Some(data));
}

#[tokio::test]
async fn batch_events_reach_each_channel() {
    let sockudo = Sockudo::start().await;
    let pusher =
        Pusher::new(sockudo.pusher_config_with(&sockudo.secret, Some(TEST_MASTER_KEY_BASE64)));
    let (plain, sealed) = (channel("private-plain"), channel("private-encrypted-batch"));
    let mut client = subscribed(&sockudo, &pusher, &[&plain, &sealed]).await;
    let batch = [
        BatchEvent {
            channel: plain.clone(),
            name: event("one"),
            data: r#"{"n":1}"#.into(),
            socket_id: None,
            info: None,
        },
        BatchEvent {
            channel: sealed.clone(),
            name: event("two"),
            data: r#"{"n":2}"#.into(),
            socket_id: None,
            info: None,
        },
    ];
    pusher.trigger_batch(&batch).await.expect("batch");
    let key = pusher
        .channel_shared_secret(&sealed)
        .expect("master key set");
    for _ in 0..2 {
        let frame = client.next_event().await;
        match frame.event.as_str() {
            "one" => assert_eq!(frame.data_text(), r#"{"n":1}"#),
            "two" => assert_eq!(
                encryption::open(&key, &frame.data_text()).as_deref(),
                Some(r#"{"n":2}"#)
            ),
            other => panic!("unexpected event {other}"),
        }
    }
}

#[tokio::test]
async fn a_signed_in_user_receives_send_to_user_and_can_be_disconnected() {
    let sockudo = Sockudo::start().await;
    let pusher = Pusher::new(sockudo.pusher_config());
    let mut client = WsClient::connect(&sockudo.ws_url()).await;
    let signin = pusher
        .authenticate_user(
            &client.socket_id,
            &json!({"id": "u7", "user_info": {"name": "Sev"}}),
        )
        .expect("user auth");
    client.send(json!({"event": "pusher:signin", "data": {"auth": signin.auth, "user_data": signin.user_data}})).await;
    client.expect("pusher:signin_success").await;

    pusher
        .send_to_user("u7", &event("notice"), r#"{"unread":3}"#)
        .await
        .expect("send to user");
    let frame = client.next_event().await;
    assert_eq!(
        (frame.event.as_str(), frame.data_text()),
        ("notice", r#"{"unread":3}"#.to_owned())
    );

    pusher
        .terminate_user_connections("u7")
        .await
        .expect("terminate");
    client.expect_closed().await;
}
