//! Skips the per-request user upsert when this process wrote the same claims
//! recently: most requests then cost one round trip less. Another instance
//! may see newer claims first; each writes within `FRESH` of a change.

use super::{DbError, users};
use crate::domain::UserId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio_postgres::GenericClient;

const FRESH: Duration = Duration::from_secs(300);
/// Bounded memory: past this many users the cache starts over.
const MAX_ENTRIES: usize = 10_000;

type Claims = (Option<String>, Option<String>);

#[derive(Default)]
pub struct UserCache {
    written: Mutex<HashMap<UserId, (Claims, Instant)>>,
}

impl UserCache {
    /// These claims were written by this process recently: [`Self::upsert`] would do nothing.
    pub fn is_current(&self, id: &UserId, name: Option<&str>, role: Option<&str>) -> bool {
        let claims = (name.map(str::to_owned), role.map(str::to_owned));
        self.is_current_claims(id, &claims)
    }

    fn is_current_claims(&self, id: &UserId, claims: &Claims) -> bool {
        let Ok(map) = self.written.lock() else {
            return false;
        };
        map.get(id)
            .is_some_and(|(seen, at)| seen == claims && at.elapsed() < FRESH)
    }

    fn remember(&self, id: &UserId, claims: Claims) {
        if let Ok(mut map) = self.written.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(id.clone(), (claims, Instant::now()));
        }
    }

    /// [`users::upsert`], unless these exact claims were written recently.
    pub async fn upsert(
        &self,
        c: &impl GenericClient,
        id: &UserId,
        name: Option<&str>,
        role: Option<&str>,
    ) -> Result<(), DbError> {
        let claims = (name.map(str::to_owned), role.map(str::to_owned));
        if self.is_current_claims(id, &claims) {
            return Ok(());
        }
        users::upsert(c, id, name, role).await?;
        self.remember(id, claims);
        Ok(())
    }
}
