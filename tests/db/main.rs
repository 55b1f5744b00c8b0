//! The storage layer against a real Postgres: each test gets a fresh schema with migrations applied.

#[path = "../common/db.rs"]
mod common_db;

mod connections;
mod conversations;
mod history;
mod migrations;
mod outbox;
mod presence;
mod rate_limits;
mod reactions;
mod reads;
mod sends;
mod support;
mod tls;
