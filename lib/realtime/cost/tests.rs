use super::*;

fn cost(published: usize, delivered: usize) -> Cost {
    Cost {
        published,
        delivered,
    }
}

#[test]
fn a_two_person_message_publishes_new_message_and_one_list_update_per_member() {
    let room = Room::new(2, 2).unwrap();
    let events = message_events(
        &room.members,
        &room.message(),
        Some(&room.sender().socket),
        EventSet::Lean,
    )
    .unwrap();
    let names: Vec<_> = events
        .iter()
        .map(|e| (e.name.as_str(), e.channel.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("new-message", "private-conversation-1"),
            ("conversation-updated", "private-user-u_member0"),
            ("conversation-updated", "private-user-u_member1"),
        ]
    );
    // The reader gets new-message and its list update; the sender's tab nothing.
    assert_eq!(room.send_cost(EventSet::Lean).unwrap(), cost(3, 2));
    assert_eq!(room.send_cost(EventSet::Lean).unwrap().total(), 5);
}

#[test]
fn a_two_person_read_receipt_reaches_the_other_open_tab_but_not_the_readers() {
    assert_eq!(
        Room::new(2, 2).unwrap().read_cost(EventSet::Lean).unwrap(),
        cost(1, 1)
    );
}

#[test]
fn a_group_read_receipt_reaches_only_the_author_of_the_message_read() {
    // Not 1 + 29: one tab, the author's, has a "Seen" to move.
    assert_eq!(
        Room::new(30, 30)
            .unwrap()
            .read_cost(EventSet::Lean)
            .unwrap(),
        cost(1, 1)
    );
    assert_eq!(
        Room::new(30, 2).unwrap().read_cost(EventSet::Lean).unwrap(),
        cost(1, 1)
    );
    let room = Room::new(3, 3).unwrap();
    let (reader, author) = (&room.reader().user, &room.sender().user);
    let events = super::super::read_receipt_events(
        room.conversation,
        reader,
        Seq::from_db(4),
        None,
        3,
        Some(author),
        EventSet::Lean,
    )
    .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].name.as_str(), events[0].channel.as_str()),
        ("messages-read", "private-user-u_member0")
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&events[0].data).unwrap(),
        serde_json::json!({"conversation_id": 1, "user_id": "u_member1", "last_read_seq": 4})
    );
    // Reading up to one's own message, or to 0, moves nobody's "Seen".
    for author in [Some(reader), None] {
        let none = super::super::read_receipt_events(
            room.conversation,
            reader,
            Seq::from_db(4),
            None,
            3,
            author,
            EventSet::Lean,
        )
        .unwrap();
        assert!(none.is_empty());
    }
}

#[test]
fn typing_reaches_the_other_open_tabs_whichever_way_it_goes() {
    for through_server in [false, true] {
        let two = Room::new(2, 2)
            .unwrap()
            .typing_cost(through_server)
            .unwrap();
        let thirty = Room::new(30, 30)
            .unwrap()
            .typing_cost(through_server)
            .unwrap();
        assert_eq!((two, thirty), (cost(1, 1), cost(1, 29)));
    }
}

#[test]
fn a_thirty_person_message_reaches_every_list_and_every_open_tab_once() {
    let all_open = Room::new(30, 30).unwrap();
    assert_eq!(all_open.open(), 30);
    assert_eq!(
        all_open.send_cost(EventSet::Lean).unwrap(),
        cost(31, 29 + 29)
    );
    let two_open = Room::new(30, 2).unwrap();
    assert_eq!(two_open.open(), 2);
    assert_eq!(
        two_open.send_cost(EventSet::Lean).unwrap(),
        cost(31, 1 + 29)
    );
}

#[test]
fn a_large_group_sends_new_message_first_then_one_list_update_for_all() {
    // `publish` relies on it: past the batch limit, the rest is one multi-channel trigger.
    let room = Room::new(30, 2).unwrap();
    let events = message_events(&room.members, &room.message(), None, EventSet::Lean).unwrap();
    assert_eq!(events[0].name.as_str(), "new-message");
    assert!(
        events[1..]
            .iter()
            .all(|e| e.name.as_str() == "conversation-updated" && e.data == events[1].data)
    );
    assert_eq!(events.len(), 31);
}

#[test]
fn a_client_event_is_never_echoed_and_a_server_event_skips_only_the_named_socket() {
    let room = Room::new(3, 3).unwrap();
    let channel = conversation_channel(room.conversation).unwrap();
    let sender = &room.sender().socket;
    assert_eq!(
        count_client_event(&channel, sender, &room.connections),
        cost(1, 2)
    );
    let event = |socket_id: Option<SocketId>| BatchEvent {
        channel: channel.clone(),
        name: crate::pusher::EventName::parse("x").unwrap(),
        data: "{}".into(),
        socket_id,
        info: None,
    };
    assert_eq!(count(&[event(None)], &room.connections), cost(1, 3));
    assert_eq!(
        count(&[event(Some(sender.clone()))], &room.connections),
        cost(1, 2)
    );
}

#[test]
fn the_contract_set_also_publishes_the_senders_receipt_and_group_receipts_to_the_conversation() {
    let room = Room::new(2, 2).unwrap();
    let events = message_events(
        &room.members,
        &room.message(),
        Some(&room.sender().socket),
        EventSet::Contract,
    )
    .unwrap();
    let names: Vec<_> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "new-message",
            "messages-read",
            "conversation-updated",
            "conversation-updated"
        ]
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&events[1].data).unwrap(),
        serde_json::json!({"user_id": "u_member0", "last_read_seq": 1})
    );
    // The reader's tab hears the send's receipt too: 4 published, 3 delivered.
    assert_eq!(room.send_cost(EventSet::Contract).unwrap(), cost(4, 3));
    // A group receipt on the conversation channel: every open tab but the reader's.
    assert_eq!(
        Room::new(30, 30)
            .unwrap()
            .read_cost(EventSet::Contract)
            .unwrap(),
        cost(1, 29)
    );
}
