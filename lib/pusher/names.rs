//! Parsed Pusher names: socket ids, channel names, event names and user ids.
//! Each can only be built by `parse`, which applies the official Node
//! library's rule and message, so inner code never re-checks a raw string.

use super::error::PusherError;
use serde::Serialize;
use std::fmt;

/// A pusher-js connection id such as `123.456` (`^\d+\.\d+$`, ASCII digits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct SocketId(String);

impl SocketId {
    pub fn parse(raw: &str) -> Result<Self, PusherError> {
        let valid = raw
            .split_once('.')
            .is_some_and(|(a, b)| all_digits(a) && all_digits(b));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PusherError::InvalidSocketId(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The kinds of channel Pusher distinguishes by prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    Public,
    Private,
    PrivateEncrypted,
    Presence,
}

/// A channel name: `[A-Za-z0-9_\-=@,.;]`, 1 to 200 characters.
///
/// 200 is the Node library's limit (kept so authorization matches it exactly);
/// Pusher's docs say 164, which [`ChannelName::check_triggerable`] enforces
/// before an event is sent to the channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ChannelName(String);

impl ChannelName {
    /// The Node library's limit, applied by `parse`.
    pub const MAX_LEN: usize = 200;
    /// Pusher's documented limit, applied when triggering.
    pub const MAX_TRIGGER_LEN: usize = 164;
    pub const ENCRYPTED_PREFIX: &'static str = "private-encrypted-";

    pub fn parse(raw: &str) -> Result<Self, PusherError> {
        if raw.is_empty() || !raw.bytes().all(is_name_byte) {
            return Err(PusherError::InvalidChannelName(raw.to_owned()));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(PusherError::ChannelNameTooLong(raw.to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> ChannelKind {
        if self.0.starts_with(Self::ENCRYPTED_PREFIX) {
            ChannelKind::PrivateEncrypted
        } else if self.0.starts_with("private-") {
            ChannelKind::Private
        } else if self.0.starts_with("presence-") {
            ChannelKind::Presence
        } else {
            ChannelKind::Public
        }
    }

    pub fn is_encrypted(&self) -> bool {
        self.kind() == ChannelKind::PrivateEncrypted
    }

    pub fn is_presence(&self) -> bool {
        self.kind() == ChannelKind::Presence
    }

    /// Refuses names over Pusher's documented 164 characters: the server may
    /// drop events for them even though the Node library would send them.
    pub fn check_triggerable(&self) -> Result<(), PusherError> {
        if self.0.len() > Self::MAX_TRIGGER_LEN {
            return Err(PusherError::ChannelNameTooLongForTrigger(self.0.clone()));
        }
        Ok(())
    }
}

/// The channel-name alphabet, which user ids share.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-=@,.;".contains(&b)
}

/// An event name: 1 to 200 UTF-16 code units (JavaScript's `length`, as the
/// Node library counts). Empty names are refused: Pusher cannot route them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EventName(String);

impl EventName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, PusherError> {
        if raw.encode_utf16().count() > Self::MAX_LEN {
            return Err(PusherError::EventNameTooLong(raw.to_owned()));
        }
        if raw.is_empty() {
            return Err(PusherError::InvalidEventName(raw.to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a user id as the Node library does: any non-empty string. Used
/// where the id only travels inside JSON (sign-in, `sendToUser`).
pub fn check_user_id(raw: &str) -> Result<(), PusherError> {
    if raw.is_empty() {
        return Err(PusherError::InvalidUserId(raw.to_owned()));
    }
    Ok(())
}

/// Checks a user id that goes into a URL path (`terminate_connections`):
/// beyond Node's rule, the documented alphabet (the channel-name one) and
/// 128-character limit, and no `.`/`..` segments, so the signed path is the
/// path the server sees.
pub fn check_path_user_id(raw: &str) -> Result<(), PusherError> {
    let dots_only = raw.bytes().all(|b| b == b'.');
    if raw.is_empty() || raw.len() > 128 || dots_only || !raw.bytes().all(is_name_byte) {
        return Err(PusherError::InvalidUserId(raw.to_owned()));
    }
    Ok(())
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}
display_as_str!(SocketId, ChannelName, EventName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_ids_follow_the_node_rule() {
        assert!(SocketId::parse("123.456").is_ok());
        for bad in [
            "", "1234", "123.", ".456", "1.1\n", "1.1.1", "١.١", "a.1", " 1.1",
        ] {
            let err = SocketId::parse(bad).unwrap_err();
            assert_eq!(err.to_string(), format!("Invalid socket id: '{bad}'"));
        }
    }

    #[test]
    fn channel_names_check_charset_then_length() {
        assert!(ChannelName::parse("private-a_b-c=d@e,f.g;h").is_ok());
        assert!(ChannelName::parse(&"a".repeat(200)).is_ok());
        assert!(matches!(
            ChannelName::parse(&"a".repeat(201)),
            Err(PusherError::ChannelNameTooLong(_))
        ));
        assert!(matches!(
            ChannelName::parse(&format!("{} ", "a".repeat(201))),
            Err(PusherError::InvalidChannelName(_))
        ));
        for bad in ["", "a b", "#server-to-user-x", "é", "a/b"] {
            assert!(matches!(
                ChannelName::parse(bad),
                Err(PusherError::InvalidChannelName(_))
            ));
        }
    }

    #[test]
    fn triggering_applies_the_documented_164_limit() {
        let ok = ChannelName::parse(&"a".repeat(164)).unwrap();
        assert!(ok.check_triggerable().is_ok());
        let long = ChannelName::parse(&"a".repeat(165)).unwrap();
        assert!(matches!(
            long.check_triggerable(),
            Err(PusherError::ChannelNameTooLongForTrigger(_))
        ));
    }

    #[test]
    fn channel_kinds_come_from_prefixes() {
        let kind = |s: &str| ChannelName::parse(s).unwrap().kind();
        assert_eq!(kind("private-encrypted-x"), ChannelKind::PrivateEncrypted);
        assert_eq!(kind("private-x"), ChannelKind::Private);
        assert_eq!(kind("presence-x"), ChannelKind::Presence);
        assert_eq!(kind("chat"), ChannelKind::Public);
    }

    #[test]
    fn event_names_count_utf16_units() {
        assert!(EventName::parse(&"é".repeat(200)).is_ok());
        assert!(EventName::parse(&"😀".repeat(100)).is_ok());
        assert!(matches!(
            EventName::parse(&"😀".repeat(101)),
            Err(PusherError::EventNameTooLong(_))
        ));
        assert!(EventName::parse("").is_err());
    }

    #[test]
    fn user_ids_in_paths_are_path_safe() {
        assert!(check_user_id("zoë").is_ok());
        assert!(check_user_id("").is_err());
        assert!(check_path_user_id("alice-1_x@y").is_ok());
        for bad in ["", ".", "..", "a/b", "a b", "zoë", &"a".repeat(129)] {
            assert!(check_path_user_id(bad).is_err(), "{bad}");
        }
    }
}
