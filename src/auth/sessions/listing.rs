//! "Your sessions": the signed-in user's sessions in this environment, and signing out the
//! others.
//!
//! The page never carries a session id (nor the table's hash of one): each other session is
//! named by a handle, an HMAC of its table id keyed with the viewing session's CSRF token.
//! A handle means nothing outside that page, and a form naming any handle is resolved only
//! among the viewer's own sessions, so editing the form cannot end somebody else's.

use std::str::FromStr;

use hmac::{Mac, SimpleHmac};
use subtle::ConstantTimeEq;
use tower_sessions::{session::Id, SessionStore};

use super::{end_sessions, index::index_row, live_only};
use crate::{
    auth::{environments::Environments, session, vault::TokenVault, SessionUser},
    store::{Db, DbError, SessionIndexRow},
};

/// One session as the page shows it.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    /// The form's name for it (see the module doc).
    pub handle: String,
    /// The session this page is seen in.
    pub current: bool,
    /// Unix seconds of sign-in.
    pub started_at: i64,
    /// Unix seconds of last use as the session itself records it (written at most once a
    /// minute, so coarse by design).
    pub last_seen: i64,
    pub browser: Option<String>,
}

/// Why a sign-out from the page did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error("that session is not one of yours, or has already ended")]
    UnknownHandle,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn handle_of(viewer: &SessionUser, row: &SessionIndexRow) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(viewer.csrf.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"fv-partner-app session handle v1\0");
    mac.update(row.stored_id.as_bytes());
    URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
}

/// The viewer's live sessions in their environment, oldest first.
async fn own_rows(
    db: &Db,
    viewer: &SessionUser,
    now: i64,
) -> Result<Vec<SessionIndexRow>, DbError> {
    let rows = db
        .sessions_of_subject(&viewer.environment, &viewer.identity.subject, now)
        .await?;
    live_only(db, rows).await
}

/// The session a page is seen in: its user, and its id as the session table holds it.
pub struct Viewer<'a> {
    pub user: &'a SessionUser,
    /// `None` only for a session that has no id yet (never the case for a signed-in page).
    pub stored_id: Option<String>,
    /// The absolute session lifetime (how long an index row is kept after sign-in).
    pub lifetime: std::time::Duration,
}

/// The viewer's sessions, this one marked.
///
/// A session signed in before the index existed has no row, so no back-channel logout or
/// other page could name it: this page indexes it, once (only a missing row is written; a
/// signed-in request elsewhere never writes for the index). One that never comes here ends
/// the first time it would be saved (see [`super::index`]), so the gap closes by itself.
pub async fn list(db: &Db, viewer: &Viewer<'_>, now: i64) -> Result<Vec<SessionSummary>, DbError> {
    let store = db.session_store();
    let mut out = Vec::new();
    let mut rows = own_rows(db, viewer.user, now).await?;
    if let Some(stored_id) = &viewer.stored_id {
        if !rows.iter().any(|r| &r.stored_id == stored_id) {
            let lifetime = viewer.lifetime.as_secs() as i64;
            let row = index_row(stored_id.clone(), viewer.user, lifetime);
            // Only while its record exists: this session may have been ended since this
            // request loaded it, and its row must not come back then.
            if db.session_index_put_if_live(&row).await? {
                tracing::info!(sub = %row.subject, "indexed a session signed in before the index");
                rows.push(row);
                rows.sort_by_key(|r| r.started_at);
            }
        }
    }
    let viewer = viewer.user;
    for row in rows {
        let seen = match Id::from_str(&row.stored_id) {
            Ok(id) => store
                .load(&id)
                .await
                .ok()
                .flatten()
                .and_then(|r| session::last_seen_of_record(&r.data)),
            Err(_) => None,
        };
        out.push(SessionSummary {
            handle: handle_of(viewer, &row),
            current: row.vault_id == viewer.vault_id,
            started_at: row.started_at,
            last_seen: seen.unwrap_or(row.started_at).max(row.started_at),
            browser: row.browser.clone(),
        });
    }
    Ok(out)
}

/// What to end from the page.
pub enum Target<'a> {
    /// The other session the page called `handle`.
    One(&'a str),
    /// Every session of the viewer but this one.
    AllOthers,
}

/// Ends the viewer's other session(s) named by `target` (never the viewer's own: that is what
/// the header's Sign out is for), revoking their refresh tokens when the provider can.
/// Returns how many ended.
pub async fn sign_out(
    db: &Db,
    vault: &TokenVault,
    environments: &Environments,
    viewer: &SessionUser,
    target: Target<'_>,
    now: i64,
) -> Result<usize, ListingError> {
    let others: Vec<SessionIndexRow> = own_rows(db, viewer, now)
        .await?
        .into_iter()
        .filter(|r| r.vault_id != viewer.vault_id)
        .collect();
    let chosen: Vec<SessionIndexRow> = match target {
        Target::AllOthers => others,
        Target::One(handle) => {
            let found: Vec<SessionIndexRow> = others
                .into_iter()
                .filter(|r| bool::from(handle_of(viewer, r).as_bytes().ct_eq(handle.as_bytes())))
                .collect();
            if found.is_empty() {
                return Err(ListingError::UnknownHandle);
            }
            found
        }
    };
    Ok(end_sessions(db, vault, Some(environments), &chosen).await?)
}
