//! Known-answer conformance with the official Node library (pusher 5.3.4):
//! every entry of every section of the repository's vectors
//! (`tests/conformance/vectors.json`, written by `tools/pusher-vectors`) and
//! of every further file in `PUSHER_VECTORS` (colon-separated). An entry this
//! test does not understand fails; nothing is skipped. Run with
//! `cargo test conformance`.

#[path = "conformance/answers.rs"]
mod answers;
#[path = "conformance/rest.rs"]
mod rest;
#[path = "conformance/rest_build.rs"]
mod rest_build;
#[path = "conformance/support.rs"]
mod support;
#[path = "conformance/validation.rs"]
mod validation;

use serde_json::Value;
use support::{Check, Credentials, VectorFile, vector_files};

const SECTIONS: &[&str] = &["rest", "auth", "webhooks", "encryption", "validation"];
const TOP_LEVEL: &[&str] = &[
    "schema_version",
    "set",
    "description",
    "generator",
    "credentials",
    "rest",
    "auth",
    "webhooks",
    "encryption",
    "validation",
];

/// Runs `check` on every entry of `section` in every file; fails listing
/// every entry that did not conform, and when a file has no such entries.
fn run_section(section: &str, check: impl Fn(&Credentials, &Value) -> Check) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in vector_files() {
        let creds = match Credentials::from_file(&file) {
            Ok(creds) => creds,
            Err(e) => {
                failures.push(format!("{}: credentials: {e}", file.path.display()));
                continue;
            }
        };
        for (id, entry) in entries(&file, section) {
            checked += 1;
            if let Err(e) = check(&creds, &entry) {
                failures.push(format!("{} [{section}.{id}]: {e}", file.path.display()));
            }
        }
    }
    eprintln!(
        "{section}: {checked} entries checked, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} non-conforming entries:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A section is an object of named entries, or (validation) an array;
/// a file may leave a section out, but not give it another shape.
fn entries(file: &VectorFile, section: &str) -> Vec<(String, Value)> {
    match &file.root[section] {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect(),
        Value::Null => Vec::new(),
        other => panic!(
            "{}: section `{section}` is neither an object nor an array: {other}",
            file.path.display()
        ),
    }
}

#[test]
fn conformance_files_hold_only_known_sections() {
    for file in vector_files() {
        let name = file.path.display();
        assert_eq!(
            file.root["schema_version"], 1,
            "{name}: unknown schema_version"
        );
        let keys: Vec<&String> = file
            .root
            .as_object()
            .expect("a vector file is an object")
            .keys()
            .collect();
        for key in keys {
            assert!(
                TOP_LEVEL.contains(&key.as_str()),
                "{name}: unknown top-level section `{key}`"
            );
        }
        let total: usize = SECTIONS.iter().map(|s| entries(&file, s).len()).sum();
        assert!(total > 0, "{name}: no vectors at all");
    }
}

#[test]
fn conformance_rest_requests() {
    run_section("rest", rest::check);
}

#[test]
fn conformance_channel_and_user_auth() {
    run_section("auth", answers::check_auth);
}

#[test]
fn conformance_webhooks() {
    run_section("webhooks", answers::check_webhook);
}

#[test]
fn conformance_encryption() {
    run_section("encryption", |_, entry| answers::check_encryption(entry));
}

#[test]
fn conformance_validation_messages() {
    run_section("validation", validation::check);
}
