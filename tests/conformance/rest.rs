//! `rest` entries: build the request with our typed builders from the
//! vector's inputs, sign it at the vector's timestamp, compare every field.

use super::rest_build::{get, nonces, trigger, trigger_batch};
use super::support::*;
use messaging::pusher::EventName;
use messaging::pusher::encryption;
use messaging::pusher::events;
use messaging::pusher::requests::{self, Method, RestRequest};
use messaging::pusher::sign::{self, SignedQuery};
use serde_json::Value;

const EXPECTED_FIELDS: &[&str] = &[
    "method",
    "path",
    "body",
    "body_md5",
    "signed_query_params",
    "string_to_sign",
    "auth_signature",
    "query_string",
    "path_and_query",
    "headers",
    "encryption",
];

pub fn check(creds: &Credentials, entry: &Value) -> Check {
    let inputs = &entry["inputs"];
    let expected = &entry["expected"];
    only_keys(expected, EXPECTED_FIELDS, "expected")?;
    let timestamp = inputs["auth_timestamp"]
        .as_u64()
        .ok_or("inputs.auth_timestamp is not an integer")?;
    let call = match inputs["call"].as_str() {
        Some(call) => call,
        None if inputs.get("method").is_some() => "createSignedQueryString",
        None => return Err("inputs.call is missing".into()),
    };
    let nonces = nonces(expected)?;
    let request = match call {
        "createSignedQueryString" => {
            return check_signed_query_string(creds, inputs, expected, timestamp);
        }
        "trigger" => trigger(creds, inputs, nonces)?,
        "triggerBatch" => trigger_batch(creds, inputs, nonces)?,
        "get" => get(creds, inputs)?,
        "terminateUserConnections" => {
            requests::terminate_user_connections(&creds.app_id, &text(inputs, "user_id")?)
                .map_err(|e| e.to_string())?
        }
        "sendToUser" => {
            let event = EventName::parse(&text(inputs, "event")?).map_err(|e| e.to_string())?;
            let data = our_data(&inputs["data"], false);
            events::send_to_user(&creds.app_id, &text(inputs, "user_id")?, &event, &data)
                .map_err(|e| e.to_string())?
        }
        other => return Err(format!("unknown call kind `{other}`")),
    };
    let signed = request
        .sign(&creds.token, timestamp)
        .map_err(|e| e.to_string())?;
    compare(&request, &signed, expected)?;
    if let Some(details) = expected.get("encryption") {
        check_encryption(creds, inputs, details)?;
    }
    Ok(())
}

fn compare(request: &RestRequest, signed: &SignedQuery, expected: &Value) -> Check {
    let body_md5 = request
        .body
        .as_deref()
        .map(|b| sign::body_md5(b.as_bytes()));
    let params: Vec<Value> = signed
        .params
        .iter()
        .map(|(k, v)| serde_json::json!([k, v]))
        .collect();
    let checks = [
        ("method", Value::from(request.method.as_str())),
        ("path", Value::from(request.path.as_str())),
        (
            "body",
            request.body.clone().map_or(Value::Null, Value::from),
        ),
        ("body_md5", body_md5.map_or(Value::Null, Value::from)),
        ("signed_query_params", Value::Array(params)),
        (
            "string_to_sign",
            Value::from(signed.string_to_sign.as_str()),
        ),
        ("auth_signature", Value::from(signed.signature.as_str())),
        ("query_string", Value::from(signed.query_string())),
        (
            "path_and_query",
            Value::from(request.path_and_query(signed)),
        ),
    ];
    for (field, ours) in checks {
        if let Some(theirs) = expected.get(field) {
            eq(field, &ours, theirs)?;
        }
    }
    if let Some(headers) = expected.get("headers") {
        // x-pusher-library names the Node library; we send our own name.
        only_keys(
            headers,
            &["content-type", "x-pusher-library"],
            "expected.headers",
        )?;
        let ours = request.content_type().map_or(Value::Null, Value::from);
        eq("headers.content-type", &ours, &headers["content-type"])?;
    }
    Ok(())
}

fn check_signed_query_string(
    creds: &Credentials,
    inputs: &Value,
    expected: &Value,
    timestamp: u64,
) -> Check {
    let params: Vec<(String, String)> = match inputs["params"].as_object() {
        Some(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), messaging::pusher::json::js_display(Some(v))))
            .collect(),
        None => Vec::new(),
    };
    let method = text(inputs, "method")?;
    let body = inputs["body"].as_str().map(str::as_bytes);
    let signed = sign::sign_request(
        &creds.token,
        &method,
        &text(inputs, "path")?,
        &params,
        body,
        timestamp,
    )
    .map_err(|e| e.to_string())?;
    let request = RestRequest {
        method: if method.eq_ignore_ascii_case("GET") {
            Method::Get
        } else {
            Method::Post
        },
        path: text(inputs, "path")?,
        params,
        body: inputs["body"].as_str().map(str::to_owned),
    };
    compare(&request, &signed, expected)
}

fn check_encryption(creds: &Credentials, inputs: &Value, details: &Value) -> Check {
    only_keys(
        details,
        &[
            "nonce_base64",
            "nonce_hex",
            "ciphertext_base64",
            "plaintext",
            "shared_secret_hex",
        ],
        "expected.encryption",
    )?;
    let channel = channel_list(&inputs["channels"])?
        .into_iter()
        .next()
        .ok_or("no channel")?;
    let master = creds
        .master_key
        .as_ref()
        .ok_or("no master key in credentials")?;
    let key = encryption::shared_secret(&channel, master);
    eq(
        "encryption.shared_secret_hex",
        &hex::encode(key),
        &text(details, "shared_secret_hex")?,
    )?;
    let plaintext = our_data(&inputs["data"], true);
    eq(
        "encryption.plaintext",
        &plaintext,
        &text(details, "plaintext")?,
    )?;
    let nonce = nonce_from_b64(&text(details, "nonce_base64")?)?;
    eq(
        "encryption.nonce_hex",
        &hex::encode(nonce),
        &text(details, "nonce_hex")?,
    )?;
    let sealed: Value = serde_json::from_str(
        &encryption::seal(&key, &nonce, &plaintext).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    eq(
        "encryption.ciphertext_base64",
        &sealed["ciphertext"],
        &details["ciphertext_base64"],
    )?;
    let opened = encryption::open(&key, &serde_json::json!({"nonce": details["nonce_base64"], "ciphertext": details["ciphertext_base64"]}).to_string());
    eq("encryption.opened", &opened, &Some(plaintext))
}
