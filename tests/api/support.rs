//! The harness: one isolated stack per test, and small helpers that read
//! like the contract.

use crate::db::TestDb;
use crate::db_counter::{DbCounter, upstream_of};
use crate::proxy::SlowPusher;
use crate::sockudo::{Sockudo, SockudoOptions};
use crate::ws::WsClient;
use messaging::app::App;
use messaging::auth::{self, Claims};
use messaging::config::{Config, SessionConfig};
use messaging::limits::{Limit, Limits};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

pub const SESSION_SECRET: &[u8] = b"api-test-session-secret-0123456789abcdef";
pub const CRON_SECRET: &str = "api-test-cron-secret";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub db: TestDb,
    pub sockudo: Sockudo,
    /// Between the server and Sockudo's HTTP API, when asked for.
    pub proxy: Option<SlowPusher>,
    /// Between the server and Postgres, counting round trips, when asked for.
    pub db_counter: Option<DbCounter>,
    server: tokio::task::JoinHandle<()>,
}

/// A change to the stack's configuration before it starts.
pub type Adjust = Box<dyn FnOnce(&mut Config)>;

/// Departures from the default stack, for the tests that need them.
#[derive(Default)]
pub struct Tweaks {
    /// The server's connection pool size (default 8).
    pub pool_size: Option<usize>,
    /// Pusher calls go through a proxy that holds each request this long.
    pub pusher_delay: Option<std::time::Duration>,
    /// The server reaches Postgres through a [`DbCounter`].
    pub count_db_round_trips: bool,
    /// Any other change to the configuration (policies, limits).
    pub adjust: Option<Adjust>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Display names the tests use, by user id.
fn display_name(id: &str) -> String {
    match id {
        "u_alice" => "Alice".into(),
        "u_bob" => "Bob".into(),
        "u_eve" => "Eve".into(),
        other => other.trim_start_matches("u_").to_owned(),
    }
}

pub fn config_for(db_url: &str, sockudo: &Sockudo) -> Config {
    Config {
        database_url: db_url.to_owned(),
        database_url_unpooled: None,
        db_pool_size: 8,
        pusher: sockudo.pusher_config(),
        session: Some(SessionConfig::new(SESSION_SECRET.to_vec(), "session")),
        auth: Default::default(),
        cron_secret: Some(CRON_SECRET.into()),
        conversations: Default::default(),
        // On, so every test runs the counting statements, but far above what
        // a test sends; tests/api/rate_limits.rs sets its own.
        limits: Limits::uniform(Some(Limit {
            max: 100_000,
            window: std::time::Duration::from_secs(60),
        })),
        events: Default::default(),
    }
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(Tweaks::default()).await
    }

    /// A stack whose configuration `adjust` changes first (policies, limits).
    pub async fn start_configured(adjust: impl FnOnce(&mut Config) + 'static) -> Self {
        Self::start_with(Tweaks {
            adjust: Some(Box::new(adjust)),
            ..Tweaks::default()
        })
        .await
    }

    pub async fn start_with(tweaks: Tweaks) -> Self {
        // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let sockudo = Sockudo::start_with(SockudoOptions {
            webhook_url: Some(format!("http://{addr}/api/pusher/webhook")),
        })
        .await;
        let db = TestDb::new().await;
        let mut config = config_for(&db.url, &sockudo);
        if let Some(size) = tweaks.pool_size {
            config.db_pool_size = size;
        }
        let proxy = match tweaks.pusher_delay {
            Some(delay) => Some(SlowPusher::start(&sockudo, delay).await),
            None => None,
        };
        if let Some(proxy) = &proxy {
            config.pusher = proxy.pusher_config(&sockudo);
        }
        let db_counter = if tweaks.count_db_round_trips {
            let upstream = upstream_of(&db.url);
            let counter = DbCounter::start(upstream.clone()).await;
            config.database_url = counter.url(&db.url, &upstream);
            Some(counter)
        } else {
            None
        };
        if let Some(adjust) = tweaks.adjust {
            adjust(&mut config);
        }
        let app = App::new(config).expect("test config");
        let server = tokio::spawn(messaging::server::serve_app(listener, app));
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            db,
            sockudo,
            proxy,
            db_counter,
            server,
        }
    }

    pub fn token(&self, user: &str) -> String {
        self.token_with(&Claims {
            sub: user.into(),
            exp: now_secs() + 600,
            name: Some(display_name(user)),
            role: Some(
                if user == "u_bob" {
                    "teacher"
                } else {
                    "student"
                }
                .into(),
            ),
        })
    }

    pub fn token_with(&self, claims: &Claims) -> String {
        auth::issue(claims, SESSION_SECRET).expect("issue a token")
    }

    /// Any authenticated call makes the user known (the contract's "seen with a session").
    pub async fn login(&self, user: &str) {
        let (status, body) = self.get("/api/conversations", Some(user)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub async fn get(&self, path_and_query: &str, user: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(format!("{}{path_and_query}", self.base));
        if let Some(user) = user {
            req = req.bearer_auth(self.token(user));
        }
        read(req.send().await.expect("GET")).await
    }

    pub async fn post(&self, path: &str, user: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(user) = user {
            req = req.bearer_auth(self.token(user));
        }
        read(req.send().await.expect("POST")).await
    }

    /// A two-person conversation between `a` and `b` (both logged in first).
    pub async fn conversation(&self, a: &str, b: &str) -> i64 {
        self.login(a).await;
        self.login(b).await;
        let (status, body) = self
            .post("/api/conversations", Some(a), json!({"member_ids": [b]}))
            .await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status} {body}"
        );
        body["conversation"]["id"]
            .as_i64()
            .expect("conversation id")
    }

    pub async fn send(&self, user: &str, conversation: i64, text: &str) -> Value {
        let (status, body) = self
            .post(
                "/api/messages/send",
                Some(user),
                json!({"conversation_id": conversation, "body": text}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// A Pusher-protocol client subscribed to `channel`, authorized by our auth route as `user`.
    pub async fn subscriber(&self, user: &str, channel: &str) -> WsClient {
        let mut ws = WsClient::connect(&self.sockudo.ws_url()).await;
        let (status, auth) = self
            .channel_auth(user, ws.socket_id.as_str(), channel)
            .await;
        assert_eq!(status, StatusCode::OK, "auth for {channel}: {auth}");
        let mut data = json!({"channel": channel, "auth": auth["auth"]});
        if let Some(cd) = auth.get("channel_data") {
            data["channel_data"] = cd.clone();
        }
        ws.send(json!({"event": "pusher:subscribe", "data": data}))
            .await;
        ws.expect("pusher_internal:subscription_succeeded").await;
        ws
    }

    /// pusher-js's request: form-encoded socket_id and channel_name.
    pub async fn channel_auth(
        &self,
        user: &str,
        socket_id: &str,
        channel: &str,
    ) -> (StatusCode, Value) {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("socket_id", socket_id)
            .append_pair("channel_name", channel)
            .finish();
        let req = self
            .http
            .post(format!("{}/api/pusher/auth", self.base))
            .bearer_auth(self.token(user))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        read(req.send().await.expect("auth")).await
    }

    /// What Vercel Cron does every minute.
    pub async fn cron(&self) -> (StatusCode, Value) {
        let req = self
            .http
            .get(format!("{}/api/cron/redeliver", self.base))
            .bearer_auth(CRON_SECRET);
        read(req.send().await.expect("cron")).await
    }

    pub async fn sql_one_i64(&self, sql: &str) -> i64 {
        let client = self.db.raw().await;
        client.query_one(sql, &[]).await.expect(sql).get(0)
    }
}

pub async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.expect("body");
    assert!(
        ct.starts_with("application/json"),
        "{status}: not JSON ({ct}): {text}"
    );
    let body =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: bad JSON {e}: {text}"));
    (status, body)
}

/// Asserts the contract's error shape and code.
pub fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// Fails if an application event (not `pusher:*` bookkeeping) arrives within `wait`.
pub async fn expect_silence(ws: &mut WsClient, wait: std::time::Duration) {
    if let Ok(frame) = tokio::time::timeout(wait, ws.next_event()).await {
        panic!("expected no event, got {frame:?}");
    }
}
