//! Answers to pusher-js: channel authorization (private, presence,
//! encrypted) and user sign-in. Pure: the token and master key are arguments.

use super::encryption::{MasterKey, shared_secret};
use super::error::PusherError;
use super::json;
use super::names::{ChannelName, SocketId, check_user_id};
use super::sign::Token;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use serde_json::Value;

/// The body of a 200 answer to pusher-js's channel authorization request.
/// Fields serialise in the Node library's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelAuth {
    /// The exact JSON string that was signed (presence channels only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<String>,
    /// `<key>:<hex hmac>`.
    pub auth: String,
    /// Base64 per-channel key (`private-encrypted-` channels only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<String>,
}

/// Who joins a presence channel; serialised once, as `{"user_id","user_info"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PresenceMember {
    pub user_id: String,
    /// `null` means no `user_info` at all.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub user_info: Value,
}

impl PresenceMember {
    /// The `channel_data` string, formatted as `JSON.stringify` would.
    pub fn channel_data(&self) -> String {
        let mut object = serde_json::Map::new();
        object.insert("user_id".into(), Value::String(self.user_id.clone()));
        if !self.user_info.is_null() {
            object.insert("user_info".into(), self.user_info.clone());
        }
        json::stringify(&Value::Object(object))
    }
}

/// The body of a 200 answer to pusher-js's user authentication request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserAuth {
    pub auth: String,
    /// The exact JSON string that was signed.
    pub user_data: String,
}

/// `socket_id:channel_name[:channel_data]`.
pub fn channel_string_to_sign(
    socket_id: &SocketId,
    channel: &ChannelName,
    channel_data: Option<&str>,
) -> String {
    match channel_data {
        Some(data) => format!("{socket_id}:{channel}:{data}"),
        None => format!("{socket_id}:{channel}"),
    }
}

/// Authorizes a subscription. `channel_data` is signed and returned as is, so
/// the caller serialises it once; encrypted channels also get their key.
pub fn authorize_channel(
    token: &Token,
    master_key: Option<&MasterKey>,
    socket_id: &SocketId,
    channel: &ChannelName,
    channel_data: Option<String>,
) -> Result<ChannelAuth, PusherError> {
    let shared_secret = if channel.is_encrypted() {
        let key = master_key.ok_or(PusherError::MasterKeyNotSetForAuth)?;
        Some(B64.encode(shared_secret(channel.as_str(), key)))
    } else {
        None
    };
    let to_sign = channel_string_to_sign(socket_id, channel, channel_data.as_deref());
    Ok(ChannelAuth {
        auth: format!("{}:{}", token.key(), token.sign(to_sign.as_bytes())),
        channel_data,
        shared_secret,
    })
}

/// `socket_id::user::user_data`.
pub fn user_string_to_sign(socket_id: &SocketId, user_data: &str) -> String {
    format!("{socket_id}::user::{user_data}")
}

/// Signs a user in (`pusher:signin`). `user_data` must be an object whose
/// `id` is a non-empty string; it is serialised once, as Node would.
pub fn authenticate_user(
    token: &Token,
    socket_id: &SocketId,
    user_data: &Value,
) -> Result<UserAuth, PusherError> {
    let id = match user_data {
        Value::Object(map) => map.get("id"),
        // Arrays are objects to JavaScript: they fail on the missing `id`.
        Value::Array(_) => None,
        other => return Err(PusherError::InvalidUserData(json::js_display(Some(other)))),
    };
    match id {
        Some(Value::String(id)) => check_user_id(id)?,
        other => return Err(PusherError::InvalidUserId(json::js_display(other))),
    }
    let user_data = json::stringify(user_data);
    let to_sign = user_string_to_sign(socket_id, &user_data);
    Ok(UserAuth {
        auth: format!("{}:{}", token.key(), token.sign(to_sign.as_bytes())),
        user_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs_token() -> Token {
        Token::new("278d425bdf160c739803", "7ad3773142a6692b25b8")
    }

    fn socket() -> SocketId {
        SocketId::parse("1234.1234").unwrap()
    }

    /// The private-channel example in Pusher's auth-signatures docs (§4).
    #[test]
    fn reproduces_the_docs_private_example() {
        let channel = ChannelName::parse("private-foobar").unwrap();
        let auth = authorize_channel(&docs_token(), None, &socket(), &channel, None).unwrap();
        assert_eq!(
            serde_json::to_string(&auth).unwrap(),
            r#"{"auth":"278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"}"#
        );
    }

    /// The presence example, with the channel_data the docs print (§4 erratum).
    #[test]
    fn reproduces_the_docs_presence_example() {
        let channel = ChannelName::parse("presence-foobar").unwrap();
        let data = json::stringify(&json!({"user_id": 10, "user_info": {"name": "Mr. Channels"}}));
        let auth = authorize_channel(&docs_token(), None, &socket(), &channel, Some(data.clone()))
            .unwrap();
        assert_eq!(
            auth.auth,
            "278d425bdf160c739803:31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80"
        );
        let json = serde_json::to_string(&auth).unwrap();
        assert!(
            json.starts_with(r#"{"channel_data":"{\"user_id\":10,"#),
            "{json}"
        );
    }

    #[test]
    fn reproduces_the_docs_user_example() {
        let auth = authenticate_user(&docs_token(), &socket(), &json!({"id": "12345"})).unwrap();
        assert_eq!(
            auth.auth,
            "278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba"
        );
        assert_eq!(auth.user_data, r#"{"id":"12345"}"#);
    }

    #[test]
    fn presence_members_serialise_id_then_info() {
        let member = PresenceMember {
            user_id: "u1".into(),
            user_info: json!({"name": "A", "role": "x"}),
        };
        assert_eq!(
            member.channel_data(),
            r#"{"user_id":"u1","user_info":{"name":"A","role":"x"}}"#
        );
        assert_eq!(
            serde_json::to_string(&member).unwrap(),
            member.channel_data()
        );
        let bare = PresenceMember {
            user_id: "u1".into(),
            user_info: Value::Null,
        };
        assert_eq!(bare.channel_data(), r#"{"user_id":"u1"}"#);
    }

    #[test]
    fn encrypted_channels_need_the_master_key() {
        let channel = ChannelName::parse("private-encrypted-x").unwrap();
        let err = authorize_channel(&docs_token(), None, &socket(), &channel, None).unwrap_err();
        assert!(matches!(err, PusherError::MasterKeyNotSetForAuth));
    }

    #[test]
    fn user_data_needs_a_string_id() {
        let cases = [
            (json!({"name": "no id"}), "Invalid user id: 'undefined'"),
            (json!({"id": 5}), "Invalid user id: '5'"),
            (json!({"id": ""}), "Invalid user id: ''"),
            (json!([1]), "Invalid user id: 'undefined'"),
            (json!(null), "Invalid user data: 'null'"),
            (json!("x"), "Invalid user data: 'x'"),
        ];
        for (data, message) in cases {
            let err = authenticate_user(&docs_token(), &socket(), &data).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
    }
}
