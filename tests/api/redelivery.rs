//! The cron under a backlog: drained within one run, dead letters reported,
//! overlapping runs that never send one event twice, and a purge that keeps up.

use crate::support::{CRON_SECRET, TestApp, Tweaks, read};
use crate::ws::WsClient;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

async fn cron(t: &TestApp) -> Value {
    let req = t
        .http
        .get(format!("{}/api/cron/redeliver", t.base))
        .bearer_auth(CRON_SECRET);
    let (s, b) = read(req.send().await.expect("cron")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

/// Every application event within `wait` of silence, counted by name.
async fn events_until_quiet(ws: &mut WsClient, wait: Duration) -> HashMap<String, Vec<Value>> {
    let mut seen: HashMap<String, Vec<Value>> = HashMap::new();
    while let Ok(frame) = tokio::time::timeout(wait, ws.next_event()).await {
        seen.entry(frame.event.clone())
            .or_default()
            .push(frame.data_json());
    }
    seen
}

/// `n` stored messages from `sender` whose events wait in the outbox, written straight in SQL.
async fn backlog(t: &TestApp, conversation: i64, sender: &str, n: i64) {
    let raw = t.db.raw().await;
    raw.batch_execute(&format!(
        "WITH bumped AS (
             UPDATE conversations SET last_seq = last_seq + {n} WHERE id = {conversation}
             RETURNING last_seq - {n} AS base
         ), inserted AS (
             INSERT INTO messages (conversation_id, seq, sender_id, body)
             SELECT {conversation}, base + g, '{sender}', 'backlog ' || g
             FROM bumped, generate_series(1, {n}) g
             RETURNING id
         )
         INSERT INTO outbox (message_id, conversation_id) SELECT id, {conversation} FROM inserted"
    ))
    .await
    .expect("a backlog");
}

#[tokio::test]
async fn one_run_drains_a_backlog_larger_than_a_batch_and_quiet_conversations_are_not_starved() {
    let t = TestApp::start().await;
    let busy = t.conversation("u_alice", "u_bob").await;
    let quiet = t.conversation("u_alice", "u_carol").await;
    backlog(&t, busy, "u_alice", 250).await;
    backlog(&t, quiet, "u_alice", 1).await;
    let mut carol = t
        .subscriber("u_carol", &format!("private-conversation-{quiet}"))
        .await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{busy}"))
        .await;
    let run = cron(&t).await;
    assert_eq!(
        run,
        json!({"delivered": 251, "failed": 0, "dead_lettered": 0, "dead_letters": 0,
               "waiting": 0, "purged": 0, "drained": true})
    );
    assert_eq!(carol.expect("new-message").await.data_json()["seq"], 1);
    // The busy conversation's events arrive once each, in seq order.
    let seen = events_until_quiet(&mut bob, Duration::from_millis(500)).await;
    let seqs: Vec<i64> = seen["new-message"]
        .iter()
        .map(|m| m["seq"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(seqs, (1..=250).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_event_a_day_old_is_dead_lettered_at_its_next_failure_and_its_conversation_moves_on() {
    let mut t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    t.sockudo.stop();
    let first = t.send("u_alice", c, "lost cause").await;
    let second = t.send("u_alice", c, "still coming").await;
    assert_eq!(
        (&first["delivery"], &second["delivery"]),
        (&json!("queued"), &json!("queued"))
    );
    let raw = t.db.raw().await;
    raw.execute(
        "UPDATE outbox SET created_at = now() - interval '25 hours' WHERE message_id = $1",
        &[&first["message"]["id"].as_i64()],
    )
    .await
    .expect("a day old");
    // Pusher still down: the first event's last attempt fails; the run stops.
    let run = cron(&t).await;
    assert_eq!(
        run,
        json!({"delivered": 0, "failed": 1, "dead_lettered": 1, "dead_letters": 1,
               "waiting": 1, "purged": 0, "drained": false})
    );
    t.sockudo.restart().await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let run = cron(&t).await;
    assert_eq!(
        run,
        json!({"delivered": 1, "failed": 0, "dead_lettered": 0, "dead_letters": 1,
               "waiting": 0, "purged": 0, "drained": true})
    );
    let seen = events_until_quiet(&mut bob, Duration::from_millis(500)).await;
    assert_eq!(seen["new-message"], vec![second["message"].clone()]);
    let dead_error = t
        .sql_one_i64(
            "SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL AND last_error IS NOT NULL",
        )
        .await;
    assert_eq!(dead_error, 1);
}

/// A Pusher outage across many cron runs backs nothing off: the first run
/// after it drains the whole backlog, in seq order.
#[tokio::test]
async fn the_first_run_after_an_outage_drains_everything_however_long_it_lasted() {
    let mut t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let other = t.conversation("u_alice", "u_carol").await;
    t.sockudo.stop();
    let mut queued = 0;
    for (n, conversation) in [c, other, c, other, c].into_iter().enumerate() {
        let sent = t
            .send("u_alice", conversation, &format!("during {n}"))
            .await;
        assert_eq!(sent["delivery"], "queued");
        queued += 1;
    }
    for _ in 0..6 {
        let run = cron(&t).await;
        assert_eq!(
            (&run["delivered"], &run["dead_lettered"], &run["waiting"]),
            (&json!(0), &json!(0), &json!(queued))
        );
    }
    let backed_off = t
        .sql_one_i64("SELECT count(*) FROM outbox WHERE next_attempt_at > now()")
        .await;
    assert_eq!(backed_off, 0, "an outage backed rows off");
    t.sockudo.restart().await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let run = cron(&t).await;
    assert_eq!(
        (&run["delivered"], &run["waiting"], &run["drained"]),
        (&json!(queued), &json!(0), &json!(true))
    );
    let seen = events_until_quiet(&mut bob, Duration::from_millis(500)).await;
    let seqs: Vec<i64> = seen["new-message"]
        .iter()
        .map(|m| m["seq"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
}

#[tokio::test]
async fn overlapping_runs_never_send_one_event_twice() {
    let t = TestApp::start_with(Tweaks {
        pusher_delay: Some(Duration::from_millis(400)),
        ..Tweaks::default()
    })
    .await;
    let c = t.conversation("u_alice", "u_bob").await;
    let d = t.conversation("u_alice", "u_carol").await;
    backlog(&t, c, "u_alice", 3).await;
    backlog(&t, d, "u_alice", 2).await;
    let mut bob = t
        .subscriber("u_bob", &format!("private-conversation-{c}"))
        .await;
    let mut carol = t
        .subscriber("u_carol", &format!("private-conversation-{d}"))
        .await;
    let (a, b) = tokio::join!(cron(&t), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cron(&t).await
    });
    assert_eq!(
        a["delivered"].as_i64().unwrap_or(0) + b["delivered"].as_i64().unwrap_or(0),
        5,
        "{a} {b}"
    );
    let to_bob = events_until_quiet(&mut bob, Duration::from_millis(800)).await;
    let to_carol = events_until_quiet(&mut carol, Duration::from_millis(300)).await;
    let seqs = |seen: &HashMap<String, Vec<Value>>| -> Vec<i64> {
        seen["new-message"]
            .iter()
            .map(|m| m["seq"].as_i64().unwrap_or(0))
            .collect()
    };
    assert_eq!(seqs(&to_bob), vec![1, 2, 3]);
    assert_eq!(seqs(&to_carol), vec![1, 2]);
}

#[tokio::test]
async fn one_run_purges_more_than_one_batch_and_steps_over_waiting_rows() {
    let t = TestApp::start().await;
    let c = t.conversation("u_alice", "u_bob").await;
    let m = t.send("u_alice", c, "old news").await["message"]["id"]
        .as_i64()
        .expect("id");
    let raw = t.db.raw().await;
    raw.batch_execute(&format!(
        "DELETE FROM outbox;
         INSERT INTO outbox (message_id, conversation_id, created_at, claimed_until)
         SELECT {m}, {c}, now() - interval '10 days', now() + interval '1 hour'
         FROM generate_series(1, 3);
         INSERT INTO outbox (message_id, conversation_id, created_at, delivered_at)
         SELECT {m}, {c}, now() - interval '9 days', now() - interval '8 days'
         FROM generate_series(1, 6000);"
    ))
    .await
    .expect("old rows");
    let run = cron(&t).await;
    assert_eq!(run["purged"], 6000, "{run}");
    assert_eq!(run["waiting"], 3, "{run}");
    assert_eq!(t.sql_one_i64("SELECT count(*) FROM outbox").await, 3);
}

#[tokio::test]
async fn a_run_sends_several_conversations_at_once() {
    let delay = Duration::from_millis(500);
    let t = TestApp::start_with(Tweaks {
        pusher_delay: Some(delay),
        ..Tweaks::default()
    })
    .await;
    for other in ["u_b1", "u_b2", "u_b3", "u_b4", "u_b5", "u_b6"] {
        let c = t.conversation("u_alice", other).await;
        backlog(&t, c, "u_alice", 2).await;
    }
    let start = std::time::Instant::now();
    let run = cron(&t).await;
    let took = start.elapsed();
    eprintln!("12 events in 6 conversations, Pusher delay {delay:?}: one run took {took:?}");
    assert_eq!(
        (&run["delivered"], &run["drained"]),
        (&json!(12), &json!(true))
    );
    // One after another would take 12 delays; each conversation's two go in order.
    assert!(took < delay * 4, "{took:?}");
}
