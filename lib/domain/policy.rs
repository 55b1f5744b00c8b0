//! Who may start a conversation with whom, by role (`CONVERSATION_POLICY`).

use std::fmt;

/// A role in a rule: one role (compared ignoring ASCII case), or `*` for anyone,
/// users without a role included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleMatch {
    Any,
    Role(String),
}

impl RoleMatch {
    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw == "*" {
            return Some(Self::Any);
        }
        let valid = !raw.is_empty()
            && raw.len() <= 32
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        valid.then(|| Self::Role(raw.to_ascii_lowercase()))
    }

    fn matches(&self, role: Option<&str>) -> bool {
        match self {
            Self::Any => true,
            Self::Role(want) => role.is_some_and(|r| r.trim().eq_ignore_ascii_case(want)),
        }
    }
}

/// `open` (the default): anyone may start a conversation with any known user, and an
/// unknown id is a 400 naming it, as the original contract says.
/// Otherwise a comma-separated list of `from>to` rules, e.g. `student>teacher,teacher>*`:
/// a caller may start a conversation only when, for every other member, some rule
/// matches (caller's role, member's role). Refusals are 403, and an unknown id is
/// refused exactly like a disallowed one, so the answer never tells whether a user exists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConversationPolicy {
    #[default]
    Open,
    Rules(Vec<(RoleMatch, RoleMatch)>),
}

impl ConversationPolicy {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("open") {
            return Ok(Self::Open);
        }
        let mut rules = Vec::new();
        for rule in raw.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let parsed = rule
                .split_once('>')
                .and_then(|(from, to)| Some((RoleMatch::parse(from)?, RoleMatch::parse(to)?)));
            match parsed {
                Some(pair) => rules.push(pair),
                None => {
                    return Err(format!(
                        "rule {rule:?} is not `role>role` (roles are [A-Za-z0-9_-], or `*`)"
                    ));
                }
            }
        }
        if rules.is_empty() {
            return Err("must be `open` or rules like `student>teacher,teacher>*`".into());
        }
        Ok(Self::Rules(rules))
    }

    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }

    /// May someone with role `from` start a conversation with someone with role `to`?
    pub fn allows(&self, from: Option<&str>, to: Option<&str>) -> bool {
        match self {
            Self::Open => true,
            Self::Rules(rules) => rules.iter().any(|(f, t)| f.matches(from) && t.matches(to)),
        }
    }
}

impl fmt::Display for RoleMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Role(r) => f.write_str(r),
        }
    }
}

impl fmt::Display for ConversationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open => f.write_str("open"),
            Self::Rules(rules) => {
                let text: Vec<String> = rules.iter().map(|(a, b)| format!("{a}>{b}")).collect();
                f.write_str(&text.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_school_policy_lets_students_reach_teachers_and_teachers_anyone() {
        let p = ConversationPolicy::parse("student>teacher, teacher>*").unwrap();
        assert!(p.allows(Some("student"), Some("teacher")));
        assert!(p.allows(Some("Student"), Some("TEACHER")));
        assert!(!p.allows(Some("student"), Some("student")));
        assert!(!p.allows(Some("student"), None));
        assert!(p.allows(Some("teacher"), Some("student")));
        assert!(p.allows(Some("teacher"), None));
        assert!(!p.allows(None, Some("teacher")));
        assert_eq!(p.to_string(), "student>teacher,teacher>*");
    }

    #[test]
    fn open_allows_everything_and_bad_rules_are_refused() {
        assert!(ConversationPolicy::parse(" OPEN ").unwrap().is_open());
        assert!(ConversationPolicy::default().allows(None, None));
        for bad in [
            "",
            ",",
            "student",
            "student>",
            ">teacher",
            "a b>c",
            "student>teacher>x",
        ] {
            assert!(ConversationPolicy::parse(bad).is_err(), "{bad:?}");
        }
    }
}
