//! The floor: what a send cannot beat on this machine, measured in the same
//! run at the same concurrency, without our code in between. The statement
//! is the one `messaging::db::messages::insert` issues for one new message
//! (the same constant), over the same pool crate and connection budget.

use crate::http::{Conn, Req};
use crate::load::Op;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use http::Method;
use messaging::db::messages::SEND_SQL;
use messaging::pusher::{ChannelName, EventName, Pusher};
use tokio_postgres::NoTls;
use tokio_postgres::types::Type;

/// A `new-message` payload of the size the send route triggers.
pub const EVENT_DATA: &str = r#"{"id":1,"conversation_id":1,"seq":1,"sender":{"id":"u_w0_s","name":"Bench w0_s","role":"student"},"body":"floor message","client_message_id":null,"created_at":"2026-01-01T00:00:00.000Z","reactions":[]}"#;

/// A pool like the functions' (deadpool, fast recycling) of `size` connections.
pub fn pool(url: &str, size: usize) -> anyhow::Result<Pool> {
    let config: tokio_postgres::Config = url.parse()?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager).max_size(size.max(1)).build()?)
}

/// `SELECT 1` on an open pooled connection: one database round trip.
pub struct SqlRtt(pub Pool);

impl Op for SqlRtt {
    async fn call(&mut self) -> anyhow::Result<()> {
        let client = self.0.get().await?;
        client.query_typed_one("SELECT 1", &[]).await?;
        Ok(())
    }
}

/// An HTTP round trip to a function that does no I/O: a method it refuses (405).
pub struct HttpRtt {
    pub conn: Conn,
    pub req: Req,
}

impl HttpRtt {
    pub async fn open(addr: std::net::SocketAddr) -> anyhow::Result<Self> {
        Ok(Self {
            conn: Conn::open(addr).await?,
            req: Req::new(Method::PUT, "/"),
        })
    }
}

impl Op for HttpRtt {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.conn.send(&self.req).await?.expect(405, "PUT")?;
        Ok(())
    }
}

/// The send path's one statement for one new message (no key, no limit), issued directly.
pub struct InsertTx {
    pub pool: Pool,
    pub conversation: i64,
    pub sender: String,
}

impl Op for InsertTx {
    async fn call(&mut self) -> anyhow::Result<()> {
        let client = self.pool.get().await?;
        let body = "floor message";
        let key: Option<&str> = None;
        let socket: Option<&str> = None;
        let max: Option<i32> = None;
        let row = client
            .query_typed_one(
                SEND_SQL,
                &[
                    (&self.conversation, Type::INT8),
                    (&self.sender, Type::TEXT),
                    (&body, Type::TEXT),
                    (&key, Type::TEXT),
                    (&socket, Type::TEXT),
                    (&"send", Type::TEXT),
                    (&max, Type::INT4),
                    (&0.0f64, Type::FLOAT8),
                ],
            )
            .await?;
        row.try_get::<_, Option<i64>>("new_id")?
            .ok_or_else(|| anyhow::anyhow!("the floor's sender is not a member"))?;
        Ok(())
    }
}

/// One signed trigger straight to Sockudo, through our Pusher client.
pub struct Trigger {
    pub pusher: Pusher,
    pub channel: [ChannelName; 1],
    pub event: EventName,
}

impl Trigger {
    pub fn new(pusher: Pusher, conversation: i64) -> anyhow::Result<Self> {
        Ok(Self {
            pusher,
            channel: [ChannelName::parse(&format!(
                "private-conversation-{conversation}"
            ))?],
            event: EventName::parse("new-message")?,
        })
    }
}

impl Op for Trigger {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.pusher
            .trigger(&self.channel, &self.event, EVENT_DATA, None)
            .await?;
        Ok(())
    }
}

/// What one send must do at least: an HTTP round trip, the statement, one trigger.
pub struct SendFloor {
    pub http: HttpRtt,
    pub tx: InsertTx,
    pub trigger: Trigger,
}

impl Op for SendFloor {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.http.call().await?;
        self.tx.call().await?;
        self.trigger.call().await
    }
}
