//! The signed-in caller and a database connection, for routes that need both.

use crate::app::App;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppResult;
use crate::http::Request;

/// Verifies the credentials (any configured sign-in mode; a cookie-only
/// state-changing request must be same-origin), then keeps the user's row
/// current from the claims.
pub async fn session(app: &App, req: &Request) -> AppResult<(CurrentUser, db::Client)> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let user = app
        .auth
        .authenticate(&req.method, &req.headers, now)
        .await?;
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
