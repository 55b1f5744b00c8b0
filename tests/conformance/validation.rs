//! `validation` entries: each Node call with its arguments must fail with
//! exactly Node's message, or succeed when `throws` is null. Checks run in
//! Node's order, through our parse types and pure builders (no I/O).

use super::support::*;
use messaging::pusher::encryption::NONCE_LEN;
use messaging::pusher::events::{self, BatchEvent, Sealer, TriggerOptions};
use messaging::pusher::requests;
use messaging::pusher::{ChannelName, EventName, PusherError, SocketId, json, sign};
use serde_json::Value;

pub fn check(creds: &Credentials, entry: &Value) -> Check {
    only_keys(
        entry,
        &["call", "args", "throws", "description"],
        "validation entry",
    )?;
    let call = text(entry, "call")?;
    let args: Vec<Value> = entry["args"]
        .as_array()
        .ok_or("args is not an array")?
        .iter()
        .map(expand)
        .collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let outcome = match call.as_str() {
        "authorizeChannel" => authorize_channel(creds, &arg(0), &arg(1), &arg(2)),
        "authenticateUser" => str_arg(&arg(0)).and_then(|s| {
            let socket = SocketId::parse(s).map_err(Outcome::Refused)?;
            creds
                .pusher
                .authenticate_user(&socket, &arg(1))
                .map(drop)
                .map_err(Outcome::Refused)
        }),
        "trigger" => trigger(creds, &arg(0), &arg(1), &arg(2), &arg(3)),
        "triggerBatch" => trigger_batch(creds, &arg(0)),
        "sendToUser" => str_arg(&arg(1)).and_then(|event| {
            let event = EventName::parse(event).map_err(Outcome::Refused)?;
            let user = arg(0);
            let user = str_arg(&user)?;
            events::send_to_user(&creds.app_id, user, &event, &our_data(&arg(2), false))
                .map(drop)
                .map_err(Outcome::Refused)
        }),
        "terminateUserConnections" => str_arg(&arg(0)).and_then(|user| {
            requests::terminate_user_connections(&creds.app_id, user)
                .map(drop)
                .map_err(Outcome::Refused)
        }),
        "createSignedQueryString" => signed_query_string(creds, &arg(0)),
        other => return Err(format!("unknown call `{other}`")),
    };
    let throws = entry["throws"].as_str();
    match (outcome, throws) {
        (Ok(()), None) => Ok(()),
        (Ok(()), Some(message)) => Err(format!("accepted; Node throws {message:?}")),
        (Err(Outcome::Refused(e)), Some(message)) => {
            eq("message", &e.to_string().as_str(), &message)
        }
        // Our one deliberate difference: trigger refuses names over Pusher's
        // documented 164 characters, which Node still sends.
        (Err(Outcome::Refused(PusherError::ChannelNameTooLongForTrigger(name))), None)
            if (ChannelName::MAX_TRIGGER_LEN + 1..=ChannelName::MAX_LEN).contains(&name.len()) =>
        {
            eprintln!("note: {name:?} accepted by Node, refused by us (164-character limit)");
            Ok(())
        }
        (Err(Outcome::Refused(e)), None) => Err(format!("refused ({e}); Node accepts")),
        // A non-string where our API takes &str cannot even be expressed.
        (Err(Outcome::Unrepresentable(what)), Some(_)) => {
            eprintln!("note: {what}: refused by the type system");
            Ok(())
        }
        (Err(Outcome::Unrepresentable(what)), None) => Err(format!("{what}, yet Node accepts it")),
    }
}

enum Outcome {
    Refused(PusherError),
    Unrepresentable(String),
}

fn str_arg(value: &Value) -> Result<&str, Outcome> {
    value
        .as_str()
        .ok_or_else(|| Outcome::Unrepresentable(format!("argument {value} is not a string")))
}

fn authorize_channel(
    creds: &Credentials,
    socket: &Value,
    channel: &Value,
    data: &Value,
) -> Result<(), Outcome> {
    let socket = SocketId::parse(str_arg(socket)?).map_err(Outcome::Refused)?;
    let channel = ChannelName::parse(str_arg(channel)?).map_err(Outcome::Refused)?;
    let data = (!data.is_null()).then(|| json::stringify(data));
    messaging::pusher::auth::authorize_channel(
        &creds.token,
        creds.master_key.as_ref(),
        &socket,
        &channel,
        data,
    )
    .map(drop)
    .map_err(Outcome::Refused)
}

fn trigger(
    creds: &Credentials,
    channels: &Value,
    event: &Value,
    data: &Value,
    params: &Value,
) -> Result<(), Outcome> {
    // Node checks a truthy params.socket_id first, then the event name, the
    // channel count, each channel, and (when sending) encryption.
    let socket = match &params["socket_id"] {
        Value::String(s) if !s.is_empty() => Some(SocketId::parse(s).map_err(Outcome::Refused)?),
        Value::Null => None,
        Value::String(_) => None,
        other => return Err(Outcome::Unrepresentable(format!("socket_id {other}"))),
    };
    let event = EventName::parse(str_arg(event)?).map_err(Outcome::Refused)?;
    let names = channel_list(channels).map_err(Outcome::Unrepresentable)?;
    events::check_channel_count(names.len()).map_err(Outcome::Refused)?;
    let channels = names
        .iter()
        .map(|c| ChannelName::parse(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Outcome::Refused)?;
    let encrypted = channels.len() == 1 && channels[0].is_encrypted();
    let options = TriggerOptions {
        socket_id: socket.as_ref(),
        info: params["info"].as_str(),
    };
    let mut next = || [0u8; NONCE_LEN];
    let mut sealer = Sealer {
        master_key: creds.master_key.as_ref(),
        next_nonce: &mut next,
    };
    events::trigger(
        &creds.app_id,
        &channels,
        &event,
        &our_data(data, encrypted),
        options,
        &mut sealer,
    )
    .map(drop)
    .map_err(Outcome::Refused)
}

fn trigger_batch(creds: &Credentials, batch: &Value) -> Result<(), Outcome> {
    let items = batch
        .as_array()
        .ok_or_else(|| Outcome::Unrepresentable("batch is not an array".into()))?;
    let mut events = Vec::new();
    for item in items {
        let channel = ChannelName::parse(str_arg(&item["channel"])?).map_err(Outcome::Refused)?;
        let socket_id = match item["socket_id"].as_str() {
            Some(s) => Some(SocketId::parse(s).map_err(Outcome::Refused)?),
            None => None,
        };
        events.push(BatchEvent {
            name: EventName::parse(str_arg(&item["name"])?).map_err(Outcome::Refused)?,
            data: our_data(&item["data"], channel.is_encrypted()),
            socket_id,
            info: item["info"].as_str().map(str::to_owned),
            channel,
        });
    }
    let mut next = || [0u8; NONCE_LEN];
    let mut sealer = Sealer {
        master_key: creds.master_key.as_ref(),
        next_nonce: &mut next,
    };
    events::trigger_batch(&creds.app_id, &events, &mut sealer)
        .map(drop)
        .map_err(Outcome::Refused)
}

fn signed_query_string(creds: &Credentials, options: &Value) -> Result<(), Outcome> {
    let params: Vec<(String, String)> = options["params"]
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), json::js_display(Some(v))))
                .collect()
        })
        .unwrap_or_default();
    let method = str_arg(&options["method"])?;
    let path = str_arg(&options["path"])?;
    let body = options["body"].as_str().map(str::as_bytes);
    sign::sign_request(&creds.token, method, path, &params, body, 0)
        .map(drop)
        .map_err(Outcome::Refused)
}
