//! `auth`, `webhooks` and `encryption` entries: what we answer pusher-js,
//! which webhook deliveries we accept, and the per-channel key.

use super::support::*;
use base64::Engine;
use messaging::pusher::auth::{self, ChannelAuth, PresenceMember};
use messaging::pusher::encryption::{self, MasterKey};
use messaging::pusher::{ChannelName, SocketId, json, webhook};
use serde::Serialize;
use serde_json::Value;

pub fn check_auth(creds: &Credentials, entry: &Value) -> Check {
    let inputs = &entry["inputs"];
    let expected = &entry["expected"];
    only_keys(
        inputs,
        &["socket_id", "channel_name", "channel_data", "user_data"],
        "inputs",
    )?;
    only_keys(
        expected,
        &["string_to_sign", "response", "response_json"],
        "expected",
    )?;
    let socket = SocketId::parse(&text(inputs, "socket_id")?).map_err(|e| e.to_string())?;
    if let Some(user_data) = inputs.get("user_data") {
        let answer = creds
            .pusher
            .authenticate_user(&socket, user_data)
            .map_err(|e| e.to_string())?;
        eq(
            "string_to_sign",
            &auth::user_string_to_sign(&socket, &answer.user_data),
            &text(expected, "string_to_sign")?,
        )?;
        return compare_answer(&answer, expected);
    }
    let channel = ChannelName::parse(&text(inputs, "channel_name")?).map_err(|e| e.to_string())?;
    let answer = match inputs.get("channel_data") {
        Some(data) => match presence_member(data) {
            // The facade's own shape: `{"user_id": "...", "user_info"?: ...}`.
            Some(member) => creds
                .pusher
                .authorize_channel(&socket, &channel, Some(&member)),
            // Any other value: the pure layer signs whatever JSON Node would.
            None => auth::authorize_channel(
                &creds.token,
                creds.master_key.as_ref(),
                &socket,
                &channel,
                Some(json::stringify(data)),
            ),
        },
        // The facade refuses presence without a member (on purpose); the
        // pure layer is what Node does.
        None if channel.is_presence() => auth::authorize_channel(
            &creds.token,
            creds.master_key.as_ref(),
            &socket,
            &channel,
            None,
        ),
        None => creds.pusher.authorize_channel(&socket, &channel, None),
    }
    .map_err(|e| e.to_string())?;
    let to_sign = auth::channel_string_to_sign(&socket, &channel, answer.channel_data.as_deref());
    eq(
        "string_to_sign",
        &to_sign,
        &text(expected, "string_to_sign")?,
    )?;
    check_shared_secret(creds, &channel, &answer)?;
    compare_answer(&answer, expected)
}

fn presence_member(data: &Value) -> Option<PresenceMember> {
    let map = data.as_object()?;
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let user_info = match keys.as_slice() {
        ["user_id"] => Value::Null,
        ["user_id", "user_info"] if !map["user_info"].is_null() => map["user_info"].clone(),
        _ => return None,
    };
    Some(PresenceMember {
        user_id: map["user_id"].as_str()?.to_owned(),
        user_info,
    })
}

fn check_shared_secret(creds: &Credentials, channel: &ChannelName, answer: &ChannelAuth) -> Check {
    if !channel.is_encrypted() {
        return eq("shared_secret", &answer.shared_secret, &None);
    }
    let ours = creds
        .pusher
        .channel_shared_secret(channel)
        .map_err(|e| e.to_string())?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(ours);
    eq("shared_secret", &answer.shared_secret, &Some(b64))
}

fn compare_answer(answer: &impl Serialize, expected: &Value) -> Check {
    let value = serde_json::to_value(answer).map_err(|e| e.to_string())?;
    eq("response", &value, &expected["response"])?;
    let json = serde_json::to_string(answer).map_err(|e| e.to_string())?;
    eq("response_json", &json, &text(expected, "response_json")?)
}

pub fn check_webhook(creds: &Credentials, entry: &Value) -> Check {
    let inputs = &entry["inputs"];
    let expected = &entry["expected"];
    only_keys(inputs, &["headers", "raw_body"], "inputs")?;
    only_keys(
        expected,
        &["valid", "expected_signature_for_body", "events", "time_ms"],
        "expected",
    )?;
    let headers = inputs["headers"]
        .as_object()
        .ok_or("inputs.headers is not an object")?;
    // Header names are case-insensitive; a null value is an absent header.
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    };
    let body = text(inputs, "raw_body")?;
    eq(
        "expected_signature_for_body",
        &webhook::signature(&creds.token, body.as_bytes()),
        &text(expected, "expected_signature_for_body")?,
    )?;
    let result = creds.pusher.verify_webhook(
        header("x-pusher-key"),
        header("x-pusher-signature"),
        header("content-type"),
        body.as_bytes(),
    );
    let valid = expected["valid"]
        .as_bool()
        .ok_or("expected.valid is not a bool")?;
    match (&result, valid) {
        (Ok(hook), true) => {
            if let Some(time_ms) = expected.get("time_ms") {
                eq("time_ms", &Value::from(hook.time_ms), time_ms)?;
            }
            if let Some(events) = expected.get("events") {
                let ours = serde_json::to_value(&hook.events).map_err(|e| e.to_string())?;
                eq("events", &ours, events)?;
            }
            Ok(())
        }
        (Err(_), false) => Ok(()),
        (Ok(_), false) => Err("accepted a webhook Node refuses".into()),
        (Err(e), true) => Err(format!("refused a webhook Node accepts: {e}")),
    }
}

pub fn check_encryption(entry: &Value) -> Check {
    let inputs = &entry["inputs"];
    let expected = &entry["expected"];
    only_keys(
        inputs,
        &["channel_name", "encryption_master_key_base64"],
        "inputs (unknown encryption kind)",
    )?;
    only_keys(
        expected,
        &["shared_secret_base64", "shared_secret_hex"],
        "expected",
    )?;
    let master = MasterKey::from_base64(&text(inputs, "encryption_master_key_base64")?)
        .map_err(str::to_owned)?;
    let key = encryption::shared_secret(&text(inputs, "channel_name")?, &master);
    eq(
        "shared_secret_hex",
        &hex::encode(key),
        &text(expected, "shared_secret_hex")?,
    )?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(key);
    eq(
        "shared_secret_base64",
        &b64,
        &text(expected, "shared_secret_base64")?,
    )
}
