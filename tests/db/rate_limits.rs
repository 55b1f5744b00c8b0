//! Rate-limit counters in Postgres (`db::limits`): exact under concurrency,
//! refusals not counted by `take`, a window that ends, and a purge of old ones.

use crate::common_db::TestDb;
use messaging::db::limits;
use messaging::domain::UserId;
use messaging::limits::{Action, Limit, Verdict};
use std::time::Duration;

fn user(id: &str) -> UserId {
    UserId::parse("user", id).expect("user id")
}

const CREATE: Action = Action::ConversationCreate;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_takes_allow_exactly_the_quota() {
    let t = TestDb::with_pool(10).await;
    let limit = Some(Limit {
        max: 3,
        window: Duration::from_secs(60),
    });
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let client = db.client().await.expect("client");
            limits::take(&**client, &user("u_ann"), CREATE, limit)
                .await
                .expect("take")
        }));
    }
    let mut allowed = 0;
    for task in tasks {
        match task.await.expect("task") {
            Verdict::Allowed => allowed += 1,
            Verdict::Limited { retry_after_secs } => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
            }
        }
    }
    assert_eq!(allowed, 3);
    let client = t.pooled().await;
    let hits = || async {
        client
            .query_one(
                "SELECT hits::int8 FROM request_limits WHERE user_id = 'u_ann' AND route = $1",
                &[&CREATE.key()],
            )
            .await
            .expect("hits")
            .get::<_, i64>(0)
    };
    assert_eq!(hits().await, 3, "the 7 refusals were counted");
    // Another user, or another action, has its own count; giving one back frees one.
    let pg = &**client;
    let take = |u: &'static str, action| async move {
        limits::take(pg, &user(u), action, limit)
            .await
            .expect("take")
    };
    assert_eq!(take("u_bob", CREATE).await, Verdict::Allowed);
    assert_eq!(take("u_ann", Action::React).await, Verdict::Allowed);
    limits::give_back(&**client, &user("u_ann"), CREATE)
        .await
        .expect("give back");
    assert_eq!(take("u_ann", CREATE).await, Verdict::Allowed);
    assert!(matches!(
        take("u_ann", CREATE).await,
        Verdict::Limited { .. }
    ));
    client
        .execute(
            "UPDATE request_limits SET window_start = now() - interval '61 seconds'",
            &[],
        )
        .await
        .expect("age");
    assert_eq!(
        take("u_ann", CREATE).await,
        Verdict::Allowed,
        "a new window"
    );
    assert_eq!(hits().await, 1);
    for _ in 0..5 {
        assert_eq!(
            limits::take(&**client, &user("u_cat"), CREATE, None)
                .await
                .expect("take"),
            Verdict::Allowed,
            "no limit, no counting"
        );
    }
}

#[tokio::test]
async fn the_purge_deletes_only_counters_whose_window_is_long_over_in_batches() {
    let t = TestDb::new().await;
    let client = t.pooled().await;
    let limit = Some(Limit {
        max: 5,
        window: Duration::from_secs(60),
    });
    for u in ["u_ann", "u_bob", "u_cat", "u_dan"] {
        limits::hit(&**client, &user(u), Action::Send, limit)
            .await
            .expect("hit");
    }
    client
        .execute(
            "UPDATE request_limits SET window_start = now() - interval '25 hours'
             WHERE user_id <> 'u_dan'",
            &[],
        )
        .await
        .expect("age");
    let purge = |batch| limits::purge_step(&**client, limits::EXPIRED_AFTER, batch);
    assert_eq!(purge(2).await.expect("purge"), 2, "one bounded batch");
    assert_eq!(purge(2).await.expect("purge"), 1);
    assert_eq!(purge(2).await.expect("purge"), 0);
    let left: Vec<String> = client
        .query("SELECT user_id FROM request_limits", &[])
        .await
        .expect("left")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, ["u_dan"], "a current window is kept");
    // A purged counter starts afresh.
    assert_eq!(
        limits::hit(&**client, &user("u_ann"), Action::Send, limit)
            .await
            .expect("hit"),
        Verdict::Allowed
    );
}

#[tokio::test]
async fn migration_0010_dropped_the_old_limiter_table() {
    let t = TestDb::new().await;
    let client = t.pooled().await;
    let old: Option<String> = client
        .query_one("SELECT to_regclass('rate_limits')::text", &[])
        .await
        .expect("regclass")
        .get(0);
    assert_eq!(old, None);
}
