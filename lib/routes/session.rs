//! The signed-in caller and a database connection, for routes that need both.

use crate::app::App;
use crate::auth::{self, CurrentUser};
use crate::db;
use crate::error::AppResult;
use crate::http::Request;

/// Verifies the session token, then keeps the user's row current from its claims.
pub async fn session(app: &App, req: &Request) -> AppResult<(CurrentUser, db::Client)> {
    let user = auth::authenticate(&req.headers, &app.config.session)?;
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
