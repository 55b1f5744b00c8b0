//! What can go wrong talking to Pusher: a caller's invalid input (refused
//! before any I/O, with the official Node library's message where it has one)
//! or Pusher's answer (status and body kept so they can be logged).

/// The largest part of a Pusher error body we keep: enough to read the
/// server's explanation, bounded so a hostile proxy cannot bloat our logs.
pub(crate) const MAX_ERROR_BODY: usize = 2048;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PusherError {
    #[error("Invalid socket id: '{0}'")]
    InvalidSocketId(String),
    #[error("Invalid channel name: '{0}'")]
    InvalidChannelName(String),
    /// Over 200 characters: the Node library's limit for every call.
    #[error("Channel name too long: '{0}'")]
    ChannelNameTooLong(String),
    /// Over 164 characters: Pusher's documented limit, enforced when triggering.
    #[error("Channel name too long to trigger to (Pusher allows at most 164 characters): '{0}'")]
    ChannelNameTooLongForTrigger(String),
    #[error("Invalid event name: '{0}'")]
    InvalidEventName(String),
    #[error("Too long event name: '{0}'")]
    EventNameTooLong(String),
    #[error("Invalid user id: '{0}'")]
    InvalidUserId(String),
    #[error("Invalid user data: '{0}'")]
    InvalidUserData(String),
    #[error("Can't trigger a message to more than 100 channels")]
    TooManyChannels,
    #[error("Can't trigger a message to no channels")]
    NoChannels,
    #[error("You cannot trigger to multiple channels when using encrypted channels")]
    EncryptedMultiChannel,
    #[error("Event data is {size} bytes; Pusher accepts at most {limit}")]
    DataTooLarge { size: usize, limit: usize },
    #[error("A batch holds at most {limit} events, got {count}")]
    BatchTooLarge { count: usize, limit: usize },
    #[error("A batch needs at least one event")]
    EmptyBatch,
    /// A presence channel was authorized without the member it is for.
    #[error("Presence channel '{0}' needs the member's user_id and user_info")]
    PresenceMemberRequired(String),
    #[error("{0} is a required parameter and cannot be overidden")]
    ReservedParameter(String),
    #[error("Cannot generate shared_secret because encryptionMasterKey is not set")]
    MasterKeyNotSetForAuth,
    #[error("Set encryptionMasterKey before triggering events on encrypted channels")]
    MasterKeyNotSetForTrigger,
    #[error("encrypting event data failed")]
    Encryption,
    /// Event data or a request body could not be encoded as JSON.
    #[error("encoding JSON failed: {0}")]
    Encode(String),
    /// 401: bad credentials, or our clock is more than 600 s off Pusher's.
    #[error(
        "Pusher refused our signature (status {status}; check the secret and the clock): {body}"
    )]
    Unauthorized { status: u16, body: String },
    /// 403: the app is disabled or over its message quota.
    #[error("Pusher refused the request (status {status}; app disabled or over quota): {body}")]
    Forbidden { status: u16, body: String },
    /// 413: the event (or the request) is too large for this cluster.
    #[error("Pusher refused the request as too large (status {status}): {body}")]
    PayloadTooLarge { status: u16, body: String },
    #[error("Unexpected status code {status} from Pusher: {body}")]
    Status { status: u16, body: String },
    #[error("request to Pusher timed out")]
    Timeout(#[source] reqwest::Error),
    #[error("request to Pusher failed")]
    Transport(#[source] reqwest::Error),
    #[error("HTTP client setup failed: {0}")]
    ClientSetup(String),
    #[error("Pusher's response could not be read: {0}")]
    InvalidResponse(String),
}

impl PusherError {
    /// Pusher's HTTP status, when the error is Pusher's answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { status, .. }
            | Self::Forbidden { status, .. }
            | Self::PayloadTooLarge { status, .. }
            | Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Pusher's response body (truncated), when the error is Pusher's answer.
    pub fn body(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { body, .. }
            | Self::Forbidden { body, .. }
            | Self::PayloadTooLarge { body, .. }
            | Self::Status { body, .. } => Some(body),
            _ => None,
        }
    }

    /// True when the caller's input was refused before any request was sent
    /// (as opposed to our configuration, the network or Pusher's answer).
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            Self::InvalidSocketId(_)
                | Self::InvalidChannelName(_)
                | Self::ChannelNameTooLong(_)
                | Self::ChannelNameTooLongForTrigger(_)
                | Self::InvalidEventName(_)
                | Self::EventNameTooLong(_)
                | Self::InvalidUserId(_)
                | Self::InvalidUserData(_)
                | Self::TooManyChannels
                | Self::NoChannels
                | Self::EncryptedMultiChannel
                | Self::DataTooLarge { .. }
                | Self::BatchTooLarge { .. }
                | Self::EmptyBatch
                | Self::PresenceMemberRequired(_)
                | Self::ReservedParameter(_)
        )
    }

    /// True when the fault is in this one request (its input, or Pusher's
    /// refusal of it), so sending the same request again would fail again.
    /// False when Pusher could take nothing just then: the network, a
    /// timeout, a 5xx or 429, our credentials or quota (401, 403).
    pub fn is_refusal_of_request(&self) -> bool {
        match self {
            Self::PayloadTooLarge { .. } | Self::Encode(_) | Self::Encryption => true,
            Self::Status { status, .. } => {
                (400..500).contains(status) && !matches!(status, 408 | 429)
            }
            other => other.is_invalid_input(),
        }
    }

    /// Maps a non-2xx answer to its typed variant.
    pub(crate) fn from_status(status: u16, body: &[u8]) -> Self {
        let body = truncate_body(body);
        match status {
            401 => Self::Unauthorized { status, body },
            403 => Self::Forbidden { status, body },
            413 => Self::PayloadTooLarge { status, body },
            _ => Self::Status { status, body },
        }
    }
}

fn truncate_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= MAX_ERROR_BODY {
        return text.into_owned();
    }
    let mut end = MAX_ERROR_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_errors_keep_status_and_body() {
        let err = PusherError::from_status(401, b"Timestamp expired");
        assert!(matches!(err, PusherError::Unauthorized { status: 401, .. }));
        assert_eq!(err.body(), Some("Timestamp expired"));
        assert_eq!(PusherError::from_status(403, b"").status(), Some(403));
        assert!(matches!(
            PusherError::from_status(413, b""),
            PusherError::PayloadTooLarge { .. }
        ));
        assert!(matches!(
            PusherError::from_status(500, b"x"),
            PusherError::Status { status: 500, .. }
        ));
    }

    #[test]
    fn long_bodies_are_truncated_on_a_char_boundary() {
        let body = "é".repeat(MAX_ERROR_BODY);
        let kept = truncate_body(body.as_bytes());
        assert!(kept.len() <= MAX_ERROR_BODY + "…".len());
        assert!(kept.ends_with('…'));
    }

    #[test]
    fn only_a_refusal_of_the_request_itself_counts_against_the_event() {
        let refused = |status: u16| PusherError::from_status(status, b"").is_refusal_of_request();
        assert!(refused(400) && refused(413) && refused(422));
        // Pusher as a whole: overloaded, rate limiting, our credentials or quota.
        assert!(!refused(401) && !refused(403) && !refused(408) && !refused(429));
        assert!(!refused(500) && !refused(503));
        assert!(PusherError::DataTooLarge { size: 1, limit: 0 }.is_refusal_of_request());
        assert!(!PusherError::InvalidResponse("cut".into()).is_refusal_of_request());
    }
}
