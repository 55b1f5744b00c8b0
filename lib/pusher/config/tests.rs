use super::*;

const BASE: [(&str, &str); 3] = [
    ("PUSHER_APP_ID", "1001"),
    ("PUSHER_SECRET", "s3cr3t-value"),
    ("NEXT_PUBLIC_PUSHER_KEY", "the-key"),
];

fn config(extra: &[(&'static str, &'static str)]) -> Result<PusherConfig, ConfigError> {
    PusherConfig::from_env(&Env::from_pairs(BASE.iter().chain(extra).copied()))
}

#[test]
fn a_cluster_means_the_official_api_host() {
    let config = config(&[("NEXT_PUBLIC_PUSHER_CLUSTER", "eu")]).unwrap();
    assert_eq!(config.base_url(), "https://api-eu.pusher.com");
    assert_eq!(config.cluster(), Some("eu"));
    assert_eq!(config.timeout(), Duration::from_millis(2000));
    assert!(config.master_key().is_none());
}

#[test]
fn a_host_means_a_self_hosted_server() {
    let config = config(&[
        ("NEXT_PUBLIC_PUSHER_CLUSTER", "mt1"),
        ("PUSHER_HOST", "127.0.0.1"),
        ("PUSHER_PORT", "6001"),
        ("PUSHER_SCHEME", "http"),
        ("PUSHER_TIMEOUT_MS", "500"),
    ])
    .unwrap();
    assert_eq!(config.base_url(), "http://127.0.0.1:6001");
    assert_eq!(config.timeout(), Duration::from_millis(500));
    let https = self::config(&[("PUSHER_HOST", "pusher.example.com")]).unwrap();
    assert_eq!(https.base_url(), "https://pusher.example.com");
}

#[test]
fn each_bad_variable_is_named() {
    let cases: [(&[(&str, &str)], &str); 9] = [
        (&[], "NEXT_PUBLIC_PUSHER_CLUSTER"),
        (&[("PUSHER_HOST", "http://x")], "PUSHER_HOST"),
        (&[("PUSHER_HOST", "x"), ("PUSHER_PORT", "0")], "PUSHER_PORT"),
        (
            &[("PUSHER_HOST", "x"), ("PUSHER_PORT", "70000")],
            "PUSHER_PORT",
        ),
        (
            &[("PUSHER_HOST", "x"), ("PUSHER_SCHEME", "ftp")],
            "PUSHER_SCHEME",
        ),
        (
            &[("NEXT_PUBLIC_PUSHER_CLUSTER", "eu/x")],
            "NEXT_PUBLIC_PUSHER_CLUSTER",
        ),
        (
            &[
                ("NEXT_PUBLIC_PUSHER_CLUSTER", "eu"),
                ("PUSHER_TIMEOUT_MS", "0"),
            ],
            "PUSHER_TIMEOUT_MS",
        ),
        (
            &[
                ("NEXT_PUBLIC_PUSHER_CLUSTER", "eu"),
                ("PUSHER_TIMEOUT_MS", "soon"),
            ],
            "PUSHER_TIMEOUT_MS",
        ),
        (
            &[
                ("NEXT_PUBLIC_PUSHER_CLUSTER", "eu"),
                ("PUSHER_APP_ID", "1/2"),
            ],
            "PUSHER_APP_ID",
        ),
    ];
    for (extra, variable) in cases {
        let pairs: Vec<(&str, &str)> = BASE
            .iter()
            .copied()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .chain(extra.iter().copied())
            .collect();
        let err = PusherConfig::from_env(&Env::from_pairs(pairs)).unwrap_err();
        assert_eq!(err.variable, variable, "{extra:?}");
    }
    for missing in ["PUSHER_APP_ID", "PUSHER_SECRET", "NEXT_PUBLIC_PUSHER_KEY"] {
        let pairs = BASE
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .chain([("NEXT_PUBLIC_PUSHER_CLUSTER", "eu")]);
        assert_eq!(
            PusherConfig::from_env(&Env::from_pairs(pairs))
                .unwrap_err()
                .variable,
            missing
        );
    }
}

#[test]
fn master_keys_are_checked_and_never_shown() {
    let bad = "c2hvcnQta2V5LW1hdGVyaWFs";
    let err = config(&[
        ("NEXT_PUBLIC_PUSHER_CLUSTER", "eu"),
        ("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", bad),
    ])
    .unwrap_err();
    assert_eq!(err.variable, "PUSHER_ENCRYPTION_MASTER_KEY_BASE64");
    assert!(!err.to_string().contains(bad));
    let good = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let config = config(&[
        ("NEXT_PUBLIC_PUSHER_CLUSTER", "eu"),
        ("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", good),
    ])
    .unwrap();
    assert!(config.master_key().is_some());
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("s3cr3t-value") && !debug.contains(good),
        "{debug}"
    );
    assert!(debug.contains("the-key"));
}
