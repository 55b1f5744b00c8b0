//! Pusher messages counted per chat message, per typing event and per read
//! receipt, before and after issue 15, for 2-person and 30-person
//! conversations: the events our code publishes (lib/realtime) times the
//! connections the web app subscribes (lib/realtime/cost.rs), counted as
//! Pusher's support article "How is my message count calculated?" does.
//! Then how many daily active users fit in the free tier. Prints Markdown.
//!
//!   cargo run --quiet --example pusher_cost

use messaging::domain::Seq;
use messaging::realtime::cost::{Cost, Room, count};
use messaging::realtime::messages_read_event;

/// Pusher Sandbox (free) plan: messages per day.
const FREE_TIER_PER_DAY: usize = 200_000;
/// Assumptions for the daily active user figure (stated in the README).
const SENT_PER_USER_PER_DAY: usize = 30;
const TYPING_EVENTS_PER_MESSAGE: usize = 1;
const OPENS_PER_USER_PER_DAY: usize = 10;

/// What the send and read routes published before issue 15 (up to commit
/// 9077b96): the send also carried the sender's `messages-read` on the
/// conversation channel, and every read receipt went to the conversation
/// channel, the reader's own tab included, whatever the conversation's size.
fn before(room: &Room) -> (Cost, Cost) {
    let sender = room.sender();
    let read_with_send = messages_read_event(
        room.conversation,
        &sender.user,
        Seq::from_db(1),
        Some(&sender.socket),
    )
    .expect("a valid event");
    let send =
        room.send_cost().expect("the send's events") + count(&[read_with_send], &room.connections);
    let reader = room.reader();
    let read = messages_read_event(room.conversation, &reader.user, Seq::from_db(1), None)
        .expect("a valid event");
    (send, count(&[read], &room.connections))
}

fn cell(c: Cost) -> String {
    format!("{} + {} = **{}**", c.published, c.delivered, c.total())
}

struct Row {
    label: &'static str,
    members: usize,
    open: usize,
}

fn main() {
    let rows = [
        Row {
            label: "2-person, both open",
            members: 2,
            open: 2,
        },
        Row {
            label: "2-person, recipient not in it",
            members: 2,
            open: 1,
        },
        Row {
            label: "30-person, all 30 open",
            members: 30,
            open: 30,
        },
        Row {
            label: "30-person, 5 open",
            members: 30,
            open: 5,
        },
    ];
    println!(
        "Pusher messages counted (published + delivered = total); every member online with one tab.\n"
    );
    println!("| conversation | event | before | after |");
    println!("|---|---|---|---|");
    let mut per_message = Vec::new();
    for row in &rows {
        // "not in it": the recipient's tab shows only the list (its user channel).
        let room = Room::new(row.members, row.open).expect("a valid room");
        let (send_before, read_before) = before(&room);
        let send = room.send_cost().expect("send");
        let read = room.read_cost().expect("read");
        let typing = room.typing_cost(false).expect("typing");
        // Every other member with the conversation open reads the message (the web
        // client marks what is on screen as read); the sender typed first.
        let readers = room.open().saturating_sub(1);
        let all_in = |send: Cost, read: Cost| {
            let mut total = send;
            for _ in 0..readers {
                total = total + read;
            }
            for _ in 0..TYPING_EVENTS_PER_MESSAGE {
                total = total + typing;
            }
            total
        };
        println!(
            "| {} | chat message (send) | {} | {} |",
            row.label,
            cell(send_before),
            cell(send)
        );
        println!(
            "| {} | read receipt | {} | {} |",
            row.label,
            cell(read_before),
            cell(read)
        );
        println!(
            "| {} | typing (`client-typing`) | {} | {} |",
            row.label,
            cell(typing),
            cell(typing)
        );
        let (b, a) = (all_in(send_before, read_before), all_in(send, read));
        println!(
            "| {} | message all in: send + {readers} read(s) + {TYPING_EVENTS_PER_MESSAGE} typing | {} | {} |",
            row.label,
            cell(b),
            cell(a)
        );
        let opens = room.open_and_close_cost().expect("presence");
        println!(
            "| {} | opening + closing it (presence, webhooks) | {} | {} |",
            row.label,
            cell(opens),
            cell(opens)
        );
        per_message.push((row.label, b.total(), a.total(), opens.total()));
    }
    println!(
        "\nFree tier ({FREE_TIER_PER_DAY} messages/day): each active user sends {SENT_PER_USER_PER_DAY} messages a day (all in, as above) and opens a conversation {OPENS_PER_USER_PER_DAY} times:\n"
    );
    println!(
        "| conversation | messages/day per active user (before → after) | daily active users (before → after) |"
    );
    println!("|---|---|---|");
    for (label, b, a, opens) in per_message {
        let day = |per_message: usize| {
            per_message * SENT_PER_USER_PER_DAY + opens * OPENS_PER_USER_PER_DAY
        };
        let (b, a) = (day(b), day(a));
        println!(
            "| {label} | {b} → {a} | {} → {} |",
            FREE_TIER_PER_DAY / b,
            FREE_TIER_PER_DAY / a
        );
    }
}
