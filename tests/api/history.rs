//! GET /api/messages/history

use crate::support::{TestApp, assert_error};
use reqwest::StatusCode;

async fn seqs(t: &TestApp, c: i64, query: &str) -> (Vec<i64>, bool) {
    let (s, b) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}{query}"),
            Some("u_alice"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let seqs = b["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    (seqs, b["has_more"].as_bool().unwrap())
}

#[tokio::test]
async fn history_pages_latest_before_and_after_with_has_more() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    assert_eq!(seqs(&t, c, "").await, (vec![], false));
    for i in 1..=7 {
        t.send(
            if i % 2 == 0 { "u_bob" } else { "u_alice" },
            c,
            &format!("m{i}"),
        )
        .await;
    }
    assert_eq!(seqs(&t, c, "").await, ((1..=7).collect(), false));
    assert_eq!(seqs(&t, c, "&limit=3").await, (vec![5, 6, 7], true));
    assert_eq!(seqs(&t, c, "&limit=7").await, ((1..=7).collect(), false));
    assert_eq!(
        seqs(&t, c, "&before=5&limit=3").await,
        (vec![2, 3, 4], true)
    );
    assert_eq!(
        seqs(&t, c, "&before=4&limit=3").await,
        (vec![1, 2, 3], false)
    );
    assert_eq!(seqs(&t, c, "&before=1").await, (vec![], false));
    assert_eq!(seqs(&t, c, "&after=0&limit=3").await, (vec![1, 2, 3], true));
    assert_eq!(
        seqs(&t, c, "&after=4&limit=3").await,
        (vec![5, 6, 7], false)
    );
    assert_eq!(seqs(&t, c, "&after=7").await, (vec![], false));
    assert_eq!(
        seqs(&t, c, "&after=2&limit=100").await,
        ((3..=7).collect(), false)
    );
}

#[tokio::test]
async fn history_returns_404_to_a_non_member() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.send("u_alice", c, "secret").await;
    t.login("u_eve").await;
    let (s, b) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}"),
            Some("u_eve"),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    let (s, b) = t
        .get(
            "/api/messages/history?conversation_id=424242",
            Some("u_eve"),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn bad_history_queries_are_refused_naming_the_field() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let cases = [
        ("".to_owned(), "conversation_id"),
        ("conversation_id=abc".to_owned(), "conversation_id"),
        (format!("conversation_id={c}&before=1&after=2"), "before"),
        (format!("conversation_id={c}&before=-1"), "before"),
        (format!("conversation_id={c}&after=x"), "after"),
        (format!("conversation_id={c}&limit=0"), "limit"),
        (format!("conversation_id={c}&limit=101"), "limit"),
    ];
    for (query, field) in cases {
        let (s, b) = t
            .get(&format!("/api/messages/history?{query}"), Some("u_alice"))
            .await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
        assert!(
            b["error"]["message"].as_str().unwrap().contains(field),
            "{query}: {b}"
        );
    }
    let (s, _) = t
        .get(
            &format!("/api/messages/history?conversation_id={c}&limit=100"),
            Some("u_alice"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}
