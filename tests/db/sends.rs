//! Sending: gapless seqs under contention, idempotent replays, two-person conversation races.

use crate::common_db::TestDb;
use crate::support::{self, send, try_send, users};
use messaging::db::messages::{self, Inserted, NewMessage};
use messaging::db::{conversations, reads};
use messaging::domain::{ClientMessageId, ConversationId, Seq};
use messaging::limits::Limit;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const SENDERS: usize = 50;
const PER_SENDER: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_senders_get_gapless_seqs_and_readers_never_see_a_hole() {
    let t = TestDb::with_pool(25).await;
    let ids: Vec<String> = (0..SENDERS).map(|i| format!("u_s{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let members = users(&t.db, &refs).await;
    let conversation = support::group(&t.db, &members[0], &members[1..]).await;
    let total = (SENDERS * PER_SENDER) as i64;

    // A reader polling the committed seqs: whatever it sees must be 1..=k.
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (done, raw) = (done.clone(), t.raw().await);
        tokio::spawn(async move {
            let (mut polls, mut partial_views) = (0u32, 0u32);
            while !done.load(Ordering::Acquire) {
                let rows = raw
                    .query(
                        "SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq",
                        &[&conversation.get()],
                    )
                    .await
                    .expect("poll");
                let seqs: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
                let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
                assert_eq!(seqs, expected, "a reader saw a hole in the seqs");
                polls += 1;
                if !seqs.is_empty() && (seqs.len() as i64) < total {
                    partial_views += 1;
                }
            }
            (polls, partial_views)
        })
    };

    let started = Instant::now();
    let mut tasks = Vec::new();
    for sender in members.clone() {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..PER_SENDER {
                let m = send(&db, conversation, &sender, &format!("{sender} says {i}")).await;
                seqs.push(m.seq.get());
            }
            (sender, seqs)
        }));
    }
    let mut all = Vec::new();
    let mut last_by_sender = Vec::new();
    for task in tasks {
        let (sender, seqs) = task.await.expect("sender task");
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "one sender's seqs ascend"
        );
        last_by_sender.push((sender, *seqs.last().expect("sent")));
        all.extend(seqs);
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Release);
    let (polls, partial_views) = reader.await.expect("reader");

    all.sort_unstable();
    assert_eq!(
        all,
        (1..=total).collect::<Vec<_>>(),
        "seqs are exactly 1..=N"
    );
    assert!(
        partial_views > 0,
        "the reader overlapped the senders ({polls} polls)"
    );
    eprintln!(
        "{SENDERS} senders x {PER_SENDER} messages: {total} inserts in {elapsed:?} \
         ({:.0}/s); reader polled {polls} times, {partial_views} mid-run",
        total as f64 / elapsed.as_secs_f64()
    );

    let raw = t.raw().await;
    let row = raw
        .query_one(
            "SELECT (SELECT last_seq FROM conversations WHERE id = $1),
                    (SELECT count(*) FROM outbox)",
            &[&conversation.get()],
        )
        .await
        .expect("counts");
    assert_eq!(row.get::<_, i64>(0), total);
    assert_eq!(row.get::<_, i64>(1), total, "one outbox row per message");
    // Sending moved each sender's read position to their own last message (or later).
    let client = t.pooled().await;
    for (sender, last) in last_by_sender {
        let pos = reads::mark_read(&**client, conversation, &sender, Seq::ZERO)
            .await
            .expect("read position")
            .expect("a member");
        assert!(pos.last_read_seq.get() >= last, "{sender} read position");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_sends_with_one_client_message_id_store_one_row() {
    let t = TestDb::with_pool(20).await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let conversation = support::direct(&t.db, &u[0], &u[1]).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (db, sender) = (t.db.clone(), u[0].clone());
        tasks.push(tokio::spawn(async move {
            try_send(&db, conversation, &sender, "only once", Some("key-1")).await
        }));
    }
    let (mut new, mut replays) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.expect("task") {
            Inserted::New { message, .. } => new.push(message),
            Inserted::Replay { message, .. } => replays.push(message),
            Inserted::NotMember => panic!("the sender is a member"),
            Inserted::Limited { .. } => panic!("no limit is set"),
        }
    }
    assert_eq!(new.len(), 1, "exactly one send stores the message");
    assert_eq!(replays.len(), 19);
    assert!(
        replays.iter().all(|m| *m == new[0]),
        "every caller gets the stored row"
    );
    let raw = t.raw().await;
    let row = raw
        .query_one(
            "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM outbox),
                    (SELECT last_seq FROM conversations)",
            &[],
        )
        .await
        .expect("counts");
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2)
        ),
        (1, 1, 1),
        "one message, one outbox row, no seq consumed by the replays"
    );

    // The key is scoped to (sender, conversation): another sender may use it.
    assert!(matches!(
        try_send(&t.db, conversation, &u[1], "mine", Some("key-1")).await,
        Inserted::New { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creation_of_one_pair_yields_one_conversation() {
    let t = TestDb::with_pool(12).await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let db = t.db.clone();
        // Half from each side: the pair key does not depend on who asks.
        let (me, other) = if i % 2 == 0 {
            (u[0].clone(), u[1].clone())
        } else {
            (u[1].clone(), u[0].clone())
        };
        tasks.push(tokio::spawn(async move {
            let mut client = db.client().await.expect("client");
            conversations::find_or_create_direct(&mut client, &me, &other)
                .await
                .expect("find or create")
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    let first: ConversationId = results[0].0;
    assert!(results.iter().all(|(id, _)| *id == first), "{results:?}");
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let raw = t.raw().await;
    let row = raw
        .query_one(
            "SELECT (SELECT count(*) FROM conversations),
                    (SELECT count(*) FROM conversation_members)",
            &[],
        )
        .await
        .expect("counts");
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1, 2));
}

#[tokio::test]
async fn a_non_member_cannot_send_and_nothing_is_written() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_eve"]).await;
    let conversation = support::direct(&t.db, &u[0], &u[1]).await;
    assert_eq!(
        try_send(&t.db, conversation, &u[2], "hi", None).await,
        Inserted::NotMember
    );
    let missing = ConversationId::parse("id", 999_999).expect("id");
    assert_eq!(
        try_send(&t.db, missing, &u[0], "hi", None).await,
        Inserted::NotMember
    );
    let m = send(&t.db, conversation, &u[0], "first").await;
    assert_eq!(m.seq, Seq::from_db(1), "the refused sends consumed no seq");
    assert_eq!(m.sender.name.as_deref(), Some("ann"));
    assert_eq!(m.sender.role.as_deref(), Some("student"));
    assert!(m.reactions.is_empty());
    assert_eq!(m.client_message_id, None);
}

/// Waits until a backend of this test's schema waits on a lock (the send behind the held row lock).
async fn until_a_send_waits(t: &TestDb) {
    let admin = t.raw().await;
    for _ in 0..250 {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE application_name = $1 AND wait_event_type = 'Lock'",
                &[&t.schema],
            )
            .await
            .expect("pg_stat_activity")
            .get(0);
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the send never waited for the conversation's lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_loses_the_key_race_while_waiting_gets_the_winner_and_writes_nothing() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let conversation = support::direct(&t.db, &u[0], &u[1]).await;
    // The winner: holds the conversation's row lock while the send starts,
    // then commits a message with the send's key, as a concurrent send would.
    let mut winner = t.raw().await;
    let tx = winner.transaction().await.expect("begin");
    tx.execute(
        "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1",
        &[&conversation.get()],
    )
    .await
    .expect("lock");
    let loser = tokio::spawn({
        let (db, sender) = (t.db.clone(), u[0].clone());
        async move {
            let client = db.client().await.expect("client");
            let body = support::body("the loser");
            let key = ClientMessageId::parse("race-key").expect("key");
            let new = NewMessage {
                conversation_id: conversation,
                sender: &sender,
                body: &body,
                client_message_id: Some(&key),
                socket_id: None,
                limit: Some(Limit {
                    max: 5,
                    window: std::time::Duration::from_secs(60),
                }),
            };
            messages::insert(&**client, new).await.expect("insert")
        }
    });
    // The send has taken its snapshot (no row with the key yet) and waits.
    until_a_send_waits(&t).await;
    tx.execute(
        "INSERT INTO messages (conversation_id, seq, sender_id, body, client_message_id)
         VALUES ($1, 1, 'u_ann', 'the winner', 'race-key')",
        &[&conversation.get()],
    )
    .await
    .expect("the winner's row");
    tx.commit().await.expect("commit");
    match loser.await.expect("task") {
        Inserted::Replay { message, delivered } => {
            assert_eq!(message.body.as_str(), "the winner");
            assert_eq!(message.seq, Seq::from_db(1));
            assert!(delivered, "the winner's row has no waiting outbox row");
        }
        other => panic!("expected the winner as a replay, got {other:?}"),
    }
    let raw = t.raw().await;
    let row = raw
        .query_one(
            "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM outbox),
                    (SELECT last_seq FROM conversations),
                    (SELECT count(*) FROM request_limits)",
            &[],
        )
        .await
        .expect("counts");
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2),
            row.get::<_, i64>(3)
        ),
        (1, 0, 1, 0),
        "the loser's seq bump, outbox row and count rolled back with its statement"
    );
    // The next send numbers on without a gap.
    assert_eq!(
        send(&t.db, conversation, &u[0], "next").await.seq,
        Seq::from_db(2)
    );
}
