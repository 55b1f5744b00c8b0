//! The signed-in caller and a database connection, for routes that need both.

use crate::app::App;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppResult;
use crate::http::Request;

/// Verifies the credentials (any configured sign-in mode; a cookie-only
/// state-changing request must be same-origin), then keeps the user's row
/// current from the claims. No round trip when this process wrote the same
/// claims recently (see `db::UserCache`), whatever the sign-in mode.
pub async fn session(app: &App, req: &Request) -> AppResult<(CurrentUser, db::Client)> {
    let user = authenticate(app, req).await?;
    let client = app.db.client().await?;
    app.users
        .upsert(
            &**client,
            &user.id,
            user.name.as_deref(),
            user.role.as_deref(),
        )
        .await?;
    Ok((user, client))
}

/// [`session`] for a route that may need no database at all: a pooled
/// connection is taken only when the user's row must be written.
pub async fn session_user(app: &App, req: &Request) -> AppResult<CurrentUser> {
    let user = authenticate(app, req).await?;
    let (name, role) = (user.name.as_deref(), user.role.as_deref());
    if !app.users.is_current(&user.id, name, role) {
        let client = app.db.client().await?;
        app.users.upsert(&**client, &user.id, name, role).await?;
    }
    Ok(user)
}

async fn authenticate(app: &App, req: &Request) -> AppResult<CurrentUser> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    app.auth.authenticate(&req.method, &req.headers, now).await
}
