//! Conversations: creation rules, the caller's list and its JSON shape, users kept from claims.

use crate::common_db::TestDb;
use crate::support::{self, send, uid, users};
use messaging::db::conversations::{ConversationSummary, Selection};
use messaging::db::{
    DbError, GenericClient, conversations, presence, reactions, reads, users as db_users,
};
use messaging::domain::{ConversationId, Emoji, Seq, Title, UserId};
use messaging::error::AppError;
use serde_json::json;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(300);

async fn list(c: &impl GenericClient, user: &UserId) -> Vec<ConversationSummary> {
    let all = Selection::Page {
        after: None,
        limit: 100,
    };
    conversations::list_for_user(c, user, all, TTL)
        .await
        .expect("list")
        .conversations
}

async fn summary(
    c: &impl GenericClient,
    id: ConversationId,
    user: &UserId,
) -> Option<ConversationSummary> {
    conversations::summary(c, id, user, TTL)
        .await
        .expect("summary")
}

#[tokio::test]
async fn the_list_is_most_recent_first_with_unread_counts_and_last_messages() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat"]).await;
    let with_bob = support::direct(&t.db, &u[0], &u[1]).await;
    let with_cat = support::direct(&t.db, &u[0], &u[2]).await;
    let title = Title::parse("Study group").expect("title");
    let group = {
        let mut client = t.pooled().await;
        conversations::create_group(
            &mut client,
            &u[0],
            &[u[1].clone(), u[2].clone()],
            title.as_ref(),
        )
        .await
        .expect("group")
    };
    send(&t.db, with_bob, &u[1], "one").await;
    send(&t.db, with_bob, &u[1], "two").await;
    let last = send(&t.db, with_cat, &u[0], "hi cat").await;
    let mut client = t.pooled().await;
    reactions::add(
        &mut client,
        last.id,
        &u[2],
        &Emoji::parse("🎉").expect("emoji"),
    )
    .await
    .expect("react");

    let mine = list(&**client, &u[0]).await;
    let order: Vec<_> = mine.iter().map(|c| c.id).collect();
    // Activity is the last message, else creation: the group was created before any message.
    assert_eq!(order, vec![with_cat, with_bob, group]);
    let bob_conv = &mine[1];
    assert_eq!(
        (bob_conv.unread_count, bob_conv.last_read_seq),
        (2, Seq::ZERO)
    );
    assert_eq!(bob_conv.last_message.as_ref().map(|m| m.seq.get()), Some(2));
    let cat_conv = &mine[0];
    assert_eq!(cat_conv.unread_count, 0, "own messages are read");
    let m = cat_conv.last_message.as_ref().expect("last message");
    assert_eq!(
        m.reactions.len(),
        1,
        "the last message carries its reactions"
    );
    assert_eq!(mine[2].title.as_deref(), Some("Study group"));
    assert_eq!(mine[2].members.len(), 3);
    assert!(mine[2].last_message.is_none());

    reads::mark_read(&**client, with_bob, &u[0], Seq::from_db(1))
        .await
        .expect("read");
    let s = summary(&**client, with_bob, &u[0]).await.expect("member");
    assert_eq!((s.last_read_seq, s.unread_count), (Seq::from_db(1), 1));
    assert_eq!(
        summary(&**client, with_bob, &u[2]).await,
        None,
        "a non-member sees nothing"
    );
    assert!(list(&**client, &uid("u_nobody")).await.is_empty());
}

#[tokio::test]
async fn a_summary_serialises_exactly_as_the_contract() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob"]).await;
    let c = support::direct(&t.db, &u[0], &u[1]).await;
    let m = send(&t.db, c, &u[0], "hello").await;
    let mut client = t.pooled().await;
    // Bob joined and left this conversation's presence channel.
    let channel = format!("presence-conversation-{c}");
    for (present, ms) in [(true, 1_795_685_400_000), (false, 1_795_685_400_123)] {
        presence::apply(&mut client, &u[1], &channel, present, ms)
            .await
            .expect("presence");
    }
    let s = summary(&**client, c, &u[1]).await.expect("member");
    let created = m.created_at.to_rfc3339_millis();
    assert_eq!(
        serde_json::to_value(&s).expect("json"),
        json!({
            "id": c.get(),
            "title": "ann",
            "members": [
                {"id": "u_ann", "name": "ann", "role": "student", "online": false, "last_seen_at": null,
                 "last_read_seq": 1},
                {"id": "u_bob", "name": "bob", "role": "student", "online": false,
                 "last_seen_at": "2026-11-26T09:30:00.123Z", "last_read_seq": 0},
            ],
            "last_message": {
                "id": m.id.get(), "conversation_id": c.get(), "seq": 1,
                "sender": {"id": "u_ann", "name": "ann", "role": "student"},
                "body": "hello", "client_message_id": null, "created_at": created,
                "reactions": [], "reactions_version": 0,
            },
            "last_read_seq": 0,
            "unread_count": 1,
            "muted": false,
        })
    );
}

#[tokio::test]
async fn groups_ignore_repeats_and_the_caller_and_refuse_unknown_members() {
    let t = TestDb::new().await;
    let u = users(&t.db, &["u_ann", "u_bob", "u_cat"]).await;
    let mut client = t.pooled().await;
    let others = [u[1].clone(), u[0].clone(), u[1].clone(), u[2].clone()];
    let g = conversations::create_group(&mut client, &u[0], &others, None)
        .await
        .expect("group");
    assert_eq!(
        conversations::member_ids(&**client, g)
            .await
            .expect("members")
            .len(),
        3
    );
    let members = conversations::member_ids(&**client, g)
        .await
        .expect("members");
    assert!(members.contains(&u[2]));
    assert!(!members.contains(&uid("u_zed")));

    let err = conversations::create_group(&mut client, &u[0], &[uid("u_ghost")], None)
        .await
        .expect_err("unknown member");
    assert!(matches!(err, DbError::MissingReference { .. }), "{err:?}");
    assert_eq!(AppError::from(err).status(), 400);
    let count: i64 = client
        .query_one("SELECT count(*) FROM conversations", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(count, 1, "the failed creation left nothing behind");

    // The direct pair is found again from either side, never duplicated.
    let (first, created) = conversations::find_or_create_direct(&mut client, &u[0], &u[1])
        .await
        .expect("direct");
    assert!(created);
    let (again, created) = conversations::find_or_create_direct(&mut client, &u[1], &u[0])
        .await
        .expect("direct");
    assert_eq!((again, created), (first, false));
}

#[tokio::test]
async fn users_are_kept_from_claims_without_needless_writes() {
    let t = TestDb::new().await;
    let client = t.pooled().await;
    let ann = uid("u_ann");
    let version = || async {
        client
            .query_one("SELECT xmin::text, name FROM users WHERE id = 'u_ann'", &[])
            .await
            .map(|r| (r.get::<_, String>(0), r.get::<_, Option<String>>(1)))
            .expect("row")
    };
    db_users::upsert(&**client, &ann, Some("Ann"), Some("student"))
        .await
        .expect("insert");
    let v1 = version().await;
    db_users::upsert(&**client, &ann, Some("Ann"), Some("student"))
        .await
        .expect("same");
    assert_eq!(version().await, v1, "unchanged claims write nothing");
    db_users::upsert(&**client, &ann, Some("Ann B."), Some("student"))
        .await
        .expect("rename");
    let v2 = version().await;
    assert_ne!(v2.0, v1.0);
    assert_eq!(v2.1.as_deref(), Some("Ann B."));
    db_users::upsert(&**client, &ann, None, None)
        .await
        .expect("clear");
    assert_eq!(version().await.1, None);

    let unknown = db_users::unknown_ids(&**client, &[uid("u_zed"), ann.clone(), uid("u_amy")])
        .await
        .expect("unknown");
    assert_eq!(
        unknown,
        vec![uid("u_zed"), uid("u_amy")],
        "in the order given"
    );
    assert!(
        db_users::unknown_ids(&**client, &[])
            .await
            .expect("none")
            .is_empty()
    );
}
