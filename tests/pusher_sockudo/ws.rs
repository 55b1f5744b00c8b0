//! A minimal pusher-js stand-in: connects, subscribes with auth computed by
//! our code, and reads the frames the server sends.

use futures_util::{SinkExt, StreamExt};
use messaging::pusher::{ChannelAuth, ChannelName, SocketId};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Frame {
    pub event: String,
    pub channel: Option<String>,
    pub data: Value,
}

impl Frame {
    /// `data` as the JSON text the server carried: Pusher sends a string,
    /// Sockudo sometimes the object itself.
    pub fn data_text(&self) -> String {
        match &self.data {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    pub fn data_json(&self) -> Value {
        match &self.data {
            Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| self.data.clone()),
            other => other.clone(),
        }
    }
}

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub socket_id: SocketId,
}

impl WsClient {
    pub async fn connect(url: &str) -> Self {
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connect");
        let mut client = Self {
            stream,
            socket_id: SocketId::parse("0.0").expect("placeholder"),
        };
        let established = client.next_frame().await;
        assert_eq!(
            established.event, "pusher:connection_established",
            "{established:?}"
        );
        let socket_id = established.data_json()["socket_id"]
            .as_str()
            .expect("socket_id")
            .to_owned();
        client.socket_id = SocketId::parse(&socket_id).expect("the server's socket id parses");
        client
    }

    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("websocket send");
    }

    /// The next Pusher frame; answers pings on the way.
    pub async fn next_frame(&mut self) -> Frame {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("no frame from sockudo within 5 s")
                .expect("websocket closed")
                .expect("websocket error");
            let Message::Text(text) = message else {
                continue;
            };
            let raw: Value = serde_json::from_str(text.as_str()).expect("frames are JSON");
            let frame = Frame {
                event: raw["event"].as_str().unwrap_or_default().to_owned(),
                channel: raw["channel"].as_str().map(str::to_owned),
                data: raw.get("data").cloned().unwrap_or(Value::Null),
            };
            if frame.event == "pusher:ping" {
                self.send(json!({"event": "pusher:pong", "data": {}})).await;
                continue;
            }
            return frame;
        }
    }

    /// The next frame that is not the server's own bookkeeping
    /// (`pusher:*`, `pusher_internal:*`), so event order can be asserted.
    pub async fn next_event(&mut self) -> Frame {
        loop {
            let frame = self.next_frame().await;
            if !frame.event.starts_with("pusher:") && !frame.event.starts_with("pusher_internal:") {
                return frame;
            }
        }
    }

    /// Waits for the frame named `event`, skipping others.
    pub async fn expect(&mut self, event: &str) -> Frame {
        loop {
            let frame = self.next_frame().await;
            if frame.event == event {
                return frame;
            }
            assert!(
                frame.event != "pusher:error",
                "server error while waiting for {event}: {frame:?}"
            );
        }
    }

    /// Waits until the server closes the connection (frames before the
    /// close, such as `pusher:error`, are allowed).
    pub async fn expect_closed(&mut self) {
        loop {
            let next = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("the server did not close the connection within 5 s");
            match next {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Subscribes (with `auth` for private, presence and encrypted channels)
    /// and returns the `subscription_succeeded` frame.
    pub async fn subscribe(&mut self, channel: &ChannelName, auth: Option<&ChannelAuth>) -> Frame {
        let mut data = json!({"channel": channel.as_str()});
        if let Some(auth) = auth {
            data["auth"] = json!(auth.auth);
            if let Some(channel_data) = &auth.channel_data {
                data["channel_data"] = json!(channel_data);
            }
        }
        self.send(json!({"event": "pusher:subscribe", "data": data}))
            .await;
        let frame = self.expect("pusher_internal:subscription_succeeded").await;
        assert_eq!(frame.channel.as_deref(), Some(channel.as_str()));
        frame
    }
}
