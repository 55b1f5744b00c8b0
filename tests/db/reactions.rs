//! Reactions: consistent under concurrent changes, at most 20 distinct emoji, in reaction order.

use crate::common_db::TestDb;
use crate::support::{self, send, users};
use messaging::db::reactions::{self, MAX_DISTINCT_EMOJI, ReactionChange};
use messaging::domain::{Emoji, MessageId, Reaction, UserId};
use std::collections::{BTreeMap, BTreeSet};

fn e(raw: &str) -> Emoji {
    Emoji::parse(raw).expect("emoji")
}

fn list(change: &ReactionChange) -> Vec<Reaction> {
    match change {
        ReactionChange::Changed(r) | ReactionChange::Unchanged(r) => r.reactions.clone(),
        other => panic!("expected reactions, got {other:?}"),
    }
}

fn summary(reactions: &[Reaction]) -> Vec<(String, Vec<String>)> {
    reactions
        .iter()
        .map(|r| {
            assert_eq!(r.count as usize, r.user_ids.len());
            (
                r.emoji.as_str().to_owned(),
                r.user_ids.iter().map(|u| u.as_str().to_owned()).collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn reactions_keep_first_use_order_and_are_idempotent() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat", "u_eve"]).await;
    let c = support::group(&t.db, &u[0], &u[1..3]).await;
    let m = send(&t.db, c, &u[0], "react to me").await;
    let mut client = t.pooled().await;
    let (thumbs, heart) = (e("👍"), e("❤️"));

    let r = reactions::add(&mut client, m.id, &u[0], &thumbs)
        .await
        .expect("add");
    assert!(
        matches!(r, ReactionChange::Changed(ref x) if x.conversation_id == c && x.seq == m.seq)
    );
    reactions::add(&mut client, m.id, &u[1], &heart)
        .await
        .expect("add");
    let r = reactions::add(&mut client, m.id, &u[2], &thumbs)
        .await
        .expect("add");
    assert_eq!(
        summary(&list(&r)),
        vec![
            ("👍".into(), vec!["u_ann".into(), "u_cat".into()]),
            ("❤️".into(), vec!["u_bob".into()]),
        ]
    );
    let again = reactions::add(&mut client, m.id, &u[2], &thumbs)
        .await
        .expect("add");
    assert!(
        matches!(again, ReactionChange::Unchanged(_)),
        "adding twice changes nothing"
    );
    assert_eq!(list(&again), list(&r));

    reactions::remove(&mut client, m.id, &u[0], &thumbs)
        .await
        .expect("remove");
    let r = reactions::add(&mut client, m.id, &u[0], &thumbs)
        .await
        .expect("add");
    assert_eq!(
        summary(&list(&r)),
        vec![
            ("❤️".into(), vec!["u_bob".into()]),
            ("👍".into(), vec!["u_cat".into(), "u_ann".into()]),
        ],
        "order follows the reactions that exist now"
    );
    let absent = reactions::remove(&mut client, m.id, &u[1], &thumbs)
        .await
        .expect("remove");
    assert!(matches!(absent, ReactionChange::Unchanged(_)));

    assert_eq!(
        reactions::add(&mut client, m.id, &u[3], &thumbs)
            .await
            .expect("add"),
        ReactionChange::NotFound,
        "a non-member cannot see the message"
    );
    let missing = MessageId::parse("message_id", 987_654).expect("id");
    assert_eq!(
        reactions::remove(&mut client, missing, &u[0], &thumbs)
            .await
            .expect("remove"),
        ReactionChange::NotFound
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_distinct_emoji_stop_at_twenty() {
    let t = TestDb::with_pool(12).await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    let m = send(&t.db, c, &u[0], "so many feelings").await;
    let mut tasks = Vec::new();
    for i in 0..25 {
        let (db, who) = (t.db.clone(), u[i % 2].clone());
        tasks.push(tokio::spawn(async move {
            let mut client = db.client().await.expect("client");
            reactions::add(&mut client, m.id, &who, &e(&format!("e{i}")))
                .await
                .expect("add")
        }));
    }
    let (mut changed, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            ReactionChange::Changed(_) => changed += 1,
            ReactionChange::TooMany => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((changed, refused), (MAX_DISTINCT_EMOJI, 5));

    let mut client = t.pooled().await;
    let now = reactions::for_messages(&**client, &[m.id])
        .await
        .expect("list");
    let present: Vec<Emoji> = now[&m.id].iter().map(|r| r.emoji.clone()).collect();
    assert_eq!(present.len(), 20);
    // Joining an existing emoji is still fine; a 21st distinct one is not.
    let joined = reactions::add(&mut client, m.id, &u[1], &present[0])
        .await
        .expect("add");
    assert!(matches!(
        joined,
        ReactionChange::Changed(_) | ReactionChange::Unchanged(_)
    ));
    assert_eq!(
        reactions::add(&mut client, m.id, &u[0], &e("new"))
            .await
            .expect("add"),
        ReactionChange::TooMany
    );
    // Once an emoji is gone entirely, there is room again.
    for who in &u {
        reactions::remove(&mut client, m.id, who, &present[1])
            .await
            .expect("remove");
    }
    assert!(matches!(
        reactions::add(&mut client, m.id, &u[0], &e("new"))
            .await
            .expect("add"),
        ReactionChange::Changed(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adds_and_removes_leave_each_users_last_action() {
    let t = TestDb::with_pool(12).await;
    let ids = ["u_a", "u_b", "u_c", "u_d", "u_e", "u_f"];
    let u = users(&t.db, &ids).await;
    let c = support::group(&t.db, &u[0], &u[1..]).await;
    let m = send(&t.db, c, &u[0], "vote").await;
    let emoji = ["👍", "👎", "🎉", "🤔"];
    let mut tasks = Vec::new();
    for (n, who) in u.iter().cloned().enumerate() {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = db.client().await.expect("client");
            let mut last: BTreeMap<&str, bool> = BTreeMap::new();
            // A fixed pseudo-random walk per user.
            let mut x = 2_654_435_761u64.wrapping_mul(n as u64 + 1);
            for _ in 0..30 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let which = emoji[(x % 4) as usize];
                let add = (x >> 8) % 3 != 0;
                let change = if add {
                    reactions::add(&mut client, m.id, &who, &e(which)).await
                } else {
                    reactions::remove(&mut client, m.id, &who, &e(which)).await
                }
                .expect("change");
                // Every returned list is internally consistent.
                let listed = list(&change);
                for r in &listed {
                    let unique: BTreeSet<&UserId> = r.user_ids.iter().collect();
                    assert_eq!(unique.len(), r.user_ids.len(), "no user twice");
                    assert_eq!(r.count as usize, r.user_ids.len());
                }
                let mine = listed
                    .iter()
                    .any(|r| r.emoji.as_str() == which && r.user_ids.contains(&who));
                assert_eq!(mine, add, "the list returned reflects this change");
                last.insert(which, add);
            }
            (who, last)
        }));
    }
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for task in tasks {
        let (who, last) = task.await.expect("task");
        for (emoji, present) in last {
            if present {
                expected
                    .entry(emoji.to_owned())
                    .or_default()
                    .insert(who.as_str().to_owned());
            }
        }
    }
    let client = t.pooled().await;
    let stored = reactions::for_messages(&**client, &[m.id])
        .await
        .expect("list");
    let got: BTreeMap<String, BTreeSet<String>> = stored
        .get(&m.id)
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    let users = r.user_ids.iter().map(|u| u.as_str().to_owned()).collect();
                    (r.emoji.as_str().to_owned(), users)
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_loses_a_race_is_decided_again_on_the_winners_list() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    let m = send(&t.db, c, &u[0], "race me").await;
    // The winner: holds the message's row lock while the change takes its
    // snapshot, then commits a reaction of its own, as a concurrent change would.
    let mut winner = t.raw().await;
    let tx = winner.transaction().await.expect("begin");
    tx.execute(
        "UPDATE messages SET reactions_version = reactions_version + 1 WHERE id = $1",
        &[&m.id.get()],
    )
    .await
    .expect("lock");
    let loser = tokio::spawn({
        let (db, who) = (t.db.clone(), u[1].clone());
        async move {
            let mut client = db.client().await.expect("client");
            reactions::add(&mut client, m.id, &who, &e("❤️"))
                .await
                .expect("add")
        }
    });
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
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tx.execute(
        "INSERT INTO reactions (message_id, user_id, emoji) VALUES ($1, 'u_ann', '👍')",
        &[&m.id.get()],
    )
    .await
    .expect("the winner's reaction");
    tx.commit().await.expect("commit");
    match loser.await.expect("task") {
        ReactionChange::Changed(r) => {
            assert_eq!(
                summary(&r.reactions),
                [
                    ("👍".to_owned(), vec!["u_ann".to_owned()]),
                    ("❤️".to_owned(), vec!["u_bob".to_owned()])
                ],
                "the loser's list includes the winner's reaction"
            );
            assert_eq!(r.version, 2, "numbered after the winner's change");
        }
        other => panic!("expected a change, got {other:?}"),
    }
}
