use super::*;
use crate::config::Env;
use std::time::{Duration, Instant};

fn pusher_at(port: u16, timeout_ms: &str) -> Pusher {
    pusher_with_scheme("http", port, timeout_ms)
}

fn pusher_with_scheme(scheme: &str, port: u16, timeout_ms: &str) -> Pusher {
    let port = port.to_string();
    let env = Env::from_pairs([
        ("PUSHER_APP_ID", "1"),
        ("PUSHER_SECRET", "secret"),
        ("NEXT_PUBLIC_PUSHER_KEY", "key"),
        ("PUSHER_HOST", "127.0.0.1"),
        ("PUSHER_PORT", port.as_str()),
        ("PUSHER_SCHEME", scheme),
        ("PUSHER_TIMEOUT_MS", timeout_ms),
    ]);
    Pusher::new(PusherConfig::from_env(&env).unwrap())
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ch(name: &str) -> ChannelName {
    ChannelName::parse(name).unwrap()
}

#[test]
fn the_client_is_shareable_across_tasks() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<Pusher>();
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_io() {
    let pusher = pusher_at(closed_port(), "2000");
    let many: Vec<_> = (0..101).map(|i| ch(&format!("c{i}"))).collect();
    let event = EventName::parse("e").unwrap();
    let err = pusher.trigger(&many, &event, "{}", None).await.unwrap_err();
    assert!(matches!(err, PusherError::TooManyChannels), "{err:?}");
    assert!(err.is_invalid_input());
    let err = pusher.terminate_user_connections("a/b").await.unwrap_err();
    assert!(matches!(err, PusherError::InvalidUserId(_)), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let pusher = pusher_at(closed_port(), "2000");
    let event = EventName::parse("e").unwrap();
    let err = pusher
        .trigger(&[ch("a")], &event, "{}", None)
        .await
        .unwrap_err();
    assert!(matches!(err, PusherError::Transport(_)), "{err:?}");
    assert!(!err.is_invalid_input());
}

#[tokio::test]
async fn a_silent_server_hits_the_total_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and reads, never answers.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let pusher = pusher_at(port, "200");
    let started = Instant::now();
    let err = pusher.channels(None, None).await.unwrap_err();
    assert!(matches!(err, PusherError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn presence_channels_need_the_member() {
    let pusher = pusher_at(closed_port(), "2000");
    let socket = SocketId::parse("1.2").unwrap();
    let err = pusher
        .authorize_channel(&socket, &ch("presence-x"), None)
        .unwrap_err();
    assert!(matches!(err, PusherError::PresenceMemberRequired(_)));
    let member = PresenceMember {
        user_id: "u".into(),
        user_info: serde_json::json!({"name": "U"}),
    };
    let auth = pusher
        .authorize_channel(&socket, &ch("presence-x"), Some(&member))
        .unwrap();
    assert_eq!(
        auth.channel_data.as_deref(),
        Some(r#"{"user_id":"u","user_info":{"name":"U"}}"#)
    );
    assert!(
        pusher
            .channel_shared_secret(&ch("private-encrypted-x"))
            .is_err()
    );
}

#[tokio::test]
async fn https_goes_through_our_tls_config_without_panicking() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Not a TLS server: the handshake fails and must surface as an error.
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(stream);
        }
    });
    let pusher = pusher_with_scheme("https", port, "2000");
    let err = pusher.channels(None, None).await.unwrap_err();
    assert!(matches!(err, PusherError::Transport(_)), "{err:?}");
}
