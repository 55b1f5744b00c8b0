//! Sign-in that the Next.js app already has, through the full stack: the
//! functions run without SESSION_SECRET, with Auth.js's AUTH_SECRET only (a
//! cookie minted by @auth/core), or with a JWKS issuer served locally (RS256).

use crate::support::{TestApp, assert_error, read};
use messaging::auth::settings::{AuthJsSettings, AuthSettings, JwksSource, OidcSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/auth/vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("tests/auth/vectors.json"))
        .expect("vectors JSON")
}

/// A browser on our own page: the cookie, and the Origin it sends with every POST.
struct Browser<'a> {
    t: &'a TestApp,
    cookie: String,
}

impl Browser<'_> {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let req = self
            .t
            .http
            .get(format!("{}{path}", self.t.base))
            .header("cookie", &self.cookie);
        read(req.send().await.unwrap()).await
    }

    async fn post(&self, path: &str, origin: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self
            .t
            .http
            .post(format!("{}{path}", self.t.base))
            .header("cookie", &self.cookie)
            .json(&body);
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        read(req.send().await.unwrap()).await
    }
}

#[tokio::test]
async fn an_auth_js_cookie_alone_signs_in_subscribes_sends_and_reads_history() {
    let v = vectors();
    let a = &v["authjs"];
    let settings = AuthSettings {
        authjs: Some(AuthJsSettings {
            secrets: vec![a["secret"].as_str().unwrap().to_owned()],
            cookie_names: messaging::auth::authjs::COOKIE_NAMES
                .map(String::from)
                .to_vec(),
        }),
        ..AuthSettings::default()
    };
    let t = TestApp::start_configured(move |c| {
        c.session = None;
        c.auth = settings;
    })
    .await;
    let name = a["e2e"]["cookie_name"].as_str().unwrap();
    let cookie = |user: &str| format!("{name}={}", a["e2e"]["users"][user].as_str().unwrap());
    let erin = Browser {
        t: &t,
        cookie: cookie("u_authjs_e2e"),
    };
    let bob = Browser {
        t: &t,
        cookie: cookie("u_authjs_bob"),
    };
    let ours = t.base.clone();

    // Reads need no Origin; the user row comes from the session's claims.
    let (s, b) = bob.get("/api/conversations").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = erin
        .post(
            "/api/conversations",
            Some(&ours),
            json!({"member_ids": ["u_authjs_bob"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let c = b["conversation"]["id"].as_i64().unwrap();
    let members = b["conversation"]["members"].as_array().unwrap();
    let me = members.iter().find(|m| m["id"] == "u_authjs_e2e").unwrap();
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str()),
        (Some("Erin Authjs"), Some("student"))
    );

    // pusher-js's channel auth from our own page, with the cookie.
    let channel = format!("private-conversation-{c}");
    let mut ws = crate::ws::WsClient::connect(&t.sockudo.ws_url()).await;
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("socket_id", ws.socket_id.as_str())
        .append_pair("channel_name", &channel)
        .finish();
    let auth_req = |origin: &str| {
        t.http
            .post(format!("{}/api/pusher/auth", t.base))
            .header("cookie", &bob.cookie)
            .header("origin", origin.to_owned())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
    };
    let (s, auth) = read(auth_req(&ours).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{auth}");
    ws.send(
        json!({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth["auth"]}}),
    )
    .await;
    ws.expect("pusher_internal:subscription_succeeded").await;
    let (s, b) = read(auth_req("https://evil.example").send().await.unwrap()).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");

    // Send from our page (fetch sends Sec-Fetch-Site: same-origin), delivered live.
    let req = t
        .http
        .post(format!("{}/api/messages/send", t.base))
        .header("cookie", &erin.cookie)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"conversation_id": c, "body": "hello from Auth.js"}));
    let (s, sent) = read(req.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    assert_eq!(ws.expect("new-message").await.data_json(), sent["message"]);
    let (s, page) = bob
        .get(&format!("/api/messages/history?conversation_id={c}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == "hello from Auth.js")
    );

    // A cross-site page making the browser POST with the cookie is refused, and nothing is stored.
    for origin in [Some("https://evil.example"), Some("null"), None] {
        let (s, b) = erin
            .post(
                "/api/messages/send",
                origin,
                json!({"conversation_id": c, "body": "forged"}),
            )
            .await;
        assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    }
    let stored = t
        .sql_one_i64("SELECT count(*) FROM messages WHERE body = 'forged'")
        .await;
    assert_eq!(stored, 0);

    // Without SESSION_SECRET our HS256 tokens mean nothing: 401 with WWW-Authenticate.
    let resp = t
        .http
        .get(format!("{}/api/conversations", t.base))
        .bearer_auth(t.token("u_alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("www-authenticate").unwrap(), "Bearer");
    let (s, b) = read(resp).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
    // A tampered cookie is 401 as well, never a fall-through to anonymous.
    let mut tampered: Vec<char> = erin.cookie.chars().collect();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == 'x' { 'y' } else { 'x' };
    let tampered: String = tampered.into_iter().collect();
    let (s, b) = Browser {
        t: &t,
        cookie: tampered,
    }
    .get("/api/conversations")
    .await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// A static JWKS file server on loopback that counts its requests.
/// Setting the flag makes it answer 503 (an outage), even on kept-alive connections.
async fn jwks_server(
    body: String,
) -> (
    String,
    Arc<AtomicUsize>,
    Arc<AtomicBool>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let hits = Arc::new(AtomicUsize::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let (counter, is_down) = (hits.clone(), down.clone());
    let server = tokio::spawn(messaging::server::serve(listener, move |_req| {
        counter.fetch_add(1, Ordering::SeqCst);
        let outage = is_down.load(Ordering::SeqCst);
        let body = body.clone();
        async move {
            let mut resp = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
            if outage {
                *resp.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
            }
            resp.headers_mut().insert(
                "content-type",
                http::HeaderValue::from_static("application/json"),
            );
            resp
        }
    }));
    (url, hits, down, server)
}

fn oidc_settings(v: &Value, url: &str) -> AuthSettings {
    let j = &v["jwks"];
    AuthSettings {
        oidc: Some(OidcSettings {
            jwks: JwksSource::Url(url.to_owned()),
            issuer: j["issuer"].as_str().unwrap().to_owned(),
            audiences: vec![j["audience"].as_str().unwrap().to_owned()],
        }),
        ..AuthSettings::default()
    }
}

#[tokio::test]
async fn a_jwks_issuer_served_locally_signs_in_with_rs256_and_is_fetched_once() {
    let v = vectors();
    let (url, hits, outage, jwks) = jwks_server(v["jwks"]["jwks"].to_string()).await;
    let settings = oidc_settings(&v, &url);
    let t = TestApp::start_configured(move |c| {
        c.session = None;
        c.auth = settings;
    })
    .await;
    let token = |u: &str| v["jwks"]["e2e"]["users"][u].as_str().unwrap().to_owned();
    let call = |method: reqwest::Method, path: &str, user: &str| {
        t.http
            .request(method, format!("{}{path}", t.base))
            .bearer_auth(token(user))
    };
    let (s, b) = read(
        call(reqwest::Method::GET, "/api/conversations", "u_oidc_bob")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Bearer requests need no Origin: a cross-site page cannot attach the header.
    let (s, b) = read(
        call(reqwest::Method::POST, "/api/conversations", "u_oidc_e2e")
            .json(&json!({"member_ids": ["u_oidc_bob"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let c = b["conversation"]["id"].as_i64().unwrap();
    let mut ws = crate::ws::WsClient::connect(&t.sockudo.ws_url()).await;
    let channel = format!("private-conversation-{c}");
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("socket_id", ws.socket_id.as_str())
        .append_pair("channel_name", &channel)
        .finish();
    let (s, auth) = read(
        call(reqwest::Method::POST, "/api/pusher/auth", "u_oidc_bob")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{auth}");
    ws.send(
        json!({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth["auth"]}}),
    )
    .await;
    ws.expect("pusher_internal:subscription_succeeded").await;
    let (s, b) = read(
        call(reqwest::Method::POST, "/api/messages/send", "u_oidc_e2e")
            .json(&json!({"conversation_id": c, "body": "signed by a JWKS key"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(ws.expect("new-message").await.data_json(), b["message"]);
    let (s, page) = read(
        call(
            reqwest::Method::GET,
            &format!("/api/messages/history?conversation_id={c}"),
            "u_oidc_bob",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the JWKS is fetched once per process"
    );

    // An HS256 token signed with the public key (algorithm confusion) and a token
    // from an unknown key are refused; an unknown kid refetches at most once a
    // minute (the first fetch was just now, so not at all here: lib/auth/jwks.rs
    // tests the interval itself).
    let confused = v["jwks"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"].as_str().unwrap().starts_with("HS256"))
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = v["jwks"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "unknown kid")
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for bad in [&confused, &unknown, &unknown, &unknown] {
        let resp = t
            .http
            .get(format!("{}/api/conversations", t.base))
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers().get("www-authenticate").unwrap(), "Bearer");
        let (s, b) = read(resp).await;
        assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "no refetch within a minute");

    // The JWKS server fails: the cached key keeps working.
    outage.store(true, Ordering::SeqCst);
    let (s, b) = read(
        call(reqwest::Method::GET, "/api/conversations", "u_oidc_bob")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    jwks.abort();
}

#[tokio::test]
async fn with_no_jwks_key_at_all_the_answer_is_503_so_clients_retry() {
    let v = vectors();
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = oidc_settings(&v, &format!("http://127.0.0.1:{port}/jwks.json"));
    let t = TestApp::start_configured(move |c| {
        c.session = None;
        c.auth = settings;
    })
    .await;
    let token = v["jwks"]["e2e"]["users"]["u_oidc_bob"].as_str().unwrap();
    let resp = t
        .http
        .get(format!("{}/api/conversations", t.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (s, b) = read(resp).await;
    assert_error(s, &b, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}
