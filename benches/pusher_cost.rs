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
use messaging::realtime::{EventSet, messages_read_event};

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
    let send = room.send_cost(EventSet::Lean).expect("the send's events")
        + count(&[read_with_send], &room.connections);
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
    println!(
        "| conversation | event | before | contract (default) | lean (`PUSHER_EVENTS=lean`) |"
    );
    println!("|---|---|---|---|---|");
    let mut per_message = Vec::new();
    for row in &rows {
        // "not in it": the recipient's tab shows only the list (its user channel).
        let room = Room::new(row.members, row.open).expect("a valid room");
        let (send_before, read_before) = before(&room);
        let send = |set| room.send_cost(set).expect("send");
        let read = |set| room.read_cost(set).expect("read");
        let (contract, lean) = (EventSet::Contract, EventSet::Lean);
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
        let line = |event: &str, cells: [Cost; 3]| {
            println!(
                "| {} | {event} | {} | {} | {} |",
                row.label,
                cell(cells[0]),
                cell(cells[1]),
                cell(cells[2])
            )
        };
        line(
            "chat message (send)",
            [send_before, send(contract), send(lean)],
        );
        line("read receipt", [read_before, read(contract), read(lean)]);
        line("typing (`client-typing`)", [typing; 3]);
        let totals = [
            all_in(send_before, read_before),
            all_in(send(contract), read(contract)),
            all_in(send(lean), read(lean)),
        ];
        line(
            &format!(
                "message all in: send + {readers} read(s) + {TYPING_EVENTS_PER_MESSAGE} typing"
            ),
            totals,
        );
        let opens = room.open_and_close_cost().expect("presence");
        line("opening + closing it (presence, webhooks)", [opens; 3]);
        per_message.push((row.label, totals.map(Cost::total), opens.total()));
    }
    println!(
        "\nFree tier ({FREE_TIER_PER_DAY} messages/day): each active user sends {SENT_PER_USER_PER_DAY} messages a day (all in, as above) and opens a conversation {OPENS_PER_USER_PER_DAY} times:\n"
    );
    println!(
        "| conversation | messages/day per active user (before · contract · lean) | daily active users (before · contract · lean) |"
    );
    println!("|---|---|---|");
    for (label, totals, opens) in per_message {
        let day = totals.map(|per_message| {
            per_message * SENT_PER_USER_PER_DAY + opens * OPENS_PER_USER_PER_DAY
        });
        println!(
            "| {label} | {} · {} · {} | {} · {} · {} |",
            day[0],
            day[1],
            day[2],
            FREE_TIER_PER_DAY / day[0],
            FREE_TIER_PER_DAY / day[1],
            FREE_TIER_PER_DAY / day[2]
        );
    }
}
