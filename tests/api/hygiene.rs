//! Request hygiene on every route: 405, 415, 400, 413, 404, 503.

use crate::support::{TestApp, assert_error, config_for, read};
use messaging::routes::Route;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn wrong_methods_get_405_with_allow_on_every_route() {
    let t = TestApp::start().await;
    for route in Route::ALL {
        let resp = t
            .http
            .request(reqwest::Method::PUT, format!("{}{}", t.base, route.path()))
            .send()
            .await
            .unwrap();
        let allow = resp
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let (s, b) = read(resp).await;
        assert_error(s, &b, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        let allow = allow.unwrap_or_else(|| panic!("{} has no Allow header", route.path()));
        assert!(allow.contains("POST") || allow.contains("GET"), "{allow}");
    }
}

#[tokio::test]
async fn bodies_in_the_wrong_content_type_get_415() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    for (path, ct) in [
        ("/api/messages/send", "text/plain"),
        ("/api/messages/send", "application/x-www-form-urlencoded"),
        ("/api/conversations", "text/plain"),
        ("/api/pusher/auth", "text/plain"),
    ] {
        let req = t
            .http
            .post(format!("{}{path}", t.base))
            .bearer_auth(t.token("u_alice"))
            .header("content-type", ct)
            .body(format!(r#"{{"conversation_id":{c},"body":"x"}}"#));
        let (s, b) = read(req.send().await.unwrap()).await;
        assert_error(
            s,
            &b,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    }
    // A charset parameter is fine.
    let req = t
        .http
        .post(format!("{}/api/messages/send", t.base))
        .bearer_auth(t.token("u_alice"))
        .header("content-type", "application/json; charset=utf-8")
        .body(format!(r#"{{"conversation_id":{c},"body":"x"}}"#));
    assert_eq!(req.send().await.unwrap().status(), StatusCode::CREATED);
}

#[tokio::test]
async fn malformed_json_and_non_utf8_get_400_invalid_json() {
    let t = TestApp::start().await;
    t.login("u_alice").await;
    for body in [
        b"{".to_vec(),
        b"not json".to_vec(),
        vec![0xff, 0xfe, b'{', b'}'],
        b"".to_vec(),
    ] {
        let req = t
            .http
            .post(format!("{}/api/messages/send", t.base))
            .bearer_auth(t.token("u_alice"))
            .header("content-type", "application/json")
            .body(body);
        let (s, b) = read(req.send().await.unwrap()).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_json");
    }
    let (s, b) = t
        .post("/api/messages/send", Some("u_alice"), json!([1, 2]))
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "validation_failed");
}

#[tokio::test]
async fn bodies_over_64_kib_get_413_and_exactly_64_kib_is_accepted() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let json_of_size = |n: usize| {
        let head = format!(r#"{{"conversation_id":{c},"body":"exactly"}}"#);
        format!("{head}{}", " ".repeat(n - head.len()))
    };
    let post = |body: String| {
        t.http
            .post(format!("{}/api/messages/send", t.base))
            .bearer_auth(t.token("u_alice"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let resp = post(json_of_size(65_536)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (s, b) = read(
        post(json_of_size(65_537))
            .await
            .expect("a response, not a reset"),
    )
    .await;
    assert_error(s, &b, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let (s, b) = read(
        post(json_of_size(3_000_000))
            .await
            .expect("a response, not a reset"),
    )
    .await;
    assert_error(s, &b, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Streamed without a Content-Length: the limit still holds.
    let chunks: Vec<Result<http_body::Frame<bytes::Bytes>, std::io::Error>> = (0..20)
        .map(|_| Ok(http_body::Frame::data(bytes::Bytes::from(vec![b' '; 8192]))))
        .collect();
    let req = t
        .http
        .post(format!("{}/api/messages/send", t.base))
        .bearer_auth(t.token("u_alice"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap(http_body_util::StreamBody::new(
            futures_util::stream::iter(chunks),
        )));
    let (s, b) = read(req.send().await.expect("a response")).await;
    assert_error(s, &b, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM messages").await, 1);
}

#[tokio::test]
async fn unknown_paths_get_the_json_404() {
    let t = TestApp::start().await;
    for path in [
        "/api/nope",
        "/",
        "/api/messages",
        "/api/messages/send/extra",
    ] {
        let (s, b) = t.get(path, Some("u_alice")).await;
        assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_gives_503_unavailable() {
    let t = TestApp::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = messaging::app::App::new(config_for(
        &format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        &t.sockudo,
    ))
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(messaging::server::serve_app(listener, app));
    let req = t
        .http
        .get(format!("{base}/api/conversations"))
        .bearer_auth(t.token("u_alice"));
    let (s, b) = read(req.send().await.unwrap()).await;
    assert_error(s, &b, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        !b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "no internals: {b}"
    );
    server.abort();
}
