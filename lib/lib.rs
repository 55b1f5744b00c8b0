//! Real-time messaging backend for a Next.js app on Vercel.
//!
//! A guided tour, from the edge inwards:
//! - [`vercel`]: the few lines each `api/**/*.rs` function calls to serve its route.
//! - [`server`]: every route on one port (the local dev server and the tests).
//! - [`routes`]: one module per route: request type, response type, handler.
//! - [`http`]: body limits, JSON/form parsing, method and content-type checks.
//! - [`auth`]: the caller's credentials (our HS256 token, Auth.js, NextAuth, Clerk, Supabase, OIDC) -> the current user.
//! - [`error`]: the one error type, rendered as the contract's error JSON.
//! - [`config`]: the environment, read once.
//! - [`limits`]: rate limits per user and action (counters in Postgres, `db::limits`).
//! - [`app`]: per-process state: configuration, database pool, Pusher client.
//! - [`realtime`]: the events a stored message produces, and handing them to Pusher.
//! - [`domain`]: small parsed types (ids, message bodies, ...) and the Message shape.
//! - [`db`]: pool, migrations and one module per table or aggregate; plain SQL.
//! - [`pusher`]: the Pusher Channels protocol: signing, auth, webhooks, encryption, client.

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod limits;
pub mod pusher;
pub mod realtime;
pub mod routes;
pub mod server;
pub mod vercel;
