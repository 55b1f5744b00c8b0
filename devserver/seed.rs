//! Demo data: the demo users and the student-teacher conversation, with a
//! first message so the page is not empty. Idempotent: safe on every start.

use crate::dev_login::DEMO_USERS;
use anyhow::Context;
use messaging::app::App;
use messaging::db::{self, messages::Inserted};
use messaging::domain::{ClientMessageId, MessageBody, UserId};

pub async fn demo_data(app: &App) -> anyhow::Result<()> {
    let mut client = app
        .db
        .client()
        .await
        .context("connecting to seed demo data")?;
    let mut ids = Vec::new();
    for u in &DEMO_USERS {
        let id = UserId::parse("id", u.id)?;
        db::users::upsert(&**client, &id, Some(u.name), Some(u.role))
            .await
            .context("seeding demo users")?;
        ids.push(id);
    }
    // A two-person conversation has no title of its own: each side sees the other's name.
    let (conversation_id, _) =
        db::conversations::find_or_create_direct(&mut client, &ids[0], &ids[1])
            .await
            .context("seeding the demo conversation")?;
    // A fixed idempotency key makes this one message however often we start.
    let key = ClientMessageId::parse("seed-welcome")?;
    let body = MessageBody::parse(
        "Welcome! Send a message from the other window to see it arrive.".into(),
    )?;
    let new = db::messages::NewMessage {
        conversation_id,
        sender: &ids[1],
        body: &body,
        client_message_id: Some(&key),
        socket_id: None,
        limit: None,
    };
    if let Inserted::New { outbox_id, .. } = db::messages::insert(&**client, new).await? {
        // Nobody is subscribed yet: there is nothing to deliver.
        db::outbox::mark_delivered(&**client, &[outbox_id]).await?;
    }
    println!(
        "devserver: demo conversation {conversation_id} between u_student and u_teacher is ready"
    );
    Ok(())
}
