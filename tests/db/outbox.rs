//! The outbox: one row per stored message, redelivered until marked, with back-off.

use crate::common_db::TestDb;
use crate::support::{self, try_send, users};
use messaging::db::messages::Inserted;
use messaging::db::outbox;
use std::time::Duration;

#[tokio::test]
async fn undelivered_events_wait_for_redelivery_in_conversation_order() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat"]).await;
    let second = support::direct(&t.db, &u[0], &u[2]).await;
    let first = support::direct(&t.db, &u[0], &u[1]).await;
    let mut ids = Vec::new();
    for (c, text) in [(second, "s1"), (first, "f1"), (second, "s2"), (first, "f2")] {
        match try_send(&t.db, c, &u[0], text, None).await {
            Inserted::New { outbox_id, .. } => ids.push(outbox_id),
            other => panic!("{other:?}"),
        }
    }
    let client = t.pooled().await;
    let grace = Duration::from_secs(3600);
    assert!(
        outbox::pending(&**client, grace, grace, 10)
            .await
            .expect("pending")
            .is_empty(),
        "in flight"
    );

    let pending = outbox::pending(&**client, Duration::ZERO, Duration::ZERO, 10)
        .await
        .expect("pending");
    let order: Vec<_> = pending
        .iter()
        .map(|i| (i.message.conversation_id, i.message.seq.get()))
        .collect();
    let (lo, hi) = if second < first {
        (second, first)
    } else {
        (first, second)
    };
    assert_eq!(order, vec![(lo, 1), (lo, 2), (hi, 1), (hi, 2)]);
    assert!(
        pending
            .iter()
            .all(|i| i.attempts == 0 && i.socket_id.is_none())
    );
    assert!(
        !outbox::is_delivered(&**client, pending[0].message.id)
            .await
            .expect("state")
    );

    outbox::mark_failed(&**client, ids[0], "pusher said 500")
        .await
        .expect("failed");
    outbox::mark_delivered(&**client, &ids[1..3])
        .await
        .expect("delivered");
    // A failed item backs off: not offered again within the grace period.
    let left = outbox::pending(
        &**client,
        Duration::from_secs(60),
        Duration::from_secs(60),
        10,
    )
    .await
    .expect("pending");
    assert!(left.is_empty(), "{left:?}");
    // Retrying failed items right away never touches one still in flight.
    let retry: Vec<i64> = outbox::pending(&**client, Duration::from_secs(3600), Duration::ZERO, 10)
        .await
        .expect("pending")
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(retry, vec![ids[0]]);
    let left = outbox::pending(&**client, Duration::ZERO, Duration::ZERO, 10)
        .await
        .expect("pending");
    let left_ids: Vec<i64> = left.iter().map(|i| i.id).collect();
    assert_eq!(left_ids.len(), 2);
    assert!(left_ids.contains(&ids[0]) && left_ids.contains(&ids[3]));
    let failed = left.iter().find(|i| i.id == ids[0]).expect("failed item");
    assert_eq!(failed.attempts, 1);
    let raw = t.raw().await;
    let err: String = raw
        .query_one("SELECT last_error FROM outbox WHERE id = $1", &[&ids[0]])
        .await
        .expect("row")
        .get(0);
    assert_eq!(err, "pusher said 500");

    let delivered = outbox::pending(&**client, Duration::ZERO, Duration::ZERO, 1)
        .await
        .expect("pending");
    assert_eq!(delivered.len(), 1, "limit respected");
    outbox::mark_delivered(&**client, &[ids[0], ids[3]])
        .await
        .expect("delivered");
    assert!(
        outbox::pending(&**client, Duration::ZERO, Duration::ZERO, 10)
            .await
            .expect("pending")
            .is_empty()
    );
    assert!(
        outbox::is_delivered(&**client, failed.message.id)
            .await
            .expect("state")
    );
    assert_eq!(
        outbox::purge_delivered(&**client, Duration::ZERO)
            .await
            .expect("purge"),
        4
    );
    // Purged rows still count as delivered (a late replay must not say "queued").
    assert!(
        outbox::is_delivered(&**client, failed.message.id)
            .await
            .expect("state after purge")
    );
}
