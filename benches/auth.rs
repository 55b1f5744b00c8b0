//! Verification cost per identity mode, µs per request (p50/p99), on one
//! core, with the real tokens of tests/auth/vectors.json: `cargo run --release
//! --example auth_cost` (scripts/bench runs it too). Plus the size of each release function
//! binary, when target/release holds them.

#[path = "../tests/auth/vector_settings.rs"]
mod vector_settings;

use http::{HeaderMap, HeaderValue, Method, header};
use messaging::auth::Authenticator;
use messaging::auth::settings::AuthSettings;
use vector_settings::{headers, settings, vectors};

#[tokio::main(flavor = "current_thread")]
async fn main() {
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
    binary_sizes();
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

/// Every api/**/*.rs binary in target/release, by size (Vercel's limit is far
/// above; ours is 8 MB each).
fn binary_sizes() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("Cargo.toml");
    let mut name = None;
    let mut sizes = Vec::new();
    for line in manifest.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        }
        if line.starts_with("path = \"api/") {
            if let Some(n) = name.take() {
                let path = format!("{}/target/release/{n}", env!("CARGO_MANIFEST_DIR"));
                if let Ok(meta) = std::fs::metadata(&path) {
                    sizes.push((n, meta.len()));
                }
            }
        }
    }
    if sizes.is_empty() {
        println!(
            "\n(no release function binaries in target/release: `cargo build --release --bins` first for their sizes)"
        );
        return;
    }
    sizes.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    println!("\n| function binary | bytes | target |\n|---|---|---|");
    for (n, size) in sizes {
        let verdict = if size <= 8_000_000 {
            "≤ 8 MB: met"
        } else {
            "≤ 8 MB: MISSED"
        };
        println!("| {n} | {size} | {verdict} |");
    }
}
