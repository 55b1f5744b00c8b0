//! Seeds the benchmark database in SQL: users, one conversation per load
//! worker, one for delivery, and one holding the history corpus.

use anyhow::Context;
use std::time::Instant;
use tokio_postgres::{Client, NoTls};

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: String,
}

impl User {
    fn new(id: String, role: &str) -> Self {
        let name = format!("Bench {}", id.trim_start_matches("u_"));
        Self {
            id,
            name,
            role: role.into(),
        }
    }
}

/// A two-person conversation: `sender` sends, `receiver` reads and subscribes.
#[derive(Debug, Clone)]
pub struct Pair {
    pub conversation: i64,
    pub sender: User,
    pub receiver: User,
}

pub struct Seeded {
    pub workers: Vec<Pair>,
    pub delivery: Pair,
    pub history: Pair,
    pub history_rows: i64,
    /// How long the history corpus took to write (INSERT, then VACUUM ANALYZE).
    pub history_seed_s: f64,
}

pub async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| "connecting to the benchmark database")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

async fn pair(db: &Client, tag: &str) -> anyhow::Result<Pair> {
    let sender = User::new(format!("u_{tag}_s"), "student");
    let receiver = User::new(format!("u_{tag}_r"), "teacher");
    for u in [&sender, &receiver] {
        db.execute(
            "INSERT INTO users (id, name, role) VALUES ($1, $2, $3)",
            &[&u.id, &u.name, &u.role],
        )
        .await
        .with_context(|| format!("inserting user {}", u.id))?;
    }
    // The two ids sorted, as the app keys two-person conversations.
    let (a, b) = if sender.id < receiver.id {
        (&sender.id, &receiver.id)
    } else {
        (&receiver.id, &sender.id)
    };
    let direct_key = format!("{a}|{b}");
    let conversation: i64 = db
        .query_one(
            "INSERT INTO conversations (direct_key) VALUES ($1) RETURNING id",
            &[&direct_key],
        )
        .await?
        .get(0);
    db.execute(
        "INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2), ($1, $3)",
        &[&conversation, &sender.id, &receiver.id],
    )
    .await?;
    Ok(Pair {
        conversation,
        sender,
        receiver,
    })
}

/// `rows` messages, seq 1..=rows without gaps, alternating senders, one a
/// second up to now; `last_seq` and read positions kept consistent.
async fn history_corpus(db: &Client, p: &Pair, rows: i64) -> anyhow::Result<()> {
    db.execute(
        "INSERT INTO messages (conversation_id, seq, sender_id, body, created_at)
         SELECT $1, g,
                CASE WHEN g % 2 = 0 THEN $2 ELSE $3 END,
                'History message number ' || g || ': a sentence of ordinary length, like a chat line.',
                now() - make_interval(secs => ($4 - g)::float8)
         FROM generate_series(1::bigint, $4) AS g",
        &[&p.conversation, &p.sender.id, &p.receiver.id, &rows],
    )
    .await
    .context("inserting the history corpus")?;
    db.execute(
        "UPDATE conversations SET last_seq = $2, last_message_at = now() WHERE id = $1",
        &[&p.conversation, &rows],
    )
    .await?;
    db.execute(
        "UPDATE conversation_members SET last_read_seq = $2 WHERE conversation_id = $1",
        &[&p.conversation, &rows],
    )
    .await?;
    // Steady state: hint bits set and statistics current, as autovacuum would leave them.
    // One statement per call: VACUUM refuses to run in a multi-statement batch.
    db.batch_execute("VACUUM (ANALYZE) messages").await?;
    db.batch_execute("ANALYZE conversations, conversation_members, users")
        .await?;
    Ok(())
}

pub async fn seed(db: &Client, workers: usize, history_rows: i64) -> anyhow::Result<Seeded> {
    let mut pairs = Vec::with_capacity(workers);
    for i in 0..workers {
        pairs.push(pair(db, &format!("w{i}")).await?);
    }
    let delivery = pair(db, "deliver").await?;
    let history = pair(db, "hist").await?;
    let started = Instant::now();
    history_corpus(db, &history, history_rows).await?;
    Ok(Seeded {
        workers: pairs,
        delivery,
        history,
        history_rows,
        history_seed_s: started.elapsed().as_secs_f64(),
    })
}
