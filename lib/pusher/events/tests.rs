use super::*;
use crate::pusher::encryption::open;

fn ch(name: &str) -> ChannelName {
    ChannelName::parse(name).unwrap()
}

fn ev(name: &str) -> EventName {
    EventName::parse(name).unwrap()
}

fn no_nonce() -> [u8; NONCE_LEN] {
    panic!("no channel here is encrypted")
}

fn plain() -> Sealer<'static> {
    Sealer {
        master_key: None,
        next_nonce: Box::leak(Box::new(no_nonce)),
    }
}

#[test]
fn trigger_body_matches_node_for_one_channel() {
    let request = trigger(
        "1001",
        &[ch("chat-room-1")],
        &ev("message-created"),
        r#"{"id":42}"#,
        TriggerOptions::default(),
        &mut plain(),
    )
    .unwrap();
    assert_eq!(request.path, "/apps/1001/events");
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"name":"message-created","data":"{\"id\":42}","channels":["chat-room-1"]}"#)
    );
}

#[test]
fn socket_id_and_info_go_in_the_body() {
    let socket = SocketId::parse("1.2").unwrap();
    let options = TriggerOptions {
        socket_id: Some(&socket),
        info: Some("user_count"),
    };
    let request = trigger(
        "1",
        &[ch("a"), ch("b")],
        &ev("e"),
        "d",
        options,
        &mut plain(),
    )
    .unwrap();
    assert_eq!(
        request.body.as_deref(),
        Some(
            r#"{"name":"e","data":"d","channels":["a","b"],"info":"user_count","socket_id":"1.2"}"#
        )
    );
    assert!(request.params.is_empty());
}

#[test]
fn trigger_limits_are_typed_errors() {
    let hundred_and_one: Vec<_> = (0..101).map(|i| ch(&format!("c{i}"))).collect();
    let e = ev("e");
    let err = |channels: &[ChannelName], data: &str| {
        trigger(
            "1",
            channels,
            &e,
            data,
            TriggerOptions::default(),
            &mut plain(),
        )
        .unwrap_err()
    };
    assert!(matches!(
        err(&hundred_and_one, "d"),
        PusherError::TooManyChannels
    ));
    assert!(matches!(err(&[], "d"), PusherError::NoChannels));
    assert!(matches!(
        err(&[ch(&"a".repeat(165))], "d"),
        PusherError::ChannelNameTooLongForTrigger(_)
    ));
    assert!(matches!(
        err(&[ch("chat"), ch("private-encrypted-x")], "d"),
        PusherError::EncryptedMultiChannel
    ));
    let big = "x".repeat(MAX_DATA_BYTES + 1);
    assert!(matches!(
        err(&[ch("a")], &big),
        PusherError::DataTooLarge { size: 10_241, .. }
    ));
    let ok = "x".repeat(MAX_DATA_BYTES);
    assert!(
        trigger(
            "1",
            &[ch("a")],
            &e,
            &ok,
            TriggerOptions::default(),
            &mut plain()
        )
        .is_ok()
    );
    assert!(matches!(
        err(&[ch("private-encrypted-x")], "d"),
        PusherError::MasterKeyNotSetForTrigger
    ));
}

#[test]
fn encrypted_events_are_sealed_per_item() {
    let master = MasterKey::from_bytes([9; 32]);
    let mut counter = 0u8;
    let mut next = || {
        counter += 1;
        [counter; NONCE_LEN]
    };
    let mut sealer = Sealer {
        master_key: Some(&master),
        next_nonce: &mut next,
    };
    let events = [
        BatchEvent {
            channel: ch("private-encrypted-a"),
            name: ev("e"),
            data: "1".into(),
            socket_id: None,
            info: None,
        },
        BatchEvent {
            channel: ch("private-encrypted-a"),
            name: ev("e"),
            data: "2".into(),
            socket_id: None,
            info: None,
        },
        BatchEvent {
            channel: ch("public"),
            name: ev("e"),
            data: "3".into(),
            socket_id: None,
            info: Some("subscription_count".into()),
        },
    ];
    let request = trigger_batch("1", &events, &mut sealer).unwrap();
    let body: serde_json::Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
    let key = shared_secret("private-encrypted-a", &master);
    let first = body["batch"][0]["data"].as_str().unwrap();
    let second = body["batch"][1]["data"].as_str().unwrap();
    assert_ne!(first, second, "each item gets its own nonce");
    assert_eq!(open(&key, first).as_deref(), Some("1"));
    assert_eq!(open(&key, second).as_deref(), Some("2"));
    assert_eq!(body["batch"][2]["data"], "3");
    assert_eq!(body["batch"][2]["info"], "subscription_count");
}

#[test]
fn batches_hold_one_to_ten_events() {
    let event = BatchEvent {
        channel: ch("a"),
        name: ev("e"),
        data: "d".into(),
        socket_id: None,
        info: None,
    };
    let eleven = vec![event.clone(); 11];
    assert!(matches!(
        trigger_batch("1", &eleven, &mut plain()),
        Err(PusherError::BatchTooLarge {
            count: 11,
            limit: 10
        })
    ));
    assert!(matches!(
        trigger_batch("1", &[], &mut plain()),
        Err(PusherError::EmptyBatch)
    ));
    assert!(trigger_batch("1", &vec![event; 10], &mut plain()).is_ok());
}

#[test]
fn send_to_user_uses_the_server_to_user_channel() {
    let request = send_to_user("1", "alice", &ev("n"), "{}").unwrap();
    assert_eq!(
        request.body.as_deref(),
        Some(r##"{"name":"n","data":"{}","channels":["#server-to-user-alice"]}"##)
    );
    assert!(matches!(
        send_to_user("1", "", &ev("n"), "{}"),
        Err(PusherError::InvalidUserId(_))
    ));
}
