//! Sockudo's webhooks pass our verification unchanged (key, signature over
//! the raw body, content type), and a tampered copy does not.

use crate::channel;
use crate::sockudo::{Sockudo, SockudoOptions};
use crate::ws::{WAIT, WsClient};
use messaging::pusher::{Pusher, WebhookError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One received delivery: the headers we check and the raw body.
struct Delivery {
    key: Option<String>,
    signature: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// A bare HTTP/1.1 endpoint answering 200 to every POST.
async fn webhook_receiver() -> (String, mpsc::UnboundedReceiver<Delivery>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, length) = loop {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        let length = header(&head, "content-length")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let _ = tx.send(Delivery {
                    key: header(&head, "x-pusher-key"),
                    signature: header(&head, "x-pusher-signature"),
                    content_type: header(&head, "content-type"),
                    body: buf[head_end..head_end + length].to_vec(),
                });
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, rx)
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
}

#[tokio::test]
async fn sockudo_webhooks_verify_and_tampered_ones_do_not() {
    let (url, mut deliveries) = webhook_receiver().await;
    let sockudo = Sockudo::start_with(SockudoOptions {
        webhook_url: Some(url),
    })
    .await;
    let pusher = Pusher::new(sockudo.pusher_config());
    let mut client = WsClient::connect(&sockudo.ws_url()).await;
    let room = channel("private-hooked");
    let auth = pusher
        .authorize_channel(&client.socket_id, &room, None)
        .expect("auth");
    client.subscribe(&room, Some(&auth)).await;

    let delivery = tokio::time::timeout(WAIT, deliveries.recv())
        .await
        .expect("a webhook within 5 s")
        .expect("delivery");
    let verify = |body: &[u8]| {
        pusher.verify_webhook(
            delivery.key.as_deref(),
            delivery.signature.as_deref(),
            delivery.content_type.as_deref(),
            body,
        )
    };
    let hook = verify(&delivery.body).unwrap_or_else(|e| {
        panic!(
            "{e}: {:?} {:?}",
            delivery.content_type,
            String::from_utf8_lossy(&delivery.body)
        )
    });
    let occupied = hook
        .events
        .iter()
        .find(|e| e.name == "channel_occupied")
        .expect("channel_occupied");
    assert_eq!(occupied.channel.as_deref(), Some("private-hooked"));
    assert!(hook.time_ms > 1_600_000_000_000);

    let mut tampered = delivery.body.clone();
    tampered.push(b' ');
    assert_eq!(verify(&tampered).unwrap_err(), WebhookError::BadSignature);
}
