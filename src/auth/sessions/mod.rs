//! Sessions people can see and end: the index from a user to their sessions ([`index`]),
//! ending sessions by that index on every replica (the record, its tokens and its index row
//! go; the next request of that browser, on whichever replica, finds no record and is signed
//! out), OpenID Connect Back-Channel Logout ([`backchannel`]), the user's own list
//! ([`listing`]) and the admins' view ([`admin`]).

pub mod admin;
pub mod backchannel;
pub mod browser;
pub mod index;
pub mod listing;

use std::str::FromStr;

use tower_sessions::{session::Id, SessionStore};

use super::{environments::Environments, oidc::OidcProvider, vault::TokenVault};
use crate::store::{Db, DbError, SessionIndexRow};

pub use index::IndexedStore;

/// Ends the sessions of `rows`: deletes each record (from the table store, by the id it
/// holds), its vault row and its index row. With `revoke`, each session's refresh token is
/// revoked first at its own environment's provider when that supports revocation (a failure
/// is logged; the session ends regardless). Returns how many were ended.
pub async fn end_sessions(
    db: &Db,
    vault: &TokenVault,
    revoke: Option<&Environments>,
    rows: &[SessionIndexRow],
) -> Result<usize, DbError> {
    let store = db.session_store();
    for row in rows {
        let provider = revoke.and_then(|envs| envs.get(&row.environment));
        if let Some(env) = provider.filter(|e| e.oidc.can_revoke()) {
            revoke_refresh_token(&env.oidc, vault, row).await;
        }
        if let Ok(id) = Id::from_str(&row.stored_id) {
            store
                .delete(&id)
                .await
                .map_err(|e| DbError::Query(sqlx_error(e)))?;
        }
        db.vault_delete(&row.vault_id).await?;
        db.session_index_delete(&row.stored_id).await?;
        tracing::info!(sub = %row.subject, environment = %row.environment, "session ended from elsewhere");
    }
    Ok(rows.len())
}

async fn revoke_refresh_token(oidc: &OidcProvider, vault: &TokenVault, row: &SessionIndexRow) {
    let token = match vault.load_of_session(&row.vault_id, &row.subject).await {
        Ok(Some(tokens)) => tokens.refresh_token,
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "could not read a session's tokens to revoke them");
            None
        }
    };
    if let Some(token) = token {
        if let Err(why) = oidc.revoke_refresh_token(&token).await {
            tracing::warn!(reason = %why, "could not revoke an ended session's refresh token");
        }
    }
}

/// tower-sessions' store error as the database error it wraps (its text only: the store
/// does not hand back the source).
fn sqlx_error(e: tower_sessions::session_store::Error) -> tower_sessions_sqlx_store::sqlx::Error {
    tower_sessions_sqlx_store::sqlx::Error::Protocol(e.to_string())
}

/// Whether the session a row names still exists (not idle-expired nor ended): its record
/// loads. Rows of sessions that expired are purged only at their absolute lifetime, so every
/// reader checks.
pub async fn still_exists(db: &Db, row: &SessionIndexRow) -> Result<bool, DbError> {
    record_exists(db, &row.stored_id).await
}

/// Whether the session stored under `stored_id` (the table's id, not the cookie's) still
/// exists: not ended, not idle-expired. Long-lived responses (the live stream) ask it to
/// notice a sign-out that happened elsewhere.
pub async fn record_exists(db: &Db, stored_id: &str) -> Result<bool, DbError> {
    let Ok(id) = Id::from_str(stored_id) else {
        return Ok(false);
    };
    match db.session_store().load(&id).await {
        Ok(found) => Ok(found.is_some()),
        Err(e) => Err(DbError::Query(sqlx_error(e))),
    }
}

/// The rows whose sessions still exist; the index rows of the others are dropped.
pub async fn live_only(
    db: &Db,
    rows: Vec<SessionIndexRow>,
) -> Result<Vec<SessionIndexRow>, DbError> {
    let mut live = Vec::with_capacity(rows.len());
    for row in rows {
        if still_exists(db, &row).await? {
            live.push(row);
        } else {
            db.session_index_delete(&row.stored_id).await?;
        }
    }
    Ok(live)
}
