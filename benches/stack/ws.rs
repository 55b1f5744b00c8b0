//! A pusher-js stand-in for delivery timing: connects to Sockudo, subscribes
//! with the auth our route returns, and reads events (answering pings).

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(5);

pub struct Frame {
    pub event: String,
    /// The event data as the JSON text Pusher carries.
    pub data: String,
}

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub socket_id: String,
}

impl WsClient {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        let mut client = Self {
            stream,
            socket_id: String::new(),
        };
        let hello = client.expect("pusher:connection_established").await?;
        let data: Value = serde_json::from_str(&hello.data)?;
        client.socket_id = data["socket_id"]
            .as_str()
            .ok_or_else(|| anyhow!("no socket_id in {}", hello.data))?
            .to_owned();
        Ok(client)
    }

    pub async fn subscribe(
        &mut self,
        channel: &str,
        auth: &str,
        channel_data: Option<&str>,
    ) -> anyhow::Result<()> {
        let mut data = json!({"channel": channel, "auth": auth});
        if let Some(cd) = channel_data {
            data["channel_data"] = json!(cd);
        }
        self.send(json!({"event": "pusher:subscribe", "data": data}))
            .await?;
        self.expect("pusher_internal:subscription_succeeded")
            .await
            .map(drop)
    }

    async fn send(&mut self, frame: Value) -> anyhow::Result<()> {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await?;
        Ok(())
    }

    /// The next frame, within 5 s; answers `pusher:ping` on the way.
    pub async fn next_frame(&mut self) -> anyhow::Result<Frame> {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .context("no frame from Sockudo within 5 s")?
                .ok_or_else(|| anyhow!("the WebSocket closed"))??;
            let Message::Text(text) = message else {
                continue;
            };
            let raw: Value = serde_json::from_str(text.as_str())?;
            let data = match raw.get("data") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let frame = Frame {
                event: raw["event"].as_str().unwrap_or_default().to_owned(),
                data,
            };
            if frame.event == "pusher:ping" {
                self.send(json!({"event": "pusher:pong", "data": {}}))
                    .await?;
                continue;
            }
            return Ok(frame);
        }
    }

    pub async fn expect(&mut self, event: &str) -> anyhow::Result<Frame> {
        loop {
            let frame = self.next_frame().await?;
            if frame.event == event {
                return Ok(frame);
            }
            if frame.event == "pusher:error" {
                bail!("Sockudo error while waiting for {event}: {}", frame.data);
            }
        }
    }
}
