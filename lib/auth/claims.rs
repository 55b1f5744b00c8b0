//! Checks on a token's claims with an injected clock, and the claims -> the user.

use super::{CurrentUser, MAX_NAME_CHARS, MAX_ROLE_CHARS, clip};
use crate::domain::UserId;
use serde_json::Value;

/// Which claims make the user (`AUTH_USER_ID_CLAIM`, `AUTH_ROLE_CLAIM`, `AUTH_DEFAULT_ROLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRules {
    pub user_id_claim: String,
    pub role_claim: String,
    pub default_role: Option<String>,
}

impl Default for IdentityRules {
    fn default() -> Self {
        Self {
            user_id_claim: "sub".into(),
            role_claim: "role".into(),
            default_role: None,
        }
    }
}

/// A claim by exact name (`https://example.com/roles`), else by dotted path (`app_metadata.role`).
pub fn lookup<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, key| v.get(key))
}

fn number(claims: &Value, name: &str) -> Result<Option<f64>, &'static str> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or("a time claim is not a number"),
    }
}

/// `exp` required and not passed, `nbf` (if any) reached, both within `skew` seconds.
pub fn check_times(claims: &Value, now: u64, skew: u64) -> Result<(), &'static str> {
    let now = now as f64;
    let skew = skew as f64;
    match number(claims, "exp")? {
        None => return Err("no exp claim"),
        Some(exp) if now > exp + skew => return Err("expired"),
        Some(_) => {}
    }
    match number(claims, "nbf")? {
        Some(nbf) if now + skew < nbf => Err("not yet valid (nbf)"),
        _ => Ok(()),
    }
}

pub fn check_issuer(claims: &Value, issuer: &str) -> Result<(), &'static str> {
    match claims.get("iss").and_then(Value::as_str) {
        Some(iss) if iss == issuer => Ok(()),
        _ => Err("wrong issuer"),
    }
}

/// `aud` (a string or a list) names one of `audiences`.
pub fn check_audience(claims: &Value, audiences: &[String]) -> Result<(), &'static str> {
    let ok = match claims.get("aud") {
        Some(Value::String(a)) => audiences.iter().any(|x| x == a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if ok { Ok(()) } else { Err("wrong audience") }
}

/// The user: id from the id claim; name from `name`, else the e-mail's local
/// part, else the id; role from the role claim path, else the default role.
pub fn identity(claims: &Value, rules: &IdentityRules) -> Result<CurrentUser, &'static str> {
    let raw_id = lookup(claims, &rules.user_id_claim)
        .and_then(Value::as_str)
        .ok_or("no user id claim")?;
    let id =
        UserId::parse("sub", raw_id).map_err(|_| "the user id claim is not a valid user id")?;
    let text = |v: Option<&Value>, max| {
        v.and_then(Value::as_str)
            .map(|s| clip(s, max))
            .filter(|s| !s.is_empty())
    };
    let email_local = claims
        .get("email")
        .and_then(Value::as_str)
        .and_then(|e| e.split_once('@'))
        .map(|(local, _)| clip(local, MAX_NAME_CHARS))
        .filter(|s| !s.is_empty());
    let name = text(claims.get("name"), MAX_NAME_CHARS)
        .or(email_local)
        .unwrap_or_else(|| id.as_str().to_owned());
    let role = text(lookup(claims, &rules.role_claim), MAX_ROLE_CHARS)
        .or_else(|| rules.default_role.clone());
    Ok(CurrentUser {
        id,
        name: Some(name),
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_checked_with_the_given_clock_and_skew() {
        let c = json!({"exp": 1000, "nbf": 900});
        assert!(check_times(&c, 950, 5).is_ok());
        assert!(check_times(&c, 1005, 5).is_ok());
        assert_eq!(check_times(&c, 1006, 5), Err("expired"));
        assert_eq!(check_times(&c, 894, 5), Err("not yet valid (nbf)"));
        assert_eq!(check_times(&json!({}), 1, 5), Err("no exp claim"));
        assert!(check_times(&json!({"exp": "soon"}), 1, 5).is_err());
    }

    #[test]
    fn identity_falls_back_through_name_email_and_id() {
        let rules = IdentityRules {
            role_claim: "app_metadata.role".into(),
            default_role: Some("student".into()),
            ..IdentityRules::default()
        };
        let u = identity(&json!({"sub": "u_1", "name": "Ann"}), &rules).unwrap();
        assert_eq!(
            (u.name.as_deref(), u.role.as_deref()),
            (Some("Ann"), Some("student"))
        );
        let u = identity(
            &json!({"sub": "u_1", "email": "bo@x.org", "app_metadata": {"role": "teacher"}, "user_metadata": {"role": "admin"}}),
            &rules,
        )
        .unwrap();
        assert_eq!(
            (u.name.as_deref(), u.role.as_deref()),
            (Some("bo"), Some("teacher"))
        );
        let u = identity(&json!({"sub": "u_1"}), &rules).unwrap();
        assert_eq!(u.name.as_deref(), Some("u_1"));
        assert!(identity(&json!({"sub": "a|b"}), &rules).is_err());
        assert!(identity(&json!({"name": "x"}), &rules).is_err());
        let url_claim = IdentityRules {
            role_claim: "https://example.com/roles".into(),
            ..IdentityRules::default()
        };
        let u = identity(
            &json!({"sub": "u", "https://example.com/roles": "teacher"}),
            &url_claim,
        )
        .unwrap();
        assert_eq!(u.role.as_deref(), Some("teacher"));
    }
}
