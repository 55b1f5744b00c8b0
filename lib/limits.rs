//! Rate limits: which actions are limited, how much, and the verdict. The
//! counters live in Postgres (`db::limits`), keyed by user and action, so a
//! limit holds across function instances without another service.

use crate::config::{ConfigError, Env};
use std::time::Duration;

/// An action counted per user. The name is the counter's key in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Send,
    Typing,
    React,
    ChannelAuth,
    /// `POST /api/conversations` creating a conversation. Counted with
    /// [`crate::db::limits::take`]: refusals are not counted, and finding an
    /// existing two-person conversation costs nothing.
    ConversationCreate,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Send,
        Action::Typing,
        Action::React,
        Action::ChannelAuth,
        Action::ConversationCreate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Action::Send => "send",
            Action::Typing => "typing",
            Action::React => "react",
            Action::ChannelAuth => "channel_auth",
            Action::ConversationCreate => "conversation_create",
        }
    }

    /// The variable that overrides the default.
    pub fn variable(self) -> &'static str {
        match self {
            Action::Send => "RATE_LIMIT_SEND",
            Action::Typing => "RATE_LIMIT_TYPING",
            Action::React => "RATE_LIMIT_REACT",
            Action::ChannelAuth => "RATE_LIMIT_CHANNEL_AUTH",
            Action::ConversationCreate => "RATE_LIMIT_CONVERSATION_CREATE",
        }
    }

    /// Generous for a person, tight for a script: a burst of typing is
    /// allowed, a loop is not.
    pub fn default_limit(self) -> Limit {
        let limit = |max, secs| Limit {
            max,
            window: Duration::from_secs(secs),
        };
        match self {
            Action::Send => limit(30, 10),
            Action::Typing => limit(60, 60),
            Action::React => limit(60, 60),
            Action::ChannelAuth => limit(120, 60),
            Action::ConversationCreate => limit(30, 3600),
        }
    }
}

/// At most `max` requests per fixed window of `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    /// `30/10s`, `120/1m`, `1000/1h`; `off` disables the limit.
    pub fn parse(raw: &str) -> Result<Option<Limit>, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let bad = || format!("must look like 30/10s, 120/1m or off, not {raw:?}");
        let (max, window) = raw.split_once('/').ok_or_else(bad)?;
        let max: u32 = max.trim().parse().map_err(|_| bad())?;
        let window = window.trim();
        let (n, unit) = window.split_at(window.len().saturating_sub(1));
        let n: u64 = if n.is_empty() {
            1
        } else {
            n.parse().map_err(|_| bad())?
        };
        let secs = match unit {
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            _ => return Err(bad()),
        };
        if max == 0 || !(1..=86_400).contains(&secs) {
            return Err(format!("{}: at least 1 per window of 1s..=24h", bad()));
        }
        Ok(Some(Limit {
            max,
            window: Duration::from_secs(secs),
        }))
    }
}

/// The limit in force for each action (`None`: not limited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    send: Option<Limit>,
    typing: Option<Limit>,
    react: Option<Limit>,
    channel_auth: Option<Limit>,
    conversation_create: Option<Limit>,
}

impl Default for Limits {
    fn default() -> Self {
        Self::uniform_with(|a| Some(a.default_limit()))
    }
}

/// Variables of the conversation-creation cap before it joined these limits
/// (never released): refused with a hint rather than silently ignored.
const REPLACED: [&str; 2] = [
    "CONVERSATION_CREATE_LIMIT",
    "CONVERSATION_CREATE_PERIOD_SECONDS",
];

impl Limits {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        if let Some(old) = REPLACED.into_iter().find(|v| env.get(v).is_some()) {
            return Err(ConfigError::new(
                old,
                "was replaced by RATE_LIMIT_CONVERSATION_CREATE (e.g. 30/1h, or off)",
            ));
        }
        let mut limits = Self::default();
        for action in Action::ALL {
            if let Some(raw) = env.get(action.variable()) {
                let limit =
                    Limit::parse(&raw).map_err(|p| ConfigError::new(action.variable(), p))?;
                limits.set(action, limit);
            }
        }
        Ok(limits)
    }

    /// The same limit for every action (tests and load runs).
    pub fn uniform(limit: Option<Limit>) -> Self {
        Self::uniform_with(|_| limit)
    }

    fn uniform_with(f: impl Fn(Action) -> Option<Limit>) -> Self {
        Self {
            send: f(Action::Send),
            typing: f(Action::Typing),
            react: f(Action::React),
            channel_auth: f(Action::ChannelAuth),
            conversation_create: f(Action::ConversationCreate),
        }
    }

    pub fn get(&self, action: Action) -> Option<Limit> {
        match action {
            Action::Send => self.send,
            Action::Typing => self.typing,
            Action::React => self.react,
            Action::ChannelAuth => self.channel_auth,
            Action::ConversationCreate => self.conversation_create,
        }
    }

    pub fn set(&mut self, action: Action, limit: Option<Limit>) {
        match action {
            Action::Send => self.send = limit,
            Action::Typing => self.typing = limit,
            Action::React => self.react = limit,
            Action::ChannelAuth => self.channel_auth = limit,
            Action::ConversationCreate => self.conversation_create = limit,
        }
    }
}

/// What a counter said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit until the window ends, `retry_after_secs` from now (at least 1).
    Limited {
        retry_after_secs: u64,
    },
}

impl Verdict {
    /// From the counter after this request and the seconds left in its window.
    pub fn from_count(hits: i64, limit: Limit, secs_left: f64) -> Self {
        if hits <= i64::from(limit.max) {
            Verdict::Allowed
        } else {
            Verdict::Limited {
                retry_after_secs: (secs_left.ceil().max(1.0) as u64)
                    .min(limit.window.as_secs().max(1)),
            }
        }
    }

    pub fn into_result(self) -> Result<(), crate::error::AppError> {
        match self {
            Verdict::Allowed => Ok(()),
            Verdict::Limited { retry_after_secs } => {
                Err(crate::error::AppError::RateLimited { retry_after_secs })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_written_as_count_per_window() {
        let l = |max, secs| {
            Some(Limit {
                max,
                window: Duration::from_secs(secs),
            })
        };
        assert_eq!(Limit::parse("30/10s"), Ok(l(30, 10)));
        assert_eq!(Limit::parse(" 120 / 1m "), Ok(l(120, 60)));
        assert_eq!(Limit::parse("1000/h"), Ok(l(1000, 3600)));
        assert_eq!(Limit::parse("OFF"), Ok(None));
        for bad in [
            "", "30", "30/", "30/10", "0/10s", "x/10s", "30/0s", "30/2d", "-1/1s",
        ] {
            assert!(Limit::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_environment_overrides_one_action_and_names_a_bad_variable() {
        let env = Env::from_pairs([("RATE_LIMIT_SEND", "5/1s"), ("RATE_LIMIT_TYPING", "off")]);
        let limits = Limits::from_env(&env).unwrap();
        assert_eq!(limits.get(Action::Send).unwrap().max, 5);
        assert_eq!(limits.get(Action::Typing), None);
        assert_eq!(
            limits.get(Action::React),
            Some(Action::React.default_limit())
        );
        let err = Limits::from_env(&Env::from_pairs([("RATE_LIMIT_REACT", "lots")])).unwrap_err();
        assert_eq!(err.variable, "RATE_LIMIT_REACT");
    }

    #[test]
    fn conversation_creation_is_one_of_the_limits_and_the_old_variables_are_refused() {
        let defaults = Limits::from_env(&Env::from_pairs([])).unwrap();
        assert_eq!(
            defaults.get(Action::ConversationCreate),
            Some(Limit {
                max: 30,
                window: Duration::from_secs(3600)
            })
        );
        let env = Env::from_pairs([("RATE_LIMIT_CONVERSATION_CREATE", "off")]);
        assert_eq!(
            Limits::from_env(&env)
                .unwrap()
                .get(Action::ConversationCreate),
            None
        );
        for old in REPLACED {
            let err = Limits::from_env(&Env::from_pairs([(old, "5")])).unwrap_err();
            assert_eq!(err.variable, old);
        }
    }

    #[test]
    fn the_request_over_the_limit_waits_for_the_window_to_end() {
        let limit = Limit {
            max: 2,
            window: Duration::from_secs(10),
        };
        assert_eq!(Verdict::from_count(2, limit, 9.5), Verdict::Allowed);
        assert_eq!(
            Verdict::from_count(3, limit, 9.2),
            Verdict::Limited {
                retry_after_secs: 10
            }
        );
        assert_eq!(
            Verdict::from_count(3, limit, 0.01),
            Verdict::Limited {
                retry_after_secs: 1
            }
        );
    }
}
