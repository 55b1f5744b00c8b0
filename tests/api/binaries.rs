//! Each api/ binary, run alone on the Vercel runtime with VERCEL_DEV_PORT,
//! answers its route whatever path it is shown.

use crate::support::{CRON_SECRET, TestApp, read};
use reqwest::StatusCode;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(t: &TestApp, exe: &str, port: u16, extra: &[(&str, &str)]) -> Running {
    let mut cmd = Command::new(exe);
    cmd.env_clear()
        .env("VERCEL_DEV_PORT", port.to_string())
        .env("DATABASE_URL", &t.db.url)
        .env("PUSHER_APP_ID", &t.sockudo.app_id)
        .env("PUSHER_SECRET", &t.sockudo.secret)
        .env("NEXT_PUBLIC_PUSHER_KEY", &t.sockudo.key)
        .env("PUSHER_HOST", &t.sockudo.host)
        .env("PUSHER_PORT", t.sockudo.port.to_string())
        .env("PUSHER_SCHEME", "http")
        .env(
            "SESSION_SECRET",
            String::from_utf8_lossy(crate::support::SESSION_SECRET).as_ref(),
        )
        .env("CRON_SECRET", CRON_SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Running(cmd.spawn().expect("spawn the function binary"))
}

async fn wait_up(http: &reqwest::Client, port: u16) {
    for _ in 0..200 {
        if http
            .get(format!("http://127.0.0.1:{port}/_vercel/ping"))
            .send()
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the function did not listen on {port}");
}

#[tokio::test]
async fn each_function_binary_serves_its_route_on_the_vercel_runtime() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let bins = [
        (env!("CARGO_BIN_EXE_messages_send"), "POST"),
        (env!("CARGO_BIN_EXE_messages_history"), "GET"),
        (env!("CARGO_BIN_EXE_pusher_auth"), "POST"),
        (env!("CARGO_BIN_EXE_conversations"), "GET, POST"),
        (env!("CARGO_BIN_EXE_cron_redeliver"), "GET, POST"),
        (env!("CARGO_BIN_EXE_messages_read"), "POST"),
        (env!("CARGO_BIN_EXE_messages_typing"), "POST"),
        (env!("CARGO_BIN_EXE_messages_react"), "POST"),
        (env!("CARGO_BIN_EXE_pusher_webhook"), "POST"),
        (env!("CARGO_BIN_EXE_conversations_leave"), "POST"),
        (env!("CARGO_BIN_EXE_conversations_mute"), "POST"),
    ];
    for (exe, allow) in bins {
        let port = free_port();
        let _f = spawn(&t, exe, port, &[]);
        wait_up(&t.http, port).await;
        // Whatever path a rewrite shows it, the function answers its own route.
        let resp = t
            .http
            .put(format!("http://127.0.0.1:{port}/any/rewritten/path"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.headers().get("allow").unwrap().to_str().unwrap(),
            allow,
            "{exe}"
        );
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    // Database-backed answers from single functions.
    let port = free_port();
    let _send = spawn(&t, env!("CARGO_BIN_EXE_messages_send"), port, &[]);
    wait_up(&t.http, port).await;
    let req = t
        .http
        .post(format!("http://127.0.0.1:{port}/api/messages/send"))
        .bearer_auth(t.token("u_alice"))
        .json(&serde_json::json!({"conversation_id": c, "body": "from the function"}));
    let (s, b) = read(req.send().await.unwrap()).await;
    assert_eq!(
        (s, b["delivery"].as_str()),
        (StatusCode::CREATED, Some("sent")),
        "{b}"
    );
    let port = free_port();
    let _history = spawn(&t, env!("CARGO_BIN_EXE_messages_history"), port, &[]);
    wait_up(&t.http, port).await;
    let req = t
        .http
        .get(format!(
            "http://127.0.0.1:{port}/api/messages/history?conversation_id={c}"
        ))
        .bearer_auth(t.token("u_bob"));
    let (s, b) = read(req.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["messages"][0]["body"], "from the function");
}

#[tokio::test]
async fn a_function_with_a_bad_variable_exits_with_one_line_naming_it() {
    let t = TestApp::start().await;
    let out = Command::new(env!("CARGO_BIN_EXE_messages_send"))
        .env_clear()
        .env("DATABASE_URL", &t.db.url)
        .env("PUSHER_APP_ID", "1")
        .env("PUSHER_SECRET", "s3cr3t-value")
        .env("NEXT_PUBLIC_PUSHER_KEY", "k")
        .env("NEXT_PUBLIC_PUSHER_CLUSTER", "eu")
        .env("SESSION_SECRET", "too-short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("SESSION_SECRET"), "{stderr}");
    assert!(
        !stderr.contains("too-short") && !stderr.contains("s3cr3t-value"),
        "{stderr}"
    );
}
