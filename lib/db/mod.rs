//! Postgres: the connection pool, migrations, and one module per table or aggregate.
//!
//! Every data function is one statement or one transaction of plain,
//! parameterized SQL, taking a client (`&impl GenericClient` for single
//! statements: pass `&**pooled` or a `&Transaction`; `&mut Client` when it
//! opens a transaction itself) and returning domain types.

mod connect;
pub mod conversations;
mod error;
mod history;
pub mod limits;
pub mod membership;
pub mod messages;
pub mod migrate;
pub mod outbox;
mod pool;
pub mod presence;
pub mod presence_reconcile;
pub mod reactions;
pub mod reads;
mod rows;
mod send;
mod summaries;
pub mod typing;
mod user_cache;
pub mod users;

pub use error::DbError;
pub use pool::{Client, Db, DbOptions};
pub use tokio_postgres::{GenericClient, Transaction};
pub use user_cache::UserCache;
