//! What Pusher Channels counts against the daily message quota for the events
//! we publish. Its support article "How is my message count calculated?"
//! counts every event published through the HTTP API and every delivery to a
//! connected client, client events included; subscribing, pings and channel
//! authorization are free. We count a batch or a multi-channel trigger once
//! per event and channel (the article counts published messages, and the
//! multi-channel trigger is documented as a shortcut for one trigger per
//! channel), so the figures are an upper bound. Presence
//! `pusher:member_added`/`member_removed` and webhooks are counted too, but
//! they follow opening and closing a conversation, not its messages.

use super::{EventSet, conversation_channel, message_events, user_channel};
use crate::auth::CurrentUser;
use crate::domain::{
    ConversationId, Message, MessageBody, MessageId, Sender, Seq, Timestamp, UserId,
};
use crate::pusher::{BatchEvent, ChannelName, PusherError, SocketId};

/// One browser connection and the channels it is subscribed to.
#[derive(Debug, Clone)]
pub struct Connection {
    pub user: UserId,
    pub socket: SocketId,
    pub channels: Vec<ChannelName>,
}

/// Counted messages: events published, and deliveries to connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    pub published: usize,
    pub delivered: usize,
}

impl Cost {
    pub fn total(self) -> usize {
        self.published + self.delivered
    }
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, other: Cost) -> Cost {
        Cost {
            published: self.published + other.published,
            delivered: self.delivered + other.delivered,
        }
    }
}

/// Server events: each reaches every connection subscribed to its channel
/// except the one its `socket_id` names.
pub fn count(events: &[BatchEvent], connections: &[Connection]) -> Cost {
    events.iter().fold(Cost::default(), |cost, e| {
        cost + one(&e.channel, e.socket_id.as_ref(), connections)
    })
}

/// A client event (pusher-js `channel.trigger("client-…")`): Pusher never
/// delivers it back to the connection that sent it.
pub fn count_client_event(
    channel: &ChannelName,
    sender: &SocketId,
    connections: &[Connection],
) -> Cost {
    one(channel, Some(sender), connections)
}

fn one(channel: &ChannelName, skip: Option<&SocketId>, connections: &[Connection]) -> Cost {
    let delivered = connections
        .iter()
        .filter(|c| Some(&c.socket) != skip && c.channels.contains(channel))
        .count();
    Cost {
        published: 1,
        delivered,
    }
}

/// One conversation's members as the web app subscribes them: every member is
/// online with one connection on `private-user-{id}` (the conversation list);
/// the first `open` members also have the conversation open, so their
/// connection holds `private-conversation-{id}` and `presence-conversation-{id}`.
/// Member 0 sends, always from the open conversation; member 1 reads.
pub struct Room {
    pub conversation: ConversationId,
    pub members: Vec<UserId>,
    pub connections: Vec<Connection>,
}

impl Room {
    pub fn new(members: usize, open: usize) -> Result<Self, PusherError> {
        let conversation = ConversationId::from_db(1);
        let presence = ChannelName::parse(&format!("presence-conversation-{conversation}"))?;
        let users: Vec<UserId> = (0..members)
            .map(|i| UserId::parse("id", &format!("u_member{i}")).expect("a valid user id"))
            .collect();
        let mut connections = Vec::with_capacity(members);
        for (i, user) in users.iter().enumerate() {
            let mut channels = vec![user_channel(user)?];
            if i < open.max(1) {
                channels.extend([conversation_channel(conversation)?, presence.clone()]);
            }
            connections.push(Connection {
                user: user.clone(),
                socket: SocketId::parse(&format!("1.{i}"))?,
                channels,
            });
        }
        Ok(Self {
            conversation,
            members: users,
            connections,
        })
    }

    pub fn sender(&self) -> &Connection {
        &self.connections[0]
    }

    pub fn reader(&self) -> &Connection {
        &self.connections[1]
    }

    /// How many connections have the conversation open.
    pub fn open(&self) -> usize {
        let channel = conversation_channel(self.conversation).expect("a valid channel");
        self.connections
            .iter()
            .filter(|c| c.channels.contains(&channel))
            .count()
    }

    /// A message from member 0's tab, as the send route publishes it.
    pub fn send_cost(&self, set: EventSet) -> Result<Cost, PusherError> {
        let sender = self.sender();
        let events = message_events(&self.members, &self.message(), Some(&sender.socket), set)?;
        Ok(count(&events, &self.connections))
    }

    /// Member 1's read call from its tab, as the read route publishes it:
    /// it reads member 0's message.
    pub fn read_cost(&self, set: EventSet) -> Result<Cost, PusherError> {
        let reader = self.reader();
        let events = super::read_receipt_events(
            self.conversation,
            &reader.user,
            Seq::from_db(1),
            Some(&reader.socket),
            self.members.len() as i64,
            Some(&self.sender().user),
            set,
        )?;
        Ok(count(&events, &self.connections))
    }

    /// Member 0 typing: pusher-js's `client-typing` on the presence channel
    /// (the web client's default), or the typing route's `typing` event.
    pub fn typing_cost(&self, through_server: bool) -> Result<Cost, PusherError> {
        let sender = self.sender();
        if through_server {
            let user = CurrentUser {
                id: sender.user.clone(),
                name: None,
                role: None,
            };
            let event = super::typing_event(self.conversation, &user, Some(&sender.socket))?;
            return Ok(count(&[event], &self.connections));
        }
        let presence = ChannelName::parse(&format!("presence-conversation-{}", self.conversation))?;
        Ok(count_client_event(
            &presence,
            &sender.socket,
            &self.connections,
        ))
    }

    /// Member 0 opening and later closing the conversation: Pusher's
    /// `pusher:member_added` and `pusher:member_removed` to the others on the
    /// presence channel, and each one's webhook to our endpoint (online dots).
    pub fn open_and_close_cost(&self) -> Result<Cost, PusherError> {
        let presence = ChannelName::parse(&format!("presence-conversation-{}", self.conversation))?;
        let once = count_client_event(&presence, &self.sender().socket, &self.connections);
        let webhook = Cost {
            published: 1,
            delivered: 0,
        };
        Ok(once + webhook + once + webhook)
    }

    fn message(&self) -> Message {
        Message {
            id: MessageId::from_db(1),
            conversation_id: self.conversation,
            seq: Seq::from_db(1),
            sender: Sender {
                id: self.members[0].clone(),
                name: None,
                role: None,
            },
            body: MessageBody::from_db("hi".into()),
            client_message_id: None,
            created_at: Timestamp::from_unix_millis(0).expect("the epoch"),
            reactions: Vec::new(),
            reactions_version: 0,
        }
    }
}

#[cfg(test)]
mod tests;
