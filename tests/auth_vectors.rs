//! Known answers from the real libraries (tools/auth-vectors/mint.mjs wrote
//! tests/auth/vectors.json with @auth/core, next-auth@4, jose and
//! @supabase/ssr): every token gets the answer its library gives, with the
//! verifier's clock set to when the file was minted. A corrupted vector must
//! fail this check, and a test below proves that it does.

#[path = "auth/vector_settings.rs"]
mod vector_settings;

use http::Method;
use messaging::auth::Authenticator;
use serde_json::Value;
use vector_settings::{MODES, headers, s, settings, vectors};

/// Cases where we are deliberately stricter than the library's decoder.
fn stricter_than_the_library(label: &str) -> bool {
    label == "no sub claim" || label == "a subject that is not a valid user id"
}

/// Every disagreement between our verifier and the known answers.
async fn check(v: &Value) -> Vec<String> {
    let now = v["now"].as_u64().expect("now");
    let mut failures = Vec::new();
    for mode in MODES {
        for case in v[mode]["cases"].as_array().expect("cases") {
            let label = format!("{mode}: {}", s(&case["label"]));
            let auth = match Authenticator::new(None, &settings(v, mode, case)) {
                Ok(a) => a,
                Err(e) => {
                    failures.push(format!("{label}: settings refused: {e}"));
                    continue;
                }
            };
            let got = auth
                .authenticate(&Method::GET, &headers(mode, case), now)
                .await;
            let expect = &case["expect"];
            match (expect.is_null(), got) {
                (true, Ok(user)) => {
                    failures.push(format!("{label}: accepted as {}", user.id.as_str()))
                }
                (true, Err(e)) if e.status() != 401 => failures.push(format!(
                    "{label}: refused with {} instead of 401",
                    e.status()
                )),
                (true, Err(_)) => {}
                (false, Err(e)) => failures.push(format!("{label}: refused: {e}")),
                (false, Ok(user)) => {
                    let mut want = vec![("sub", Some(user.id.as_str().to_owned()))];
                    want.push(("name", user.name.clone()));
                    want.push(("role", user.role.clone()));
                    for (field, have) in want {
                        if let Some(w) = expect.get(field).filter(|_| field != "user_id_claim") {
                            if have.as_deref() != w.as_str() {
                                failures
                                    .push(format!("{label}: {field} is {have:?}, expected {w}"));
                            }
                        }
                    }
                }
            }
            // Our verdict is the library's, except where we are stricter on purpose.
            if let Some(library) = case["library"].as_bool() {
                if library == expect.is_null() && !stricter_than_the_library(&s(&case["label"])) {
                    failures.push(format!(
                        "{label}: the library says {library}, the vector expects otherwise"
                    ));
                }
            }
        }
    }
    failures
}

#[tokio::test]
async fn every_vector_from_the_real_libraries_gets_its_known_answer() {
    let v = vectors();
    let total: usize = MODES
        .iter()
        .map(|m| v[*m]["cases"].as_array().unwrap().len())
        .sum();
    assert!(total >= 50, "only {total} vectors");
    let failures = check(&v).await;
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Flips one character in the middle of `text`.
fn corrupt(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'x' { 'y' } else { 'x' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn a_corrupted_vector_makes_the_known_answer_test_fail() {
    let v = vectors();
    let mut checked = 0;
    for mode in MODES {
        let n = v[mode]["cases"].as_array().unwrap().len();
        for i in 0..n {
            if v[mode]["cases"][i]["expect"].is_null() {
                continue;
            }
            let mut bad = v.clone();
            let case = &mut bad[mode]["cases"][i];
            if let Some(cookies) = case["cookies"].as_array_mut() {
                let last = cookies.last_mut().unwrap();
                last["value"] = corrupt(last["value"].as_str().unwrap()).into();
            } else {
                case["token"] = corrupt(case["token"].as_str().unwrap()).into();
            }
            let failures = check(&bad).await;
            let label = v[mode]["cases"][i]["label"].as_str().unwrap();
            assert!(
                failures
                    .iter()
                    .any(|f| f.starts_with(&format!("{mode}: {label}"))),
                "corrupting {mode}: {label} went unnoticed"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
    // A wrong expectation is noticed too.
    let mut bad = v.clone();
    bad["authjs"]["cases"][0]["expect"]["sub"] = "u_someone_else".into();
    assert!(!check(&bad).await.is_empty());
}
