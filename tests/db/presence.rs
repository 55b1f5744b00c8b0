//! Presence from webhooks: idempotent, order-safe, online while in any presence channel.

use crate::common_db::TestDb;
use crate::support::{uid, users};
use messaging::db::presence::{self, PresenceState};
use messaging::db::presence_reconcile;
use messaging::domain::{Timestamp, UserId};

const T0: i64 = 1_795_685_400_000;

fn at(ms: i64) -> Option<Timestamp> {
    Timestamp::from_unix_millis(ms)
}

async fn apply(t: &TestDb, user: &UserId, channel: &str, present: bool, ms: i64) -> PresenceState {
    let mut client = t.pooled().await;
    presence::apply(&mut client, user, channel, present, ms)
        .await
        .expect("apply presence")
}

#[tokio::test]
async fn presence_follows_the_newest_event_per_channel() {
    let t = TestDb::new().await;
    let ann = users(&t.db, &["u_ann"]).await.remove(0);
    let (a, b) = ("presence-conversation-1", "presence-conversation-2");

    let s = apply(&t, &ann, a, true, T0).await;
    assert_eq!(
        s,
        PresenceState {
            online: true,
            last_seen_at: at(T0)
        }
    );
    apply(&t, &ann, b, true, T0 + 1_000).await;
    let s = apply(&t, &ann, a, false, T0 + 2_000).await;
    assert_eq!(
        s,
        PresenceState {
            online: true,
            last_seen_at: at(T0 + 2_000)
        },
        "still in the other channel"
    );
    // The same delivery again: the same state.
    assert_eq!(apply(&t, &ann, a, false, T0 + 2_000).await, s);
    // An older delivery arriving late changes nothing.
    assert_eq!(apply(&t, &ann, a, true, T0 + 1_500).await, s);
    let s = apply(&t, &ann, b, false, T0 + 3_000).await;
    assert_eq!(
        s,
        PresenceState {
            online: false,
            last_seen_at: at(T0 + 3_000)
        }
    );
    assert_eq!(
        apply(&t, &ann, b, true, T0 + 2_500).await,
        s,
        "late join ignored"
    );

    // Within one delivery (one time_ms), events apply in order: leave then rejoin ends online.
    apply(&t, &ann, a, false, T0 + 4_000).await;
    let s = apply(&t, &ann, a, true, T0 + 4_000).await;
    assert_eq!(
        s,
        PresenceState {
            online: true,
            last_seen_at: at(T0 + 4_000)
        }
    );
    let client = t.pooled().await;
    assert_eq!(presence::get(&**client, &ann).await.expect("get"), Some(s));
}

#[tokio::test]
async fn any_order_of_the_same_deliveries_ends_in_the_same_state() {
    let t = TestDb::new().await;
    let events = [
        ("presence-conversation-1", true, T0),
        ("presence-conversation-2", true, T0 + 10),
        ("presence-conversation-1", false, T0 + 20),
        ("presence-conversation-3", true, T0 + 30),
        ("presence-conversation-3", false, T0 + 40),
    ];
    // Expected: only channel 2 still present; last seen at the newest event.
    let expected = PresenceState {
        online: true,
        last_seen_at: at(T0 + 40),
    };
    let mut orders: Vec<Vec<usize>> = vec![vec![0, 1, 2, 3, 4], vec![4, 3, 2, 1, 0]];
    let mut x = 88_172_645_463_325_252u64;
    for _ in 0..8 {
        let mut order: Vec<usize> = (0..events.len()).collect();
        for i in (1..order.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        // Deliveries are retried: repeat one.
        order.push(order[0]);
        orders.push(order);
    }
    for (n, order) in orders.iter().enumerate() {
        let user = uid(&format!("u_order{n}"));
        let mut last = None;
        for &i in order {
            let (channel, present, ms) = events[i];
            last = Some(apply(&t, &user, channel, present, ms).await);
        }
        assert_eq!(last, Some(expected), "order {order:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_channels_of_one_user_are_counted_right() {
    let t = TestDb::with_pool(10).await;
    let ann = users(&t.db, &["u_ann"]).await.remove(0);
    for (present, ms) in [(true, T0), (false, T0 + 1_000)] {
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (db, ann) = (t.db.clone(), ann.clone());
            tasks.push(tokio::spawn(async move {
                let mut client = db.client().await.expect("client");
                let channel = format!("presence-conversation-{i}");
                presence::apply(&mut client, &ann, &channel, present, ms + i)
                    .await
                    .expect("apply")
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        let client = t.pooled().await;
        let s = presence::get(&**client, &ann)
            .await
            .expect("get")
            .expect("user");
        assert_eq!(
            s,
            PresenceState {
                online: present,
                last_seen_at: at(ms + 9)
            }
        );
    }
}

#[tokio::test]
async fn reconciliation_corrects_missed_events_but_not_newer_ones() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat", "u_dan"]).await;
    let (one, two) = ("presence-conversation-1", "presence-conversation-2");
    apply(&t, &u[0], one, true, T0).await;
    apply(&t, &u[1], two, true, T0).await;
    apply(&t, &u[2], one, false, T0).await;
    // Dan's join is newer than the snapshot: Pusher's list predates it.
    apply(&t, &u[3], one, true, T0 + 2_000).await;
    let snapshot = presence_reconcile::Snapshot {
        taken_ms: T0 + 1_000,
        occupied: vec![one.to_owned()],
        examined: vec![(one.to_owned(), vec![u[2].clone(), uid("u_unknown")])],
    };
    let client = t.pooled().await;
    let r = presence_reconcile::reconcile(&**client, &snapshot)
        .await
        .expect("reconcile");
    // Ann: not in her channel's list. Bob: his channel is empty. Cat: listed.
    assert_eq!((r.joined, r.left, r.confirmed), (1, 2, 1));
    let mut online = Vec::new();
    for user in &u {
        let state = presence::get(&**client, user).await.expect("get");
        online.push(state.expect("user").online);
    }
    // Ann and Bob gone, Cat there, and Dan's event, newer than the snapshot, wins.
    assert_eq!(online, vec![false, false, true, true]);
    // The same snapshot again changes nothing more.
    let again = presence_reconcile::reconcile(&**client, &snapshot)
        .await
        .expect("reconcile");
    assert_eq!((again.joined, again.left), (0, 0));
}
