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

/// A raw connection to a server with short limits; returns how long until it was closed.
async fn closed_after(
    options: messaging::server::ServeOptions,
    send: &[u8],
) -> std::time::Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(messaging::server::serve_with(
        listener,
        options,
        |req| async move {
            match messaging::http::Request::read_within(req, std::time::Duration::from_millis(400))
                .await
            {
                Ok(_) => messaging::http::json(http::StatusCode::OK, &json!({"ok": true})),
                Err(e) => messaging::http::error_response(&e),
            }
        },
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(send).await.unwrap();
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut seen),
    )
    .await;
    server.abort();
    assert!(read.is_ok(), "the connection was still open after 10 s");
    if send.ends_with(b"{\"a\"") {
        let text = String::from_utf8_lossy(&seen);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("request_timeout"), "{text}");
    }
    started.elapsed()
}

#[tokio::test]
async fn slow_clients_are_cut_off_while_reading_headers_and_bodies() {
    let options = messaging::server::ServeOptions {
        header_read: std::time::Duration::from_millis(400),
    };
    // Half a request head, then nothing.
    let head = closed_after(options, b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await;
    assert!(head < std::time::Duration::from_secs(3), "{head:?}");
    // A whole head announcing 100 bytes, then 4 of them.
    let body = closed_after(
        options,
        b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\"",
    )
    .await;
    assert!(body < std::time::Duration::from_secs(3), "{body:?}");
}

#[test]
fn the_default_limits_are_generous_but_finite() {
    let d = messaging::server::ServeOptions::default();
    assert!(
        d.header_read >= std::time::Duration::from_secs(5)
            && d.header_read <= std::time::Duration::from_secs(30)
    );
    let b = messaging::http::BODY_READ_TIMEOUT;
    assert!(b >= std::time::Duration::from_secs(5) && b <= std::time::Duration::from_secs(30));
}
