//! The admins' view of sessions: how many are active per environment, and ending every
//! session of a person by email (someone who left the firm), with an audit entry. No token,
//! session id or hash of one is ever part of what this returns.

use super::{end_sessions, live_only};
use crate::{
    auth::{environments::Environments, vault::TokenVault},
    store::{AuditRow, Db, DbError},
};

/// The audit log's "connection" column for session actions (the log is shared with the
/// connections page).
pub const AUDIT_SUBJECT: &str = "(sessions)";

/// Active sessions per environment, by name (sessions made before environments were recorded
/// count under an empty name, shown as such).
pub async fn counts(db: &Db, now: i64) -> Result<Vec<(String, usize)>, DbError> {
    let rows = live_only(db, db.sessions_all(now).await?).await?;
    let mut out: Vec<(String, usize)> = Vec::new();
    for row in rows {
        match out.iter_mut().find(|(env, _)| *env == row.environment) {
            Some((_, n)) => *n += 1,
            None => out.push((row.environment, 1)),
        }
    }
    out.sort();
    Ok(out)
}

/// Ends every session of whoever signed in with `email` (any case, every environment),
/// revoking their refresh tokens when the provider can, and records it in the audit log as
/// done by `admin`. Returns how many ended.
pub async fn end_all_of(
    db: &Db,
    vault: &TokenVault,
    environments: &Environments,
    email: &str,
    admin: &str,
    now: i64,
) -> Result<usize, DbError> {
    let rows = db.sessions_of_email(email, now).await?;
    let ended = end_sessions(db, vault, Some(environments), &rows).await?;
    db.audit_add(&AuditRow {
        at: now,
        who: admin.to_owned(),
        connection: AUDIT_SUBJECT.to_owned(),
        what: format!(
            "ended all sessions of {} ({ended})",
            email.trim().to_lowercase()
        ),
    })
    .await?;
    Ok(ended)
}
