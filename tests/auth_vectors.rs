//! Known answers from the real libraries (tools/auth-vectors/mint.mjs wrote
//! tests/auth/vectors.json with @auth/core, next-auth@4, jose and
//! @supabase/ssr): every token gets the answer its library gives, with the
//! verifier's clock set to when the file was minted. A corrupted vector must
//! fail this check, and a test below proves that it does.

use http::{HeaderMap, HeaderValue, Method, header};
use messaging::auth::settings::{
    AuthJsSettings, AuthSettings, ClerkSettings, JwksSource, NextAuth4Settings, OidcSettings,
    SupabaseSettings,
};
use messaging::auth::{Authenticator, IdentityRules};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/auth/vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("tests/auth/vectors.json"))
        .expect("vectors JSON")
}

fn s(v: &Value) -> String {
    v.as_str().expect("a string").to_owned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("a list").iter().map(s).collect()
}

fn rules(mode: &Value, case: &Value) -> IdentityRules {
    IdentityRules {
        user_id_claim: case["expect"]["user_id_claim"]
            .as_str()
            .unwrap_or("sub")
            .into(),
        role_claim: mode["role_claim"].as_str().unwrap_or("role").into(),
        default_role: mode["default_role"].as_str().map(String::from),
    }
}

/// The settings a deployment of `mode` would have, for `case`.
fn settings(v: &Value, mode: &str, case: &Value) -> AuthSettings {
    let m = &v[mode];
    let mut out = AuthSettings {
        identity: rules(m, case),
        ..AuthSettings::default()
    };
    match mode {
        "authjs" => {
            let mut secrets = vec![s(&m["secret"])];
            if case["secrets"] == "current+old" {
                secrets.push(s(&m["old_secret"]));
            }
            out.authjs = Some(AuthJsSettings {
                secrets,
                cookie_names: messaging::auth::authjs::COOKIE_NAMES
                    .map(String::from)
                    .to_vec(),
            });
        }
        "nextauth4" => {
            out.nextauth4 = Some(NextAuth4Settings {
                secret: s(&m["secret"]),
            })
        }
        "clerk" => {
            out.clerk = Some(ClerkSettings {
                pem: Some(s(&m["pem"])),
                jwks_url: None,
                authorized_parties: strings(&m["authorized_parties"]),
            })
        }
        "supabase" => {
            out.supabase = Some(SupabaseSettings {
                jwt_secret: Some(s(&m["jwt_secret"])),
                url: Some(s(&m["url"])),
                jwks_json: Some(m["jwks"].to_string()),
            })
        }
        "jwks" => {
            out.oidc = Some(OidcSettings {
                jwks: JwksSource::Json(m["jwks"].to_string()),
                issuer: s(&m["issuer"]),
                audiences: vec![s(&m["audience"])],
            })
        }
        other => panic!("unknown mode {other}"),
    }
    out
}

/// The request a browser (cookies) or an API client (Bearer) would send.
fn headers(mode: &str, case: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(cookies) = case["cookies"].as_array() {
        let line: Vec<String> = cookies
            .iter()
            .map(|c| format!("{}={}", s(&c["name"]), s(&c["value"])))
            .collect();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&line.join("; ")).unwrap(),
        );
    } else if case["where"] == "cookie" {
        assert_eq!(mode, "clerk", "only Clerk puts a bare token in a cookie");
        let line = format!("__session={}", s(&case["token"]));
        h.insert(header::COOKIE, HeaderValue::from_str(&line).unwrap());
    } else {
        let line = format!("Bearer {}", s(&case["token"]));
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&line).unwrap());
    }
    h
}

const MODES: [&str; 5] = ["authjs", "nextauth4", "clerk", "supabase", "jwks"];

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

/// Verification cost per mode, µs per request (p50/p99), on one core:
/// `cargo test --release --test auth_vectors -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a benchmark: prints figures"]
async fn bench_verification_cost_per_mode() {
    let v = vectors();
    let now = v["now"].as_u64().unwrap();
    let pick = |mode: &str, label: &str| {
        v[mode]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == label)
            .unwrap_or_else(|| panic!("{mode}: {label}"))
            .clone()
    };
    let runs = [
        (
            "Auth.js v5 cookie (JWE A256CBC-HS512)",
            "authjs",
            pick("authjs", "valid"),
        ),
        (
            "Auth.js v5, 5 chunks",
            "authjs",
            pick("authjs", "chunked (a large session)"),
        ),
        (
            "NextAuth v4 cookie (JWE A256GCM)",
            "nextauth4",
            pick("nextauth4", "valid"),
        ),
        (
            "Clerk RS256 (PEM)",
            "clerk",
            pick("clerk", "valid (Bearer)"),
        ),
        (
            "Supabase HS256",
            "supabase",
            pick("supabase", "valid HS256 (legacy secret)"),
        ),
        (
            "Supabase ES256 (JWKS)",
            "supabase",
            pick("supabase", "valid ES256 (JWKS)"),
        ),
        (
            "Supabase cookie, base64-, chunked",
            "supabase",
            pick("supabase", "cookie, base64- encoded and chunked"),
        ),
        ("OIDC RS256 (JWKS)", "jwks", pick("jwks", "valid RS256")),
        ("OIDC ES256 (JWKS)", "jwks", pick("jwks", "valid ES256")),
    ];
    let session = messaging::config::SessionConfig::new(
        b"bench-session-secret-0123456789abcdef".to_vec(),
        "session",
    );
    let hs_token = messaging::auth::issue(
        &messaging::auth::Claims {
            sub: "u_bench".into(),
            exp: 4_000_000_000,
            name: None,
            role: None,
        },
        &session.secret,
    )
    .unwrap();
    let mut hs_headers = HeaderMap::new();
    hs_headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {hs_token}")).unwrap(),
    );
    let hs_auth = Authenticator::new(Some(&session), &AuthSettings::default()).unwrap();
    let mut table = vec![(
        "our HS256 token (SESSION_SECRET)".to_owned(),
        measure(&hs_auth, &hs_headers, 4_000_000_000 - 10).await,
    )];
    for (name, mode, case) in runs {
        let auth = Authenticator::new(None, &settings(&v, mode, &case)).unwrap();
        table.push((
            name.to_owned(),
            measure(&auth, &headers(mode, &case), now).await,
        ));
    }
    println!("\n| mode | p50 µs | p99 µs |\n|---|---|---|");
    for (name, (p50, p99)) in table {
        println!("| {name} | {p50:.1} | {p99:.1} |");
    }
}

async fn measure(auth: &Authenticator, h: &HeaderMap, now: u64) -> (f64, f64) {
    for _ in 0..200 {
        auth.authenticate(&Method::GET, h, now)
            .await
            .expect("accepted");
    }
    let mut samples = Vec::with_capacity(3000);
    for _ in 0..3000 {
        let t = std::time::Instant::now();
        let user = auth.authenticate(&Method::GET, h, now).await;
        samples.push(t.elapsed().as_secs_f64() * 1e6);
        assert!(user.is_ok());
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    )
}
