//! REST requests as data (method, path, query parameters, body), built and
//! validated without I/O; events are built in `events`. Signing a request
//! needs only the token and the time.

use super::error::PusherError;
use super::names::{ChannelName, check_path_user_id};
use super::sign::{SignedQuery, Token, sign_request};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// One REST call, ready to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestRequest {
    pub method: Method,
    /// The full path, `/apps/{app_id}/...`.
    pub path: String,
    /// Query parameters besides the signing ones (GET only, in practice).
    pub params: Vec<(String, String)>,
    /// The exact JSON body sent, when there is one.
    pub body: Option<String>,
}

impl RestRequest {
    pub(crate) fn new(method: Method, app_id: &str, sub_path: &str) -> Self {
        Self {
            method,
            path: format!("/apps/{app_id}{sub_path}"),
            params: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn param(mut self, key: &str, value: Option<&str>) -> Self {
        if let Some(value) = value {
            self.params.push((key.to_owned(), value.to_owned()));
        }
        self
    }

    /// Signs the request at `timestamp` (Unix seconds).
    pub fn sign(&self, token: &Token, timestamp: u64) -> Result<SignedQuery, PusherError> {
        sign_request(
            token,
            self.method.as_str(),
            &self.path,
            &self.params,
            self.body.as_deref().map(str::as_bytes),
            timestamp,
        )
    }

    /// `application/json` when there is a body, as the Node library sends.
    pub fn content_type(&self) -> Option<&'static str> {
        self.body.as_ref().map(|_| "application/json")
    }

    /// `path?query`, unescaped, as the Node library sends it.
    pub fn path_and_query(&self, signed: &SignedQuery) -> String {
        format!("{}?{}", self.path, signed.query_string())
    }
}

/// `GET /channels`: occupied channels, optionally by prefix; `info` may only
/// be `user_count`, which needs `filter_by_prefix=presence-` (else 400).
pub fn channels(app_id: &str, filter_by_prefix: Option<&str>, info: Option<&str>) -> RestRequest {
    RestRequest::new(Method::Get, app_id, "/channels")
        .param("filter_by_prefix", filter_by_prefix)
        .param("info", info)
}

/// `GET /channels/{name}`: `info` is a comma list of `user_count`
/// (presence), `subscription_count`, `cache`.
pub fn channel(app_id: &str, channel: &ChannelName, info: Option<&str>) -> RestRequest {
    RestRequest::new(Method::Get, app_id, &format!("/channels/{channel}")).param("info", info)
}

/// `GET /channels/{name}/users` (presence channels only, else 400).
pub fn channel_users(app_id: &str, channel: &ChannelName) -> RestRequest {
    RestRequest::new(Method::Get, app_id, &format!("/channels/{channel}/users"))
}

/// `POST /users/{id}/terminate_connections` with the body `{}`, as Node sends.
pub fn terminate_user_connections(app_id: &str, user_id: &str) -> Result<RestRequest, PusherError> {
    check_path_user_id(user_id)?;
    let mut request = RestRequest::new(
        Method::Post,
        app_id,
        &format!("/users/{user_id}/terminate_connections"),
    );
    request.body = Some("{}".to_owned());
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_requests_carry_their_params_and_no_body() {
        let request = channels("7", Some("presence-"), Some("user_count"));
        assert_eq!(request.path, "/apps/7/channels");
        assert_eq!(request.body, None);
        let token = Token::new("k", "s");
        let signed = request.sign(&token, 1).unwrap();
        assert_eq!(
            signed.string_to_sign,
            "GET\n/apps/7/channels\nauth_key=k&auth_timestamp=1&auth_version=1.0&filter_by_prefix=presence-&info=user_count"
        );
        let name = ChannelName::parse("presence-a").unwrap();
        assert_eq!(
            channel_users("7", &name).path,
            "/apps/7/channels/presence-a/users"
        );
        assert_eq!(channel("7", &name, None).params, vec![]);
    }

    #[test]
    fn terminate_refuses_ids_that_would_change_the_path() {
        let request = terminate_user_connections("7", "alice").unwrap();
        assert_eq!(request.path, "/apps/7/users/alice/terminate_connections");
        assert_eq!(request.body.as_deref(), Some("{}"));
        for bad in ["", "..", "a/b", "a?b"] {
            assert!(matches!(
                terminate_user_connections("7", bad),
                Err(PusherError::InvalidUserId(_))
            ));
        }
    }
}
