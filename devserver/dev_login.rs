//! Development-only helpers: sign in as a demo user (the Node e2e tests do;
//! the app signs in through its own `/api/session`), and
//! the pusher-js settings for the local Sockudo.

use http::{HeaderValue, Method, StatusCode, header};
use messaging::app::App;
use messaging::auth::{self, Claims};
use messaging::error::{AppError, AppResult};
use messaging::http::{Request, Response, json, json_with_headers};

pub struct DemoUser {
    pub key: &'static str,
    pub id: &'static str,
    pub name: &'static str,
    pub role: &'static str,
}

pub const DEMO_USERS: [DemoUser; 3] = [
    DemoUser {
        key: "student",
        id: "u_student",
        name: "Sam Student",
        role: "student",
    },
    DemoUser {
        key: "teacher",
        id: "u_teacher",
        name: "Taylor Teacher",
        role: "teacher",
    },
    DemoUser {
        key: "outsider",
        id: "u_outsider",
        name: "Olive Outsider",
        role: "student",
    },
];

const SESSION_HOURS: u64 = 12;

/// `POST /api/dev/login {"as": "student"|"teacher"|"outsider"}`: a session
/// token for a demo user, returned and set as the session cookie.
pub async fn login(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::POST], "POST")?;
    let fields = req.json_fields()?;
    let who = fields.str("as")?;
    let user = DEMO_USERS
        .iter()
        .find(|u| u.key == who)
        .ok_or_else(|| AppError::Validation("as: must be student, teacher or outsider".into()))?;
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(AppError::internal)?
        .as_secs()
        + SESSION_HOURS * 3600;
    let claims = Claims {
        sub: user.id.into(),
        exp,
        name: Some(user.name.into()),
        role: Some(user.role.into()),
    };
    let session = app.config.session.as_ref().ok_or(AppError::Forbidden(
        "dev login issues our HS256 token: set SESSION_SECRET",
    ))?;
    let token = auth::issue_session(&claims, session)?;
    let name = &session.cookie_name;
    // Browsers drop `__Host-`/`__Secure-` cookies without `Secure` (localhost counts as secure).
    let secure = if name.starts_with("__Host-") || name.starts_with("__Secure-") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(AppError::internal)?;
    let body = serde_json::json!({
        "user": { "id": user.id, "name": user.name, "role": user.role },
        "token": token,
    });
    Ok(json_with_headers(
        StatusCode::OK,
        &body,
        &[(header::SET_COOKIE, cookie)],
    ))
}

/// `GET /api/dev/config`: what pusher-js needs to reach the server the
/// functions trigger on (the configuration read at start, not read again).
pub async fn pusher_config(app: &App, req: Request) -> AppResult<Response> {
    req.require_method(&[Method::GET], "GET")?;
    let pusher = &app.config.pusher;
    // Pusher's own API hosts mean pusher-js's default WebSocket host for the cluster.
    let hosted =
        pusher.host().ends_with(".pusher.com") || pusher.host().ends_with(".pusherapp.com");
    let body = serde_json::json!({
        "key": pusher.key(),
        "cluster": pusher.cluster().unwrap_or("mt1"),
        "wsHost": (!hosted).then(|| pusher.host()),
        "wsPort": if hosted { None } else { pusher.port() },
        "forceTLS": pusher.scheme() == "https",
    });
    Ok(json(StatusCode::OK, &body))
}
