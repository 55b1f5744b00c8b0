//! Fixtures: users, conversations and messages made through the storage functions themselves.

use messaging::db::messages::{self, Inserted, NewMessage};
use messaging::db::{Db, conversations, users};
use messaging::domain::{ClientMessageId, ConversationId, Message, MessageBody, UserId};

pub fn uid(raw: &str) -> UserId {
    UserId::parse("user_id", raw).expect("a valid user id")
}

pub fn body(raw: &str) -> MessageBody {
    MessageBody::parse(raw.to_owned()).expect("a valid body")
}

/// Creates users named after their ids (`u_ann` -> "ann"), role `student`.
pub async fn users(db: &Db, ids: &[&str]) -> Vec<UserId> {
    let client = db.client().await.expect("client");
    let mut out = Vec::new();
    for raw in ids {
        let id = uid(raw);
        users::upsert(
            &**client,
            &id,
            Some(raw.trim_start_matches("u_")),
            Some("student"),
        )
        .await
        .expect("upsert user");
        out.push(id);
    }
    out
}

pub async fn direct(db: &Db, a: &UserId, b: &UserId) -> ConversationId {
    let mut client = db.client().await.expect("client");
    conversations::find_or_create_direct(&mut client, a, b)
        .await
        .expect("direct conversation")
        .0
}

pub async fn group(db: &Db, me: &UserId, others: &[UserId]) -> ConversationId {
    let mut client = db.client().await.expect("client");
    conversations::create_group(&mut client, me, others, None)
        .await
        .expect("group conversation")
}

pub async fn try_send(
    db: &Db,
    conversation: ConversationId,
    sender: &UserId,
    text: &str,
    key: Option<&str>,
) -> Inserted {
    let client = db.client().await.expect("client");
    let body = body(text);
    let key = key.map(|k| ClientMessageId::parse(k).expect("a valid key"));
    let new = NewMessage {
        conversation_id: conversation,
        sender,
        body: &body,
        client_message_id: key.as_ref(),
        socket_id: None,
        limit: None,
    };
    messages::insert(&**client, new).await.expect("insert")
}

pub async fn send(db: &Db, conversation: ConversationId, sender: &UserId, text: &str) -> Message {
    match try_send(db, conversation, sender, text, None).await {
        Inserted::New { message, .. } => message,
        other => panic!("expected a new message, got {other:?}"),
    }
}

pub async fn send_many(db: &Db, conversation: ConversationId, sender: &UserId, n: usize) {
    for i in 1..=n {
        send(db, conversation, sender, &format!("message {i}")).await;
    }
}
