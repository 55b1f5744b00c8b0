//! Property tests: random socket ids, channel and event names, webhook
//! bodies, headers and signatures never make the Pusher layer panic, and
//! valid inputs round-trip.

use messaging::pusher::auth::{self, PresenceMember};
use messaging::pusher::encryption::{self, MasterKey, NONCE_LEN};
use messaging::pusher::sign::{self, Token};
use messaging::pusher::{ChannelName, EventName, PusherError, SocketId, json, webhook};
use proptest::prelude::*;
use serde_json::Value;

fn token() -> Token {
    Token::new("fuzz-key", "fuzz-secret")
}

/// JSON without fractional numbers: serde_json's default float parser may
/// be off by one ULP, so floats are checked on their own (`js_numbers_...`).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-(1i64 << 53)..(1i64 << 53)).prop_map(Value::from),
        ".*".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn webhook_event() -> impl Strategy<Value = Value> {
    (
        "[a-z_]{1,20}",
        proptest::option::of("[A-Za-z0-9_\\-=@,.;]{1,30}"),
        proptest::option::of(".{0,10}"),
        proptest::option::of(json_value()),
        proptest::option::of(0i64..1000),
    )
        .prop_map(|(name, channel, user_id, data, count)| {
            let mut event = serde_json::Map::new();
            event.insert("name".into(), name.into());
            if let Some(channel) = channel {
                event.insert("channel".into(), channel.into());
            }
            if let Some(user_id) = user_id {
                event.insert("user_id".into(), user_id.into());
            }
            if let Some(data) = data.filter(|d| !d.is_null()) {
                event.insert("data".into(), data);
            }
            if let Some(count) = count {
                event.insert("subscription_count".into(), count.into());
            }
            Value::Object(event)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn socket_id_parsing_never_panics(raw in ".*") {
        match SocketId::parse(&raw) {
            Ok(id) => prop_assert_eq!(id.as_str(), raw.as_str()),
            Err(e) => prop_assert_eq!(e.to_string(), format!("Invalid socket id: '{raw}'")),
        }
    }

    #[test]
    fn valid_socket_ids_round_trip(a in "[0-9]{1,12}", b in "[0-9]{1,12}") {
        let raw = format!("{a}.{b}");
        let id = SocketId::parse(&raw).unwrap();
        prop_assert_eq!(id.as_str(), raw.as_str());
    }

    #[test]
    fn channel_name_parsing_never_panics(raw in ".{0,260}") {
        let valid_chars = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-=@,.;".contains(&b));
        match ChannelName::parse(&raw) {
            Ok(name) => {
                prop_assert!(valid_chars && raw.len() <= 200);
                prop_assert_eq!(name.as_str(), raw.as_str());
            }
            Err(PusherError::InvalidChannelName(echo)) => { prop_assert!(!valid_chars); prop_assert_eq!(echo, raw); }
            Err(PusherError::ChannelNameTooLong(_)) => prop_assert!(valid_chars && raw.len() > 200),
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    #[test]
    fn valid_channel_names_round_trip(raw in "[A-Za-z0-9_\\-=@,.;]{1,200}") {
        let name = ChannelName::parse(&raw).unwrap();
        prop_assert_eq!(name.as_str(), raw.as_str());
        prop_assert_eq!(name.check_triggerable().is_ok(), raw.len() <= 164);
    }

    #[test]
    fn event_name_parsing_never_panics(raw in ".{0,220}") {
        let units = raw.encode_utf16().count();
        match EventName::parse(&raw) {
            Ok(name) => { prop_assert!((1..=200).contains(&units)); prop_assert_eq!(name.as_str(), raw.as_str()); }
            Err(_) => prop_assert!(units == 0 || units > 200),
        }
    }

    #[test]
    fn webhook_verification_never_panics_on_junk(
        key in proptest::option::of(".*"),
        signature in proptest::option::of(".*"),
        content_type in proptest::option::of(".*"),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let result = webhook::verify(&token(), key.as_deref(), signature.as_deref(), content_type.as_deref(), &body);
        prop_assert!(result.is_err(), "random headers cannot carry the right signature");
    }

    #[test]
    fn signed_junk_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let sig = webhook::signature(&token(), &body);
        let result = webhook::verify(&token(), Some("fuzz-key"), Some(&sig), Some("application/json"), &body);
        if let Err(e) = result {
            prop_assert!(matches!(e, webhook::WebhookError::InvalidBody(_)));
        }
    }

    #[test]
    fn signed_webhooks_round_trip(time_ms in any::<i64>(), events in prop::collection::vec(webhook_event(), 0..4)) {
        let body = serde_json::json!({"time_ms": time_ms, "events": events}).to_string();
        let sig = webhook::signature(&token(), body.as_bytes());
        let hook = webhook::verify(&token(), Some("fuzz-key"), Some(&sig), Some("application/json"), body.as_bytes()).unwrap();
        prop_assert_eq!(hook.time_ms, time_ms);
        prop_assert_eq!(serde_json::to_value(&hook.events).unwrap(), Value::Array(events));
    }

    #[test]
    fn any_other_signature_is_refused(body in ".{0,100}", bad in "[0-9a-fA-F]{0,70}") {
        let good = webhook::signature(&token(), body.as_bytes());
        prop_assume!(bad != good);
        let result = webhook::verify(&token(), Some("fuzz-key"), Some(&bad), Some("application/json"), body.as_bytes());
        prop_assert_eq!(result.unwrap_err(), webhook::WebhookError::BadSignature);
    }

    #[test]
    fn request_signing_never_panics(
        method in ".{0,8}", path in ".{0,40}",
        params in prop::collection::vec((".{0,12}", ".{0,12}"), 0..5),
        body in proptest::option::of(".{0,64}"), ts in any::<u64>(),
    ) {
        let reserved = params.iter().any(|(k, _)| k.starts_with("auth_") || k == "body_md5");
        match sign::sign_request(&token(), &method, &path, &params, body.as_deref().map(str::as_bytes), ts) {
            Ok(signed) => {
                prop_assert!(!reserved);
                let tail = format!("auth_signature={}", signed.signature);
                prop_assert!(signed.query_string().ends_with(&tail));
                prop_assert_eq!(signed.signature, token().sign(signed.string_to_sign.as_bytes()));
            }
            Err(e) => { prop_assert!(reserved); prop_assert!(matches!(e, PusherError::ReservedParameter(_))); }
        }
    }

    #[test]
    fn sealed_data_opens(plain in ".{0,300}", nonce in any::<[u8; NONCE_LEN]>(), master in any::<[u8; 32]>()) {
        let key = encryption::shared_secret("private-encrypted-fuzz", &MasterKey::from_bytes(master));
        let sealed = encryption::seal(&key, &nonce, &plain).unwrap();
        prop_assert_eq!(encryption::open(&key, &sealed), Some(plain));
    }

    #[test]
    fn stringify_matches_serde_json_without_fractions(value in json_value()) {
        prop_assert_eq!(json::stringify(&value), serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn js_numbers_parse_back_exactly(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let text = json::js_number(f);
        let back: f64 = text.parse().unwrap();
        prop_assert!(back == f, "{} -> {}", f, text);
    }

    #[test]
    fn user_auth_never_panics(data in json_value(), socket in "[0-9]{1,5}\\.[0-9]{1,5}") {
        let socket = SocketId::parse(&socket).unwrap();
        let _ = auth::authenticate_user(&token(), &socket, &data);
    }

    #[test]
    fn presence_channel_data_parses_back(user_id in ".{1,20}", user_info in json_value()) {
        let member = PresenceMember { user_id: user_id.clone(), user_info: user_info.clone() };
        let parsed: Value = serde_json::from_str(&member.channel_data()).unwrap();
        prop_assert_eq!(&parsed["user_id"], &Value::from(user_id));
        if !user_info.is_null() {
            prop_assert_eq!(json::stringify(&parsed["user_info"]), json::stringify(&user_info));
        }
    }
}
