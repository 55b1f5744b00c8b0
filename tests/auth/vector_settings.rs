//! The deployment settings and the request for each vector of
//! tests/auth/vectors.json, shared by the known-answer test
//! (tests/auth_vectors.rs) and the verification-cost benchmark
//! (benches/auth.rs).
#![allow(dead_code)]

use http::{HeaderMap, HeaderValue, header};
use messaging::auth::IdentityRules;
use messaging::auth::settings::{
    AuthJsSettings, AuthSettings, ClerkSettings, JwksSource, NextAuth4Settings, OidcSettings,
    SupabaseSettings,
};
use serde_json::Value;

pub fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/auth/vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("tests/auth/vectors.json"))
        .expect("vectors JSON")
}

pub fn s(v: &Value) -> String {
    v.as_str().expect("a string").to_owned()
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("a list").iter().map(s).collect()
}

pub fn rules(mode: &Value, case: &Value) -> IdentityRules {
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
pub fn settings(v: &Value, mode: &str, case: &Value) -> AuthSettings {
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
pub fn headers(mode: &str, case: &Value) -> HeaderMap {
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

pub const MODES: [&str; 5] = ["authjs", "nextauth4", "clerk", "supabase", "jwks"];
