//! What a Vercel deploy uploads: local secrets never.

/// `.vercelignore` uses .gitignore rules; these patterns need only `*` and a leading `**/`.
fn ignored(patterns: &[&str], path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    patterns.iter().any(|p| {
        let p = p.trim_end_matches('/');
        match p.strip_prefix("**/") {
            Some(rest) => glob(rest, base),
            None if p.contains('/') => glob(p.trim_start_matches('/'), path),
            None => glob(p, base),
        }
    })
}

fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
    }
}

#[test]
fn vercelignore_keeps_env_files_out_of_a_deploy() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.vercelignore"))
        .expect(".vercelignore");
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for secret in [
        ".env",
        ".env.local",
        ".env.production",
        "app/.env",
        "tools/x/.env.local",
    ] {
        assert!(ignored(&patterns, secret), "{secret} would be uploaded");
    }
    for kept in [
        "Cargo.toml",
        "api/messages/send.rs",
        "lib/config.rs",
        "environment.md",
    ] {
        assert!(!ignored(&patterns, kept), "{kept} would be left out");
    }
}
