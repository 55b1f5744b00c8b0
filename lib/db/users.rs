//! Users: kept current from session claims; existence checks for new conversations.

use super::DbError;
use super::rows::{id_strs, user_id};
use crate::domain::UserId;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// Creates the user or updates name and role; writes (and locks) nothing when they are unchanged,
/// which is the common case: it runs on every authenticated request.
/// `None` stores NULL: the claims are the truth.
pub async fn upsert(
    c: &impl GenericClient,
    id: &UserId,
    name: Option<&str>,
    role: Option<&str>,
) -> Result<(), DbError> {
    c.execute_typed(
        "WITH current AS (SELECT name, role FROM users WHERE id = $1)
         INSERT INTO users (id, name, role)
         SELECT $1, $2, $3
         WHERE NOT EXISTS (
             SELECT 1 FROM current
             WHERE (current.name, current.role) IS NOT DISTINCT FROM ($2, $3))
         ON CONFLICT (id) DO UPDATE
         SET name = EXCLUDED.name, role = EXCLUDED.role, updated_at = now()
         WHERE (users.name, users.role) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.role)",
        &[
            (&id.as_str(), Type::TEXT),
            (&name, Type::TEXT),
            (&role, Type::TEXT),
        ],
    )
    .await?;
    Ok(())
}

/// The ids in `ids` that no user has, in the order given.
pub async fn unknown_ids(c: &impl GenericClient, ids: &[UserId]) -> Result<Vec<UserId>, DbError> {
    let rows = c
        .query_typed(
            "SELECT t.id FROM unnest($1) WITH ORDINALITY AS t (id, n)
             WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.id)
             ORDER BY t.n",
            &[(&id_strs(ids), Type::TEXT_ARRAY)],
        )
        .await?;
    rows.iter().map(|r| user_id(r.try_get(0)?)).collect()
}

/// The role of each known user among `ids` (`None`: known, without a role); unknown ids are absent.
pub async fn roles(
    c: &impl GenericClient,
    ids: &[UserId],
) -> Result<HashMap<UserId, Option<String>>, DbError> {
    let rows = c
        .query_typed(
            "SELECT id, role FROM users WHERE id = ANY($1)",
            &[(&id_strs(ids), Type::TEXT_ARRAY)],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((user_id(r.try_get(0)?)?, r.try_get(1)?)))
        .collect()
}
