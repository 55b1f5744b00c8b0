//! Rate limits in Postgres: exact under concurrency, and a window that ends.

use crate::common_db::TestDb;
use messaging::db::rate_limits::{self, Decision, Quota};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_takes_allow_exactly_the_quota() {
    let t = TestDb::with_pool(10).await;
    let quota = Quota {
        max: 3,
        period: Duration::from_secs(60),
    };
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let client = db.client().await.expect("client");
            rate_limits::take(&**client, "test:u_ann", quota)
                .await
                .expect("take")
        }));
    }
    let mut allowed = 0;
    for task in tasks {
        match task.await.expect("task") {
            Decision::Allowed => allowed += 1,
            Decision::Limited { retry_after_secs } => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
            }
        }
    }
    assert_eq!(allowed, 3);
    let client = t.pooled().await;
    // Another key has its own count; giving one back frees one.
    assert_eq!(
        rate_limits::take(&**client, "test:u_bob", quota)
            .await
            .expect("take"),
        Decision::Allowed
    );
    rate_limits::give_back(&**client, "test:u_ann")
        .await
        .expect("give back");
    assert_eq!(
        rate_limits::take(&**client, "test:u_ann", quota)
            .await
            .expect("take"),
        Decision::Allowed
    );
    client
        .execute(
            "UPDATE rate_limits SET window_start = now() - interval '61 seconds'",
            &[],
        )
        .await
        .expect("age");
    assert_eq!(
        rate_limits::take(&**client, "test:u_ann", quota)
            .await
            .expect("take"),
        Decision::Allowed,
        "a new window"
    );
    let unlimited = Quota { max: 0, ..quota };
    for _ in 0..5 {
        assert_eq!(
            rate_limits::take(&**client, "test:u_cat", unlimited)
                .await
                .expect("take"),
            Decision::Allowed
        );
    }
}
