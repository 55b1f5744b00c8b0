//! The outbox under a backlog: fair claims, backoff, dead letters, leases,
//! the send's own claim, HOT updates, and a purge that steps over waiting rows.

use crate::common_db::TestDb;
use crate::support::{self, send_many, try_send, users};
use messaging::db::messages::Inserted;
use messaging::db::outbox::{self, Failed, Failure, MAX_REFUSALS};
use messaging::domain::ConversationId;
use std::time::Duration;
use time::OffsetDateTime;

const LEASE: Duration = Duration::from_secs(120);

/// Ends the claims sends take on their own rows (as if their 10 seconds had passed).
async fn expire_send_claims(client: &messaging::db::Client) {
    client
        .batch_execute("UPDATE outbox SET claimed_until = NULL")
        .await
        .expect("expire claims");
}

fn conversations_of(claimed: &outbox::Claimed) -> Vec<ConversationId> {
    claimed.items.iter().map(|i| i.conversation_id).collect()
}

#[tokio::test]
async fn a_busy_conversation_with_a_failing_head_cannot_starve_the_others() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat", "u_dan"]).await;
    let busy = support::direct(&t.db, &u[0], &u[1]).await;
    let quiet = support::direct(&t.db, &u[0], &u[2]).await;
    let other = support::direct(&t.db, &u[0], &u[3]).await;
    send_many(&t.db, busy, &u[0], 250).await;
    support::send(&t.db, quiet, &u[0], "q1").await;
    support::send(&t.db, other, &u[0], "o1").await;
    let mut client = t.pooled().await;
    expire_send_claims(&client).await;

    let claimed = outbox::claim(&mut client, 200, LEASE, &[])
        .await
        .expect("claim");
    assert_eq!(claimed.items.len(), 200);
    // Round-robin: every conversation's first event, then the busy one's next ones in seq order.
    assert_eq!(conversations_of(&claimed)[..3], [busy, quiet, other]);
    let busy_seqs: Vec<i64> = claimed
        .items
        .iter()
        .filter(|i| i.conversation_id == busy)
        .map(|i| i.message.seq.get())
        .collect();
    assert_eq!(busy_seqs, (1..=198).collect::<Vec<_>>());
    assert_eq!(claimed.members.len(), 3);
    assert_eq!(claimed.members[&busy], vec![u[0].clone(), u[1].clone()]);

    // The busy conversation's head is refused twice (now backing off 10 s): only it waits.
    let ids: Vec<i64> = claimed.items.iter().map(|i| i.id).collect();
    outbox::release(&**client, &ids).await.expect("release");
    for _ in 0..2 {
        outbox::mark_failed(&**client, ids[0], Failure::Refused, "pusher said 413")
            .await
            .expect("fail");
    }
    support::send(&t.db, quiet, &u[0], "q2").await;
    expire_send_claims(&client).await;
    let claimed = outbox::claim(&mut client, 200, LEASE, &[])
        .await
        .expect("claim");
    let got: Vec<(ConversationId, i64)> = claimed
        .items
        .iter()
        .map(|i| (i.conversation_id, i.message.seq.get()))
        .collect();
    assert_eq!(got, vec![(quiet, 1), (other, 1), (quiet, 2)]);
}

/// (seconds from the last attempt to the next, attempts so far) of one row.
async fn backoff_of(client: &messaging::db::Client, id: i64) -> (i64, i32) {
    let row = client
        .query_one(
            "SELECT extract(epoch FROM next_attempt_at - last_attempt_at)::float8, attempts
             FROM outbox WHERE id = $1",
            &[&id],
        )
        .await
        .expect("row");
    (row.get::<_, f64>(0).round() as i64, row.get::<_, i32>(1))
}

#[tokio::test]
async fn refusals_back_off_then_dead_letter_and_the_conversation_moves_on() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    let first = support::send(&t.db, c, &u[0], "doomed").await;
    support::send(&t.db, c, &u[0], "next").await;
    let mut client = t.pooled().await;
    expire_send_claims(&client).await;
    let head: i64 = client
        .query_one("SELECT min(id) FROM outbox", &[])
        .await
        .expect("head")
        .get(0);
    let mut waits = Vec::new();
    for _ in 0..4 {
        let failed = outbox::mark_failed(&**client, head, Failure::Refused, "pusher said 413")
            .await
            .expect("fail");
        assert_eq!(failed, Failed::WillRetry);
        waits.push(backoff_of(&client, head).await);
    }
    // The first refusal (usually the send's own) waits for the next run only; then 10 s, doubling.
    assert_eq!(waits, vec![(0, 1), (10, 2), (20, 3), (40, 4)]);
    client
        .execute(
            "UPDATE outbox SET refusals = $1 WHERE id = $2",
            &[&(MAX_REFUSALS - 1), &head],
        )
        .await
        .expect("nearly spent");
    assert_eq!(
        outbox::mark_failed(&**client, head, Failure::Refused, "pusher said 413")
            .await
            .expect("fail"),
        Failed::DeadLettered
    );
    let claimed = outbox::claim(&mut client, 10, LEASE, &[])
        .await
        .expect("claim");
    let seqs: Vec<i64> = claimed.items.iter().map(|i| i.message.seq.get()).collect();
    assert_eq!(
        seqs,
        vec![2],
        "the dead letter no longer holds its conversation back"
    );
    assert_eq!(
        outbox::backlog(&**client).await.expect("backlog"),
        outbox::Backlog {
            waiting: 1,
            dead_letters: 1
        }
    );
    assert!(!is_delivered(&client, first.id).await);
}

/// Pusher down says nothing about the event: no backoff, however many tries
/// (the cron's give-up paces them), so the backlog goes the moment Pusher is
/// back; only an event older than a day is given up.
#[tokio::test]
async fn an_unavailable_pusher_never_backs_a_row_off_and_only_old_rows_die() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    support::send(&t.db, c, &u[0], "during the outage").await;
    let mut client = t.pooled().await;
    expire_send_claims(&client).await;
    let head: i64 = client
        .query_one("SELECT min(id) FROM outbox", &[])
        .await
        .expect("head")
        .get(0);
    for _ in 0..(MAX_REFUSALS * 3) {
        let failed = outbox::mark_failed(&**client, head, Failure::Unavailable, "timed out")
            .await
            .expect("fail");
        assert_eq!(failed, Failed::WillRetry);
        assert_eq!(backoff_of(&client, head).await.0, 0);
    }
    let claimed = outbox::claim(&mut client, 10, LEASE, &[])
        .await
        .expect("claim");
    assert_eq!(claimed.items.len(), 1, "due again at once");
    assert_eq!(claimed.items[0].attempts, MAX_REFUSALS * 3);
    outbox::release(&**client, &[head]).await.expect("release");
    // A refusal after many outage failures is still the first refusal.
    outbox::mark_failed(&**client, head, Failure::Refused, "pusher said 413")
        .await
        .expect("fail");
    assert_eq!(backoff_of(&client, head).await.0, 0);
    client
        .execute(
            "UPDATE outbox SET created_at = now() - interval '25 hours' WHERE id = $1",
            &[&head],
        )
        .await
        .expect("age");
    assert_eq!(
        outbox::mark_failed(&**client, head, Failure::Unavailable, "timed out")
            .await
            .expect("fail"),
        Failed::DeadLettered
    );
}

#[tokio::test]
async fn overlapping_claims_never_share_a_row_or_split_a_conversation() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat"]).await;
    let a = support::direct(&t.db, &u[0], &u[1]).await;
    let b = support::direct(&t.db, &u[0], &u[2]).await;
    send_many(&t.db, a, &u[0], 3).await;
    send_many(&t.db, b, &u[0], 2).await;
    let (mut one, mut two) = (t.pooled().await, t.pooled().await);
    expire_send_claims(&one).await;
    let (x, y) = tokio::join!(
        outbox::claim(&mut one, 3, LEASE, &[]),
        outbox::claim(&mut two, 3, LEASE, &[])
    );
    let (x, y) = (x.expect("claim"), y.expect("claim"));
    let mut sizes = [x.items.len(), y.items.len()];
    sizes.sort_unstable();
    // The first claim took a1, b1, a2; a3 and b2 stay with it: taking them could reorder a or b.
    assert_eq!(sizes, [0, 3]);
    let again = outbox::claim(&mut one, 10, LEASE, &[])
        .await
        .expect("claim");
    assert!(again.items.is_empty(), "{:?}", again.items);
    // A run that died: its lease runs out and the rows come back.
    one.batch_execute("UPDATE outbox SET claimed_until = now() - interval '1 second'")
        .await
        .expect("expire");
    let back = outbox::claim(&mut two, 10, LEASE, &[])
        .await
        .expect("claim");
    assert_eq!(back.items.len(), 5);
    // Rows a run already tried are skipped by that run (and hold back their conversation).
    let ids: Vec<i64> = back.items.iter().map(|i| i.id).collect();
    outbox::release(&**one, &ids).await.expect("release");
    let head_of_a = back
        .items
        .iter()
        .find(|i| i.conversation_id == a)
        .map(|i| i.id)
        .expect("a's head");
    let rest = outbox::claim(&mut one, 10, LEASE, &[head_of_a])
        .await
        .expect("claim");
    assert_eq!(conversations_of(&rest), vec![b, b]);
}

#[tokio::test]
async fn a_sends_own_claim_counts_from_its_insert_not_its_transactions_start() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    let raw = t.raw().await;
    raw.batch_execute(&format!(
        "BEGIN; SELECT 1 FROM conversations WHERE id = {} FOR UPDATE",
        c.get()
    ))
    .await
    .expect("hold the conversation");
    let db = t.db.clone();
    let sender = u[0].clone();
    let send = tokio::spawn(async move { try_send(&db, c, &sender, "late", None).await });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let released: OffsetDateTime = raw
        .query_one("SELECT clock_timestamp()", &[])
        .await
        .expect("clock")
        .get(0);
    raw.batch_execute("COMMIT").await.expect("release");
    let Inserted::New { outbox_id, .. } = send.await.expect("send") else {
        panic!("expected a new message");
    };
    let row = raw
        .query_one(
            "SELECT created_at, claimed_until FROM outbox WHERE id = $1",
            &[&outbox_id],
        )
        .await
        .expect("row");
    let (created, claimed): (OffsetDateTime, OffsetDateTime) = (row.get(0), row.get(1));
    assert!(
        created >= released,
        "{created} vs lock released at {released}"
    );
    assert!(
        claimed - created >= time::Duration::seconds(10),
        "{claimed}"
    );
    let mut client = t.pooled().await;
    let claimed = outbox::claim(&mut client, 10, LEASE, &[])
        .await
        .expect("claim");
    assert!(
        claimed.items.is_empty(),
        "the send's trigger may still be running"
    );
}

/// (updates, HOT updates) of the outbox so far, once two reads agree.
async fn outbox_updates(client: &messaging::db::Client) -> (i64, i64) {
    let mut last = None;
    for _ in 0..50 {
        // Statistics reach the shared counters when the backend goes idle; ask for it now.
        client
            .batch_execute("SELECT pg_stat_force_next_flush()")
            .await
            .expect("flush");
        let row = client
            .query_one(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
                 WHERE schemaname = current_schema() AND relname = 'outbox'",
                &[],
            )
            .await
            .expect("stats");
        let now: (i64, i64) = (row.get(0), row.get(1));
        if last == Some(now) {
            return now;
        }
        last = Some(now);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the statistics never settled: {last:?}");
}

#[tokio::test]
async fn failures_and_claims_can_be_hot_updates_and_delivery_never_is() {
    // One connection: the statistics read are this backend's own, flushed on demand.
    let t = TestDb::with_pool(1).await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    let mut client = t.pooled().await;
    // Fresh rows, straight in SQL: their page has the room the table's fillfactor keeps.
    client
        .execute(
            "WITH m AS (
                 INSERT INTO messages (conversation_id, seq, sender_id, body)
                 SELECT $1, g, 'u_ann', 'm' || g FROM generate_series(1, 50) g
                 RETURNING id
             )
             INSERT INTO outbox (message_id, conversation_id) SELECT id, $1 FROM m",
            &[&c.get()],
        )
        .await
        .expect("rows");
    let ids: Vec<i64> = client
        .query("SELECT id FROM outbox ORDER BY id", &[])
        .await
        .expect("ids")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let before = outbox_updates(&client).await;
    for id in &ids {
        outbox::mark_failed(&**client, *id, Failure::Unavailable, "pusher said 500")
            .await
            .expect("fail");
    }
    let failed = outbox_updates(&client).await;
    let claimed = outbox::claim(&mut client, 50, LEASE, &[])
        .await
        .expect("claim");
    assert_eq!(claimed.items.len(), 50);
    let after_claim = outbox_updates(&client).await;
    outbox::mark_delivered(&**client, &ids)
        .await
        .expect("deliver");
    let delivered = outbox_updates(&client).await;
    let delta = |a: (i64, i64), b: (i64, i64)| (b.0 - a.0, b.1 - a.1);
    let (failures, claims, deliveries) = (
        delta(before, failed),
        delta(failed, after_claim),
        delta(after_claim, delivered),
    );
    eprintln!(
        "outbox updates (all, HOT): mark_failed {failures:?}, claim {claims:?}, mark_delivered {deliveries:?}"
    );
    assert_eq!((failures.0, claims.0, deliveries.0), (50, 50, 50));
    // How many are HOT depends on room in the page, and on whether older row
    // versions can be pruned yet (no older transaction open anywhere): 50 of
    // 50 failures alone on the server. The free fifth of a fresh page takes
    // the first ones whatever else runs.
    assert!(failures.1 >= 5, "{failures:?}");
    // delivered_at is in the waiting index's predicate: never HOT (the comment says so).
    assert_eq!(deliveries.1, 0);
}

#[tokio::test]
async fn a_purge_steps_over_waiting_rows_and_drops_old_dead_letters() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    let m = support::send(&t.db, c, &u[0], "old").await;
    let client = t.pooled().await;
    client
        .batch_execute("UPDATE outbox SET created_at = now() - interval '40 days'")
        .await
        .expect("an old send");
    client
        .execute(
            "INSERT INTO outbox (message_id, conversation_id, created_at, delivered_at, dead_at)
             SELECT $1, $2, now() - interval '40 days',
                    CASE WHEN g > 5 AND g <= 25 THEN now() - interval '39 days' END,
                    CASE WHEN g > 25 THEN now() - interval '39 days' END
             FROM generate_series(1, 28) g",
            &[&m.id.get(), &c.get()],
        )
        .await
        .expect("old rows");
    // 1 + 5 waiting rows first, then 20 delivered and 3 dead long ago.
    let keep = Duration::from_secs(3600);
    let (mut deleted, mut after, mut steps) = (0, 0, 0);
    loop {
        let step = outbox::purge_step(&**client, keep, keep, after, 10)
            .await
            .expect("purge");
        deleted += step.deleted;
        after = step.next_after_id;
        steps += 1;
        if step.done {
            break;
        }
    }
    assert_eq!((deleted, steps), (23, 3));
    assert_eq!(
        outbox::backlog(&**client).await.expect("backlog"),
        outbox::Backlog {
            waiting: 6,
            dead_letters: 0
        }
    );
    // Purged rows still count as delivered (a late replay must not say "queued").
    client
        .batch_execute("UPDATE outbox SET delivered_at = now()")
        .await
        .expect("deliver the rest");
    let step = outbox::purge_step(&**client, Duration::ZERO, keep, 0, 100)
        .await
        .expect("purge");
    assert_eq!((step.deleted, step.done), (6, true));
    assert!(is_delivered(&client, m.id).await);
}

/// No undelivered row for the message: its event went out (delivered rows are purged later).
async fn is_delivered(
    client: &messaging::db::Client,
    message: messaging::domain::MessageId,
) -> bool {
    client
        .query_one(
            "SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE message_id = $1 AND delivered_at IS NULL)",
            &[&message.get()],
        )
        .await
        .expect("state")
        .get(0)
}

/// Every plan node's rows times its loops, summed: the work a statement did.
fn tuples_processed(plan: &serde_json::Value) -> f64 {
    let own =
        plan["Actual Rows"].as_f64().unwrap_or(0.0) * plan["Actual Loops"].as_f64().unwrap_or(0.0);
    own + plan["Plans"]
        .as_array()
        .map(|children| children.iter().map(tuples_processed).sum())
        .unwrap_or(0.0)
}

/// After an outage the outbox fills faster than autovacuum re-analyses it:
/// a claim planned from "the table is empty" statistics must still do work
/// linear in the backlog (it once re-ran its window per row: 10,000 waiting
/// rows, 146 s per claim, and the cron drained nothing).
#[tokio::test]
async fn a_claim_does_linear_work_on_a_backlog_its_statistics_have_not_seen() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat"]).await;
    let a = support::direct(&t.db, &u[0], &u[1]).await;
    let b = support::direct(&t.db, &u[0], &u[2]).await;
    let raw = t.raw().await;
    const N: i64 = 3_000;
    for c in [a, b] {
        raw.batch_execute(&format!(
            "ALTER TABLE outbox SET (autovacuum_enabled = off);
             WITH bumped AS (
                 UPDATE conversations SET last_seq = last_seq + {N} WHERE id = {c}
                 RETURNING last_seq - {N} AS base
             ), inserted AS (
                 INSERT INTO messages (conversation_id, seq, sender_id, body)
                 SELECT {c}, base + g, 'u_ann', 'backlog ' || g
                 FROM bumped, generate_series(1, {N}) g
                 RETURNING id
             )
             INSERT INTO outbox (message_id, conversation_id) SELECT id, {c} FROM inserted",
            c = c.get()
        ))
        .await
        .expect("a backlog");
    }
    let analyzed: Option<OffsetDateTime> = raw
        .query_one(
            "SELECT greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables
             WHERE relname = 'outbox' AND schemaname = current_schema()",
            &[],
        )
        .await
        .expect("stats")
        .get(0);
    assert_eq!(analyzed, None, "the point is a plan from stale statistics");
    let explain = format!(
        "EXPLAIN (ANALYZE, FORMAT JSON) {}",
        outbox::CLAIM_SQL
            .replace("$1", "200")
            .replace("$2", "120000000")
            .replace("$3", "'{}'::bigint[]")
    );
    let row = raw.query_one(&explain, &[]).await.expect("explain");
    let plan: serde_json::Value = row.get(0);
    let work = tuples_processed(&plan[0]["Plan"]);
    let backlog = (2 * N) as f64;
    assert!(
        work < 20.0 * backlog,
        "a claim over {backlog} waiting rows processed {work} tuples: {plan}"
    );
}
