//! Signed REST calls: accepted with the right secret, refused with 401 (and
//! Sockudo's explanation kept) with a wrong one; channel queries.

use crate::sockudo::Sockudo;
use crate::ws::WsClient;
use crate::{channel, event};
use messaging::pusher::{PresenceMember, Pusher, PusherError};
use serde_json::json;

#[tokio::test]
async fn signed_triggers_are_accepted() {
    let sockudo = Sockudo::start().await;
    let pusher = Pusher::new(sockudo.pusher_config());
    let channels = [channel("news"), channel("private-a"), channel("presence-b")];
    pusher
        .trigger(&channels, &event("created"), r#"{"id":1}"#, None)
        .await
        .expect("trigger");
    let answer = pusher
        .trigger_with_info(
            &[channel("news")],
            &event("created"),
            "{}",
            None,
            "subscription_count",
        )
        .await
        .expect("trigger with info");
    assert!(answer.channels.len() <= 1, "{answer:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_401_and_the_body_kept() {
    let sockudo = Sockudo::start().await;
    let pusher = Pusher::new(sockudo.pusher_config_with("not-the-secret", None));
    let err = pusher
        .trigger(&[channel("news")], &event("e"), "{}", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PusherError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(401));
    assert!(
        !err.body().unwrap_or_default().is_empty(),
        "the server's explanation is kept: {err:?}"
    );
    let err = pusher.channels(None, None).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err:?}");
}

#[tokio::test]
async fn channel_info_users_and_list_follow_presence_members() {
    let sockudo = Sockudo::start().await;
    let pusher = Pusher::new(sockudo.pusher_config());
    let room = channel("presence-room");
    let idle = pusher
        .channel(&channel("presence-empty"), Some("user_count"))
        .await
        .expect("channel info");
    assert!(!idle.occupied);

    let mut client = WsClient::connect(&sockudo.ws_url()).await;
    let member = PresenceMember {
        user_id: "u1".into(),
        user_info: json!({"name": "Ann"}),
    };
    let auth = pusher
        .authorize_channel(&client.socket_id, &room, Some(&member))
        .expect("auth");
    client.subscribe(&room, Some(&auth)).await;

    let info = pusher
        .channel(&room, Some("user_count"))
        .await
        .expect("channel info");
    assert!(info.occupied);
    assert_eq!(info.user_count, Some(1));
    assert_eq!(
        pusher.channel_users(&room).await.expect("users"),
        vec!["u1".to_owned()]
    );
    let list = pusher
        .channels(Some("presence-"), Some("user_count"))
        .await
        .expect("channel list");
    assert_eq!(
        list.channels
            .get("presence-room")
            .and_then(|a| a.user_count),
        Some(1),
        "{list:?}"
    );
    assert_eq!(list.channels.len(), 1, "{list:?}");
}
