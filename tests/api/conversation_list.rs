//! GET /api/conversations: keyset pages, titles nobody can forge, and muting.

use crate::support::{TestApp, assert_error};
use messaging::auth::Claims;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<i64> {
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_list_comes_in_pages_by_last_activity_with_an_opaque_cursor() {
    let t = TestApp::start().await;
    let mut convs = Vec::new();
    for i in 0..5 {
        convs.push(t.conversation("u_alice", &format!("u_p{i}")).await);
    }
    // Activity order, newest first: 2 (a message), then by creation 4, 3, 1, 0.
    t.send("u_p2", convs[2], "hello").await;
    let expected = vec![convs[2], convs[4], convs[3], convs[1], convs[0]];
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            None => "/api/conversations?limit=2".to_owned(),
            Some(c) => format!("/api/conversations?limit=2&cursor={c}"),
        };
        let (s, page) = t.get(&query, Some("u_alice")).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        pages += 1;
        assert!(ids(&page).len() <= 2);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                break;
            }
        }
    }
    assert_eq!((seen, pages), (expected.clone(), 3));
    // Without a limit: 50 by default, all of them here, and no next page.
    let (_, all) = t.get("/api/conversations", Some("u_alice")).await;
    assert_eq!(ids(&all), expected);
    assert!(all["next_cursor"].is_null());
    // A full last page that ends exactly at the end has no next cursor either.
    let (_, five) = t.get("/api/conversations?limit=5", Some("u_alice")).await;
    assert!(five["next_cursor"].is_null(), "{five}");
    for bad in [
        "limit=0",
        "limit=101",
        "limit=x",
        "cursor=not-a-cursor",
        "cursor=YzEuMS4w",
    ] {
        let (s, b) = t
            .get(&format!("/api/conversations?{bad}"), Some("u_alice"))
            .await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
        let field = bad.split('=').next().unwrap();
        assert!(
            b["error"]["message"].as_str().unwrap().contains(field),
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_two_person_conversation_shows_each_side_the_others_name_whatever_title_was_given() {
    let t = TestApp::start().await;
    t.login("u_alice").await;
    t.login("u_bob").await;
    let (s, b) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_bob"], "title": "Your account is locked: visit evil.example"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["conversation"]["title"], "Bob");
    let (_, bob) = t.get("/api/conversations", Some("u_bob")).await;
    assert_eq!(bob["conversations"][0]["title"], "Alice");
    // Groups keep the title their creator, now their owner, gave.
    t.login("u_eve").await;
    let (s, g) = t
        .post(
            "/api/conversations",
            Some("u_eve"),
            json!({"member_ids": ["u_alice", "u_bob"], "title": "\u{202E}Study\u{200B} group\u{FEFF}"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert_eq!(g["conversation"]["title"], "Study group");
    let group = g["conversation"]["id"].as_i64().unwrap();
    let owner = t
        .db
        .raw()
        .await
        .query_one(
            "SELECT user_id FROM conversation_members WHERE conversation_id = $1 AND role = 'owner'",
            &[&group],
        )
        .await
        .unwrap()
        .get::<_, String>(0);
    assert_eq!(owner, "u_eve");
}

#[tokio::test]
async fn names_from_session_claims_lose_bidi_overrides_and_zero_width_characters() {
    let t = TestApp::start().await;
    let spoof = t.token_with(&Claims {
        sub: "u_mallory".into(),
        exp: crate::support::now_secs() + 600,
        name: Some("\u{202E}rehcaeT\u{202C} \u{200B}Ms\u{2060} Smith\u{FEFF}".into()),
        role: Some("student".into()),
    });
    let (s, _) = crate::support::read(
        t.http
            .get(format!("{}/api/conversations", t.base))
            .bearer_auth(&spoof)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    t.login("u_alice").await;
    let (_, b) = t
        .post(
            "/api/conversations",
            Some("u_alice"),
            json!({"member_ids": ["u_mallory"]}),
        )
        .await;
    assert_eq!(b["conversation"]["title"], "rehcaeT Ms Smith");
    let mallory = b["conversation"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "u_mallory")
        .unwrap()
        .clone();
    assert_eq!(mallory["name"], "rehcaeT Ms Smith");
}

#[tokio::test]
async fn a_member_mutes_and_unmutes_for_themselves_only() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let mut alice = t.subscriber("u_alice", "private-user-u_alice").await;
    let mute =
        |user: &'static str, body: Value| t.post("/api/conversations/mute", Some(user), body);
    let (s, b) = mute("u_alice", json!({"conversation_id": c, "muted": true})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, json!({"conversation_id": c, "muted": true}));
    assert_eq!(
        alice.expect("membership-updated").await.data_json(),
        json!({"conversation_id": c, "left": false, "muted": true})
    );
    let (_, a) = t.get("/api/conversations", Some("u_alice")).await;
    assert_eq!(a["conversations"][0]["muted"], true);
    let (_, b) = t.get("/api/conversations", Some("u_bob")).await;
    assert_eq!(b["conversations"][0]["muted"], false);
    let (_, b) = mute("u_alice", json!({"conversation_id": c, "muted": false})).await;
    assert_eq!(b["muted"], false);
    let (_, a) = t.get("/api/conversations", Some("u_alice")).await;
    assert_eq!(a["conversations"][0]["muted"], false);
    for body in [
        json!({"conversation_id": c}),
        json!({"conversation_id": c, "muted": "yes"}),
        json!({"muted": true}),
    ] {
        let (s, b) = mute("u_alice", body).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
    }
    t.login("u_eve").await;
    let (s, b) = mute("u_eve", json!({"conversation_id": c, "muted": true})).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
}
