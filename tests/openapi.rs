//! Keeps `openapi.yaml` in step with the code: the routes served, the error
//! codes, and the fields of the shapes the API returns.
//!
//! The spec is read as text with a small reader for block-style YAML (keys by
//! indentation), so no YAML crate is needed; `python3 -c "import yaml"` or
//! `openapi-spec-validator` checks full YAML/OpenAPI validity.

use messaging::domain::{
    ClientMessageId, ConversationId, Emoji, Member, Message, MessageBody, MessageId, Reaction,
    Sender, Seq, Timestamp, UserId,
};
use messaging::error::AppError;
use messaging::routes::Route;
use std::collections::BTreeSet;

const SPEC: &str = include_str!("../openapi.yaml");

/// Development-only routes of the local dev server; the spec must not list them as paths.
const DEV_ONLY_PREFIX: &str = "/api/dev/";

/// One `key:` line of a block mapping, its inline value and the lines nested under it.
struct Entry<'a> {
    key: String,
    inline: &'a str,
    block: Vec<&'a str>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// Splits `key: value` at the first colon followed by a space or the end, so
/// keys like `pusher:member_added` stay whole; quotes around the key are dropped.
fn split_key(text: &str) -> Option<(String, &str)> {
    let bytes = text.as_bytes();
    let at = (0..bytes.len())
        .find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| *b == b' '))?;
    let key = text[..at].trim().trim_matches(|c| c == '\'' || c == '"');
    Some((key.to_owned(), text[at + 1..].trim()))
}

/// The mapping entries at the first indentation level of `block`.
fn entries<'a>(block: &[&'a str]) -> Vec<Entry<'a>> {
    let Some(level) = block.iter().find(|l| is_content(l)).map(|l| indent(l)) else {
        return Vec::new();
    };
    let mut out: Vec<Entry<'a>> = Vec::new();
    for &line in block {
        if is_content(line) && indent(line) <= level {
            // List items (`- ...`) at this level are not mapping entries.
            let item = line.trim_start().starts_with('-');
            if let Some((key, inline)) = split_key(line.trim()).filter(|_| !item) {
                out.push(Entry {
                    key,
                    inline,
                    block: Vec::new(),
                });
            }
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.block.push(line);
        }
    }
    out
}

/// The entry at `path` (keys from the top level), or a message naming what is missing.
fn lookup<'a>(path: &[&str]) -> Result<Entry<'a>, String> {
    let mut current = Entry {
        key: String::new(),
        inline: "",
        block: SPEC.lines().collect(),
    };
    for (depth, want) in path.iter().enumerate() {
        current = entries(&current.block)
            .into_iter()
            .find(|e| e.key == *want)
            .ok_or_else(|| format!("openapi.yaml has no `{}`", path[..=depth].join(" > ")))?;
    }
    Ok(current)
}

fn keys(path: &[&str]) -> BTreeSet<String> {
    match lookup(path) {
        Ok(entry) => entries(&entry.block).into_iter().map(|e| e.key).collect(),
        Err(e) => panic!("{e}"),
    }
}

/// A list written either inline (`[a, b]`) or as `- a` lines.
fn list(path: &[&str]) -> BTreeSet<String> {
    let entry = lookup(path).unwrap_or_else(|e| panic!("{e}"));
    let unquote = |s: &str| s.trim().trim_matches(|c| c == '\'' || c == '"').to_owned();
    if let Some(inner) = entry
        .inline
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
    {
        return inner
            .split(',')
            .map(unquote)
            .filter(|s| !s.is_empty())
            .collect();
    }
    entry
        .block
        .iter()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .map(unquote)
        .collect()
}

#[test]
fn every_served_route_is_documented_and_every_documented_path_is_served() {
    let documented = keys(&["paths"]);
    let served: BTreeSet<String> = Route::ALL.iter().map(|r| r.path().to_owned()).collect();
    let dev_listed: Vec<&String> = documented
        .iter()
        .filter(|p| p.starts_with(DEV_ONLY_PREFIX))
        .collect();
    let undocumented: Vec<&String> = served.difference(&documented).collect();
    let unserved: Vec<&String> = documented
        .difference(&served)
        .filter(|p| !p.starts_with(DEV_ONLY_PREFIX))
        .collect();
    assert!(
        dev_listed.is_empty() && undocumented.is_empty() && unserved.is_empty(),
        "openapi.yaml and Route::ALL disagree:\n  \
         served by a Route but missing from openapi.yaml `paths`: {undocumented:?}\n  \
         in openapi.yaml `paths` but not served by any Route (not built yet?): {unserved:?}\n  \
         development-only paths that must not be listed: {dev_listed:?}"
    );
}

#[test]
fn every_path_has_operations_that_answer_405_and_500() {
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    let mut problems = Vec::new();
    for path in keys(&["paths"]) {
        let ops: Vec<String> = keys(&["paths", &path])
            .into_iter()
            .filter(|k| METHODS.contains(&k.as_str()))
            .collect();
        if ops.is_empty() {
            problems.push(format!("{path}: no operation"));
        }
        for op in ops {
            let statuses = keys(&["paths", &path, &op, "responses"]);
            for needed in ["405", "500"] {
                if !statuses.contains(needed) {
                    problems.push(format!("{op} {path}: no {needed} response"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every variant, so a new one fails to compile here until the spec knows it.
fn all_errors() -> Vec<AppError> {
    let all = vec![
        AppError::InvalidJson(String::new()),
        AppError::Validation(String::new()),
        AppError::Unauthenticated(""),
        AppError::Forbidden(""),
        AppError::NotFound,
        AppError::MethodNotAllowed { allow: "POST" },
        AppError::PayloadTooLarge,
        AppError::RequestTimeout,
        AppError::UnsupportedMediaType(""),
        AppError::RateLimited {
            retry_after_secs: 1,
        },
        AppError::Unavailable(anyhow::anyhow!("x")),
        AppError::Internal(anyhow::anyhow!("x")),
    ];
    for e in &all {
        match e {
            AppError::InvalidJson(_)
            | AppError::Validation(_)
            | AppError::Unauthenticated(_)
            | AppError::Forbidden(_)
            | AppError::NotFound
            | AppError::MethodNotAllowed { .. }
            | AppError::PayloadTooLarge
            | AppError::RequestTimeout
            | AppError::UnsupportedMediaType(_)
            | AppError::RateLimited { .. }
            | AppError::Unavailable(_)
            | AppError::Internal(_) => {}
        }
    }
    all
}

#[test]
fn error_codes_and_statuses_match_app_error() {
    let documented = list(&[
        "components",
        "schemas",
        "Error",
        "properties",
        "error",
        "properties",
        "code",
        "enum",
    ]);
    let errors = all_errors();
    let served: BTreeSet<String> = errors.iter().map(|e| e.code().to_owned()).collect();
    assert_eq!(
        documented, served,
        "Error.code enum in openapi.yaml vs AppError::code()"
    );
    for e in &errors {
        let row = format!("| {} | `{}` |", e.status().as_u16(), e.code());
        assert!(
            SPEC.contains(&row),
            "the Error table in openapi.yaml lacks the row `{row}`"
        );
    }
}

fn user(id: &str) -> UserId {
    UserId::parse("id", id).unwrap_or_else(|e| panic!("{e}"))
}

fn sample_message() -> Message {
    let cmid = ClientMessageId::parse("c1").unwrap_or_else(|e| panic!("{e}"));
    let created_at =
        Timestamp::from_unix_millis(1_795_685_400_123).unwrap_or_else(|| panic!("time"));
    Message {
        id: MessageId::from_db(812),
        conversation_id: ConversationId::from_db(7),
        seq: Seq::from_db(42),
        sender: Sender {
            id: user("u_alice"),
            name: Some("Alice".into()),
            role: None,
        },
        body: MessageBody::from_db("hi".into()),
        client_message_id: Some(cmid),
        created_at,
        reactions: vec![Reaction {
            emoji: Emoji::from_db("+1".into()),
            count: 1,
            user_ids: vec![user("u_bob")],
        }],
        reactions_version: 1,
    }
}

/// The object keys `value` serialises to.
fn json_keys(value: &impl serde::Serialize) -> BTreeSet<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        other => panic!("expected a JSON object, got {other:?}"),
    }
}

#[test]
fn schemas_have_exactly_the_fields_the_types_serialise() {
    let message = sample_message();
    let member = Member {
        id: user("u_bob"),
        name: None,
        role: Some("teacher".into()),
        online: false,
        last_seen_at: None,
        last_read_seq: Seq::ZERO,
    };
    let shapes = [
        ("Message", json_keys(&message)),
        ("Sender", json_keys(&message.sender)),
        ("Reaction", json_keys(&message.reactions[0])),
        ("Member", json_keys(&member)),
    ];
    for (name, serialised) in shapes {
        let properties = keys(&["components", "schemas", name, "properties"]);
        assert_eq!(
            properties, serialised,
            "{name}: openapi.yaml properties vs the Rust type's JSON"
        );
        // Every field is always present (null rather than absent), so all are required.
        let required = list(&["components", "schemas", name, "required"]);
        assert_eq!(
            required, serialised,
            "{name}: openapi.yaml `required` vs the Rust type's JSON"
        );
    }
}

#[test]
fn the_reader_finds_nested_keys_and_lists() {
    // Guards the helpers above: a reader that found nothing would make the other tests vacuous.
    assert!(keys(&["paths"]).contains("/api/messages/send"));
    assert!(keys(&["x-pusher-events"]).contains("pusher:member_added"));
    assert_eq!(
        list(&["components", "schemas", "Delivery", "enum"]),
        BTreeSet::from(["sent".to_owned(), "queued".to_owned()])
    );
    assert!(lookup(&["paths", "/api/nope"]).is_err());
}
