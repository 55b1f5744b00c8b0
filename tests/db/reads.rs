//! Read positions: forward only, capped at the last seq, race-free.

use crate::common_db::TestDb;
use crate::support::{self, send_many, users};
use messaging::db::reads::{ReadPosition, mark_read};
use messaging::domain::{ConversationId, Seq};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn s(n: i64) -> Seq {
    Seq::from_db(n)
}

#[tokio::test]
async fn mark_read_moves_forward_only_and_is_capped() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_eve"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    send_many(&t.db, c, &u[0], 10).await;
    let client = t.pooled().await;
    let read = |seq: i64| mark_read(&**client, c, &u[1], s(seq));

    let pos = |last: i64, moved: bool| {
        Some(ReadPosition {
            last_read_seq: s(last),
            unread_count: 10 - last,
            moved,
            // Whom a receipt concerns: the author of the message at the position.
            members: 2,
            author: (last > 0).then(|| u[0].clone()),
        })
    };
    assert_eq!(read(0).await.expect("read"), pos(0, false));
    assert_eq!(read(4).await.expect("read"), pos(4, true));
    assert_eq!(
        read(2).await.expect("read"),
        pos(4, false),
        "never backwards"
    );
    assert_eq!(read(4).await.expect("read"), pos(4, false));
    assert_eq!(
        read(1_000).await.expect("read"),
        pos(10, true),
        "capped at the last seq"
    );
    assert_eq!(read(11).await.expect("read"), pos(10, false));
    // The sender's own position moved with each send.
    assert_eq!(
        mark_read(&**client, c, &u[0], s(0)).await.expect("read"),
        pos(10, false)
    );

    assert_eq!(
        mark_read(&**client, c, &u[2], s(3)).await.expect("read"),
        None
    );
    let missing = ConversationId::parse("id", 424_242).expect("id");
    assert_eq!(
        mark_read(&**client, missing, &u[1], s(3))
            .await
            .expect("read"),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mark_read_never_moves_back() {
    let t = TestDb::with_pool(16).await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    send_many(&t.db, c, &u[0], 40).await;

    // A watcher checks the stored position never decreases while the calls race.
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (done, raw) = (done.clone(), t.raw().await);
        tokio::spawn(async move {
            let mut last = 0i64;
            let mut polls = 0;
            while !done.load(Ordering::Acquire) {
                let row = raw
                    .query_one(
                        "SELECT last_read_seq FROM conversation_members
                         WHERE conversation_id = $1 AND user_id = 'u_bob'",
                        &[&c.get()],
                    )
                    .await
                    .expect("poll");
                let now: i64 = row.get(0);
                assert!(now >= last, "read position moved back from {last} to {now}");
                last = now;
                polls += 1;
            }
            polls
        })
    };
    let mut tasks = Vec::new();
    for i in 0..64i64 {
        let (db, bob) = (t.db.clone(), u[1].clone());
        // Scrambled targets, some beyond the last seq.
        let target = (i * 37) % 50;
        tasks.push(tokio::spawn(async move {
            let client = db.client().await.expect("client");
            let pos = mark_read(&**client, c, &bob, s(target))
                .await
                .expect("mark read")
                .expect("member");
            assert!(pos.last_read_seq.get() <= 40, "capped: {pos:?}");
            assert!(
                pos.last_read_seq.get() >= target.min(40),
                "at least what was asked: {pos:?}"
            );
            pos.moved
        }));
    }
    let mut moved = 0;
    for task in tasks {
        moved += usize::from(task.await.expect("task"));
    }
    done.store(true, Ordering::Release);
    let polls = watcher.await.expect("watcher");
    assert!(polls > 0);
    assert!(moved >= 1);
    let client = t.pooled().await;
    let end = mark_read(&**client, c, &u[1], s(0))
        .await
        .expect("read")
        .expect("member");
    assert_eq!((end.last_read_seq, end.unread_count), (s(40), 0));
}
