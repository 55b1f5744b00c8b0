//! History pages: exact at the edges, `has_more` right in both directions, served by the keyset index.

use crate::common_db::TestDb;
use crate::support::{self, send_many, users};
use messaging::db::messages::{self, HISTORY_AFTER_SQL, HISTORY_BEFORE_SQL, Page};
use messaging::domain::{ConversationId, Seq};
use std::time::Instant;

async fn page(t: &TestDb, c: ConversationId, page: Page, limit: i64) -> (Vec<i64>, bool) {
    let client = t.pooled().await;
    let p = messages::history(&**client, c, &support::uid("u_ann"), page, limit)
        .await
        .expect("history")
        .expect("a member");
    (p.messages.iter().map(|m| m.seq.get()).collect(), p.has_more)
}

fn s(n: i64) -> Seq {
    Seq::from_db(n)
}

#[tokio::test]
async fn pages_are_exact_at_the_edges() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let empty = support::direct(&t.db, &u[0], &u[1]).await;
    let none: (Vec<i64>, bool) = (vec![], false);
    assert_eq!(page(&t, empty, Page::Latest, 5).await, none);
    assert_eq!(page(&t, empty, Page::Before(s(1)), 5).await, none);
    assert_eq!(page(&t, empty, Page::After(s(0)), 5).await, none);

    let one = support::group(&t.db, &u[0], &[u[1].clone()]).await;
    send_many(&t.db, one, &u[0], 1).await;
    assert_eq!(page(&t, one, Page::Latest, 1).await, (vec![1], false));
    assert_eq!(page(&t, one, Page::Latest, 5).await, (vec![1], false));
    assert_eq!(page(&t, one, Page::After(s(0)), 1).await, (vec![1], false));
    assert_eq!(page(&t, one, Page::After(s(1)), 5).await, none);
    assert_eq!(page(&t, one, Page::Before(s(1)), 5).await, none);
    assert_eq!(page(&t, one, Page::Before(s(2)), 5).await, (vec![1], false));

    let exact = support::group(&t.db, &u[0], &[u[1].clone()]).await;
    send_many(&t.db, exact, &u[1], 5).await;
    let all5 = (vec![1, 2, 3, 4, 5], false);
    assert_eq!(page(&t, exact, Page::Latest, 5).await, all5);
    assert_eq!(page(&t, exact, Page::After(s(0)), 5).await, all5);
    assert_eq!(page(&t, exact, Page::Before(s(6)), 5).await, all5);

    let over = support::group(&t.db, &u[0], &[u[1].clone()]).await;
    send_many(&t.db, over, &u[0], 6).await;
    assert_eq!(
        page(&t, over, Page::Latest, 5).await,
        (vec![2, 3, 4, 5, 6], true)
    );
    assert_eq!(
        page(&t, over, Page::After(s(0)), 5).await,
        (vec![1, 2, 3, 4, 5], true)
    );
    assert_eq!(
        page(&t, over, Page::After(s(1)), 5).await,
        (vec![2, 3, 4, 5, 6], false)
    );
    assert_eq!(
        page(&t, over, Page::Before(s(7)), 5).await,
        (vec![2, 3, 4, 5, 6], true)
    );
    assert_eq!(
        page(&t, over, Page::Before(s(6)), 5).await,
        (vec![1, 2, 3, 4, 5], false)
    );
    assert_eq!(
        page(&t, over, Page::Before(s(3)), 5).await,
        (vec![1, 2], false)
    );
    assert_eq!(page(&t, over, Page::Before(s(3)), 1).await, (vec![2], true));
    assert_eq!(page(&t, over, Page::After(s(4)), 1).await, (vec![5], true));
    assert_eq!(page(&t, over, Page::After(s(6)), 5).await, none);
    // Other conversations' messages never leak into a page.
    assert_eq!(page(&t, one, Page::Latest, 100).await, (vec![1], false));
}

#[tokio::test]
async fn history_carries_sender_and_reactions() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    let m = support::send(&t.db, c, &u[0], "hello").await;
    let mut client = t.pooled().await;
    let thumbs = messaging::domain::Emoji::parse("👍").expect("emoji");
    messaging::db::reactions::add(&mut client, m.id, &u[1], &thumbs)
        .await
        .expect("react");
    let p = messages::history(&**client, c, &u[1], Page::Latest, 50)
        .await
        .expect("history")
        .expect("a member");
    assert_eq!(p.messages.len(), 1);
    let got = &p.messages[0];
    assert_eq!((got.id, got.body.as_str()), (m.id, "hello"));
    assert_eq!(got.sender.name.as_deref(), Some("ann"));
    assert_eq!(got.reactions.len(), 1);
    assert_eq!(got.reactions[0].user_ids, vec![u[1].clone()]);
    assert_eq!(
        messages::get(&**client, m.id).await.expect("get"),
        Some(got.clone())
    );
    // A non-member (or an unknown conversation) gets no page at all.
    let eve = support::uid("u_eve");
    assert_eq!(
        messages::history(&**client, c, &eve, Page::Latest, 50)
            .await
            .expect("history"),
        None
    );
}

/// `EXPLAIN` of the exact statements `history` runs, with the parameters it binds.
async fn plan(raw: &tokio_postgres::Client, sql: &str, conversation: i64, bound: i64) -> String {
    let rows = raw
        .query(
            &format!("EXPLAIN {sql}"),
            &[&conversation, &bound, &51i64, &"u_ann"],
        )
        .await
        .expect("explain");
    rows.iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn history_uses_the_keyset_index_on_100k_messages() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat"]).await;
    let big = support::direct(&t.db, &u[0], &u[1]).await;
    let small = support::direct(&t.db, &u[0], &u[2]).await;
    let raw = t.raw().await;
    let started = Instant::now();
    raw.batch_execute(&format!(
        "INSERT INTO messages (conversation_id, seq, sender_id, body)
         SELECT {big}, g, CASE WHEN g % 2 = 0 THEN 'u_ann' ELSE 'u_bob' END, 'message ' || g
         FROM generate_series(1, 90000) g;
         INSERT INTO messages (conversation_id, seq, sender_id, body)
         SELECT {small}, g, 'u_cat', 'message ' || g FROM generate_series(1, 10000) g;
         UPDATE conversations SET last_seq = 90000 WHERE id = {big};
         UPDATE conversations SET last_seq = 10000 WHERE id = {small};
         ANALYZE messages; ANALYZE users; ANALYZE conversations;"
    ))
    .await
    .expect("bulk insert");
    eprintln!("inserted 100k messages in {:?}", started.elapsed());

    let cases = [
        (HISTORY_BEFORE_SQL, big.get(), i64::MAX),
        (HISTORY_BEFORE_SQL, big.get(), 45_000),
        (HISTORY_AFTER_SQL, big.get(), 0),
        (HISTORY_AFTER_SQL, big.get(), 89_990),
        (HISTORY_BEFORE_SQL, small.get(), i64::MAX),
        (HISTORY_AFTER_SQL, small.get(), 5_000),
    ];
    for (sql, conversation, bound) in cases {
        let plan = plan(&raw, sql, conversation, bound).await;
        assert!(
            !plan.contains("Seq Scan on messages"),
            "history scans the table:\n{plan}"
        );
        assert!(
            plan.contains("messages_conversation_seq_key"),
            "history does not use the keyset index:\n{plan}"
        );
        if bound == i64::MAX && conversation == big.get() {
            let line = plan
                .lines()
                .find(|l| l.contains("messages_conversation_seq_key"))
                .unwrap_or_default();
            eprintln!("latest page plan: {}", line.trim());
        }
    }

    let started = Instant::now();
    assert_eq!(
        page(&t, big, Page::Before(s(45_000)), 50).await,
        ((44_950..45_000).collect(), true)
    );
    assert_eq!(
        page(&t, big, Page::After(s(89_990)), 50).await,
        ((89_991..=90_000).collect(), false)
    );
    let latest = page(&t, big, Page::Latest, 100).await;
    assert_eq!(latest, ((89_901..=90_000).collect(), true));
    eprintln!(
        "three history pages on 100k rows in {:?}",
        started.elapsed()
    );
}
