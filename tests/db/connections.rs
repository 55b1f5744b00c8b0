//! The pool: lazy, bounded waits, and a killed backend turns into 503 then a fresh connection.

use crate::common_db::{TestDb, connect, server_url};
use crate::support::{self, users};
use messaging::db::messages::NewMessage;
use messaging::db::{Db, DbError, DbOptions, messages, users as db_users};
use messaging::error::AppError;
use std::time::{Duration, Instant};

/// Terminates `pid` once it is waiting (on a lock or in pg_sleep), as an operator or a failover would.
async fn terminate_when_waiting(pid: i32) {
    let admin = connect(&server_url()).await;
    for _ in 0..200 {
        let waiting = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE pid = $1 AND state = 'active' AND wait_event IS NOT NULL",
                &[&pid],
            )
            .await
            .expect("pg_stat_activity");
        if waiting.get::<_, i64>(0) == 1 {
            admin
                .query_one("SELECT pg_terminate_backend($1)", &[&pid])
                .await
                .expect("terminate");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("backend {pid} never started waiting");
}

async fn backend_pid(client: &tokio_postgres::Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_connection_is_unavailable_and_the_next_request_reconnects() {
    let t = TestDb::with_pool(1).await;
    let client = t.pooled().await;
    let pid = backend_pid(&client).await;
    let killer = tokio::spawn(terminate_when_waiting(pid));
    let err = client
        .query("SELECT pg_sleep(30)", &[])
        .await
        .map(|_| ())
        .map_err(DbError::from)
        .expect_err("the query dies with its backend");
    killer.await.expect("killer");
    assert!(err.is_unavailable(), "{err:?}");
    let app: AppError = err.into();
    assert_eq!(app.status(), 503);
    drop(client);

    // Same Db, pool of one: the dead connection is discarded, a new one made.
    let client = t.pooled().await;
    assert_ne!(backend_pid(&client).await, pid);
    let u = support::uid("u_nobody");
    let unknown = db_users::unknown_ids(&**client, std::slice::from_ref(&u))
        .await
        .expect("a query on the fresh connection");
    assert_eq!(unknown, vec![u]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_killed_mid_transaction_is_unavailable_and_stores_nothing() {
    let t = TestDb::with_pool(1).await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    // Hold the conversation row so the send blocks inside its transaction.
    let mut blocker = t.raw().await;
    let hold = blocker.transaction().await.expect("begin");
    hold.execute(
        "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE",
        &[&c.get()],
    )
    .await
    .expect("lock");

    let client = t.pooled().await;
    let pid = backend_pid(&client).await;
    let killer = tokio::spawn(terminate_when_waiting(pid));
    let body = support::body("lost in transit");
    let new = NewMessage {
        conversation_id: c,
        sender: &u[0],
        body: &body,
        client_message_id: None,
        socket_id: None,
        limit: None,
    };
    let err = messages::insert(&**client, new).await.expect_err("killed");
    killer.await.expect("killer");
    assert!(err.is_unavailable(), "{err:?}");
    drop(client);
    hold.rollback().await.expect("release");

    let m = support::send(&t.db, c, &u[0], "after the outage").await;
    assert_eq!(
        m.seq.get(),
        1,
        "the killed send left no message and no seq behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_while_idle_is_replaced() {
    let t = TestDb::with_pool(1).await;
    let client = t.pooled().await;
    let pid = backend_pid(&client).await;
    drop(client);
    let admin = connect(&server_url()).await;
    admin
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .expect("terminate");
    // Let the connection task notice the close, as the next request would be later anyway.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = t.pooled().await;
    assert_ne!(backend_pid(&client).await, pid);
}

#[tokio::test]
async fn building_a_db_does_not_connect_and_an_unreachable_server_is_unavailable() {
    let options = DbOptions {
        pool_size: 2,
        connect_timeout: Duration::from_secs(2),
        ..DbOptions::default()
    };
    // Port 1 on loopback: nothing listens there.
    let db = Db::with_options("postgres://postgres@127.0.0.1:1/postgres", &options)
        .expect("construction succeeds without a server");
    assert_eq!(db.open_connections(), 0);
    let started = Instant::now();
    let err = db.client().await.expect_err("no server");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(
        Db::new("postgres://h/db?sslmode=sometimes", 4),
        Err(DbError::Config(_))
    ));
}

#[tokio::test]
async fn waiting_for_a_pool_slot_gives_up_as_unavailable() {
    let t = TestDb::new().await;
    let options = DbOptions {
        pool_size: 1,
        wait_timeout: Duration::from_millis(300),
        ..DbOptions::default()
    };
    let db = Db::with_options(&t.url, &options).expect("db");
    let held = db.client().await.expect("first");
    let started = Instant::now();
    let err = db.client().await.expect_err("pool exhausted");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    drop(held);
    assert!(db.client().await.is_ok(), "the slot comes back");
}

#[tokio::test]
async fn the_start_up_connection_is_the_one_the_first_request_gets() {
    let t = TestDb::new().await;
    t.db.warm_up();
    // Asked for at once, as a request arriving during the warm-up: it waits
    // for that connection instead of opening a second one.
    let client = t.pooled().await;
    assert_eq!(t.db.open_connections(), 1);
    drop(client);
    // A second warm-up while the first's connection is idle opens nothing new.
    t.db.warm_up();
    let _again = t.pooled().await;
    assert_eq!(t.db.open_connections(), 1);
}

#[tokio::test]
async fn a_failed_start_up_connection_leaves_requests_to_connect_on_their_own() {
    let options = DbOptions {
        pool_size: 2,
        connect_timeout: Duration::from_secs(1),
        ..DbOptions::default()
    };
    let db = Db::with_options("postgres://postgres@127.0.0.1:1/postgres", &options)
        .expect("construction succeeds without a server");
    db.warm_up();
    let err = db.client().await.expect_err("no server");
    assert!(err.is_unavailable(), "{err:?}");
}
