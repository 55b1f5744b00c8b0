//! Turning a `rest` vector's inputs into our typed requests: the nonces
//! the generator drew, then one builder call per Node call kind.

use super::support::*;
use messaging::pusher::encryption::NONCE_LEN;
use messaging::pusher::events::{self, BatchEvent, Sealer, TriggerOptions};
use messaging::pusher::requests::{self, RestRequest};
use messaging::pusher::{ChannelName, EventName, SocketId};
use serde_json::Value;
use std::collections::VecDeque;

/// Sealing needs the nonces the generator drew: given in `encryption`, else
/// read from the sealed data in the expected body (items in order).
pub fn nonces(expected: &Value) -> Result<VecDeque<[u8; NONCE_LEN]>, String> {
    if let Some(nonce) = expected["encryption"]["nonce_base64"].as_str() {
        return Ok(VecDeque::from([nonce_from_b64(nonce)?]));
    }
    let Some(body) = expected["body"].as_str() else {
        return Ok(VecDeque::new());
    };
    let body: Value = serde_json::from_str(body).map_err(|e| format!("expected.body: {e}"))?;
    let items = body["batch"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![body.clone()]);
    let mut nonces = VecDeque::new();
    for item in items {
        let channel = item["channel"]
            .as_str()
            .or_else(|| item["channels"][0].as_str())
            .unwrap_or("");
        if channel.starts_with(ChannelName::ENCRYPTED_PREFIX) {
            let sealed: Value = serde_json::from_str(item["data"].as_str().unwrap_or(""))
                .map_err(|e| e.to_string())?;
            nonces.push_back(nonce_from_b64(sealed["nonce"].as_str().unwrap_or(""))?);
        }
    }
    Ok(nonces)
}

fn with_sealer<T>(
    creds: &Credentials,
    mut nonces: VecDeque<[u8; NONCE_LEN]>,
    f: impl FnOnce(&mut Sealer<'_>) -> T,
) -> T {
    // An unexpected extra nonce request yields zeros, and the body then differs.
    let mut next = move || nonces.pop_front().unwrap_or([0; NONCE_LEN]);
    let mut sealer = Sealer {
        master_key: creds.master_key.as_ref(),
        next_nonce: &mut next,
    };
    f(&mut sealer)
}

pub fn trigger(
    creds: &Credentials,
    inputs: &Value,
    nonces: VecDeque<[u8; NONCE_LEN]>,
) -> Result<RestRequest, String> {
    let channels = channel_list(&inputs["channels"])?
        .iter()
        .map(|c| ChannelName::parse(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let event = EventName::parse(&text(inputs, "event")?).map_err(|e| e.to_string())?;
    let params = &inputs["params"];
    if !params.is_null() {
        only_keys(params, &["socket_id", "info"], "inputs.params")?;
    }
    let socket = params["socket_id"]
        .as_str()
        .map(SocketId::parse)
        .transpose()
        .map_err(|e| e.to_string())?;
    let options = TriggerOptions {
        socket_id: socket.as_ref(),
        info: params["info"].as_str(),
    };
    let encrypted = channels.len() == 1 && channels[0].is_encrypted();
    let data = our_data(&inputs["data"], encrypted);
    with_sealer(creds, nonces, |sealer| {
        events::trigger(&creds.app_id, &channels, &event, &data, options, sealer)
    })
    .map_err(|e| e.to_string())
}

pub fn trigger_batch(
    creds: &Credentials,
    inputs: &Value,
    nonces: VecDeque<[u8; NONCE_LEN]>,
) -> Result<RestRequest, String> {
    let items = inputs["batch"]
        .as_array()
        .ok_or("inputs.batch is not an array")?;
    let mut batch = Vec::new();
    for item in items {
        only_keys(
            item,
            &["channel", "name", "data", "socket_id", "info"],
            "batch item",
        )?;
        let channel = ChannelName::parse(&text(item, "channel")?).map_err(|e| e.to_string())?;
        let encrypted = channel.is_encrypted();
        batch.push(BatchEvent {
            name: EventName::parse(&text(item, "name")?).map_err(|e| e.to_string())?,
            data: our_data(&item["data"], encrypted),
            socket_id: item["socket_id"]
                .as_str()
                .map(SocketId::parse)
                .transpose()
                .map_err(|e| e.to_string())?,
            info: item["info"].as_str().map(str::to_owned),
            channel,
        });
    }
    with_sealer(creds, nonces, |sealer| {
        events::trigger_batch(&creds.app_id, &batch, sealer)
    })
    .map_err(|e| e.to_string())
}

/// `get` maps each documented path to its typed builder.
pub fn get(creds: &Credentials, inputs: &Value) -> Result<RestRequest, String> {
    let path = text(inputs, "path")?;
    let params = &inputs["params"];
    if !params.is_null() {
        only_keys(params, &["filter_by_prefix", "info"], "inputs.params")?;
    }
    let info = params["info"].as_str();
    let parse = |name: &str| ChannelName::parse(name).map_err(|e| e.to_string());
    let rest = path
        .strip_prefix("/channels")
        .ok_or_else(|| format!("unknown GET path {path}"))?;
    let request = match rest.strip_prefix('/') {
        None if rest.is_empty() => {
            requests::channels(&creds.app_id, params["filter_by_prefix"].as_str(), info)
        }
        Some(name) => match name.strip_suffix("/users") {
            Some(name) if info.is_none() => requests::channel_users(&creds.app_id, &parse(name)?),
            Some(_) => return Err("users takes no params".into()),
            None => requests::channel(&creds.app_id, &parse(name)?, info),
        },
        None => return Err(format!("unknown GET path {path}")),
    };
    if params["filter_by_prefix"].is_string() && !rest.is_empty() {
        return Err("filter_by_prefix only applies to /channels".into());
    }
    Ok(request)
}
