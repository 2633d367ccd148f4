//! Feed keys: what lets a BI tool (Excel "From Web", Power BI's Web connector) refresh
//! `/feeds/...` on a schedule with nobody signed in. A key names a connection, an org and fixed
//! filters; whoever holds it reads exactly that, through the connection's pool.
//!
//! A key is `fvfeed_` + 32 random bytes (base64url): 256 bits, so a plain SHA-256 of it is
//! enough to store (nothing to brute-force, unlike a password), and looking a key up by its
//! hash takes the same time whatever the guess. Only the hash is stored; the key is shown once.
//! Requests are limited per key ([`crate::util::keyed_rate::KeyedRate`], a `governor` bucket
//! per key id).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::{PatAccount, ReportError};
use crate::{
    filevine::OrgContext,
    projects::ProjectFilters,
    state::AppState,
    store::{DbError, FeedKeyRow},
};

/// Every feed key starts with this (so a leaked one is recognisable in logs and scanners).
pub const KEY_PREFIX: &str = "fvfeed_";
/// Longest feed name kept.
const MAX_NAME: usize = 80;

/// A new random key.
pub fn generate_key() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SecretString::from(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Hex SHA-256 of a key: what is stored and looked up.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// What the settings form sends for a new key.
#[derive(Clone, Debug, Default)]
pub struct FeedDraft {
    pub name: String,
    pub connection: String,
    pub org: String,
    pub q: String,
    pub phase: String,
    pub archived: bool,
    /// `(filter name, typed value)` of the three date filters.
    pub dates: Vec<(String, String)>,
}

/// Why a key could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// A field of the form is wrong: which, and what to do.
    #[error("{message}")]
    Form {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

pub(super) fn form(field: &'static str, message: impl Into<String>) -> FeedError {
    FeedError::Form {
        field,
        message: message.into(),
    }
}

/// Checks `draft` and stores a new key for it; the key is returned once, never stored.
pub async fn create(
    state: &AppState,
    draft: &FeedDraft,
    by: &str,
) -> Result<(FeedKeyRow, SecretString), FeedError> {
    let name: String = draft.name.trim().chars().take(MAX_NAME).collect();
    if name.is_empty() {
        return Err(form(
            "name",
            "Give the feed a name, like \"Power BI monthly\".",
        ));
    }
    let connection = draft.connection.trim();
    let Some(bound) = state.connections.get(connection).await? else {
        return Err(form("connection", "Choose one of the saved connections."));
    };
    let org_id = draft.org.trim().parse::<i64>().map_err(|_| {
        form(
            "org",
            "The organization is its Filevine id, a whole number.",
        )
    })?;
    // The key's fixed filters, read as the dashboard reads its URL.
    let mut filters = ProjectFilters {
        archived: draft.archived,
        ..ProjectFilters::default()
    };
    let typed = [("q", &draft.q), ("phase", &draft.phase)].into_iter();
    for (n, v) in typed.chain(draft.dates.iter().map(|(n, v)| (n.as_str(), v))) {
        filters.set(n, v).map_err(|e| form(e.name, e.to_string()))?;
    }
    super::feed_checks::check(state, &name, connection, org_id, &filters).await?;
    let key = generate_key();
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let row = FeedKeyRow {
        id: hex::encode(id),
        name,
        connection: connection.to_owned(),
        connection_id: bound.id,
        org_id,
        filters: filters.to_query(),
        key_hash: hash_key(key.expose_secret()),
        created_by: by.to_owned(),
        created_at: state.clock.now_unix(),
        last_used_at: None,
        revoked_at: None,
    };
    state.db.feed_key_insert(&row).await?;
    tracing::info!(feed = %row.id, connection = %row.connection, org_id, by, "feed key created");
    Ok((row, key))
}

/// The live key `presented` (from `Authorization: Bearer`), its use recorded; `None` for a
/// wrong or revoked key, or one whose connection row is gone (a connection of the same name
/// made since is another row).
pub async fn authenticate(
    state: &AppState,
    presented: &str,
) -> Result<Option<FeedKeyRow>, DbError> {
    let presented = presented.trim();
    if !presented.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let Some(row) = state.db.feed_key_by_hash(&hash_key(presented)).await? else {
        return Ok(None);
    };
    let connection = state.connections.get(&row.connection).await?;
    if connection.is_none_or(|c| c.id != row.connection_id) {
        tracing::info!(feed = %row.id, connection = %row.connection, "feed key of a removed connection refused");
        return Ok(None);
    }
    state
        .db
        .feed_key_used(&row.id, state.clock.now_unix())
        .await?;
    Ok(Some(row))
}

/// The connection's account and the gateway context of the feed's org (the connection's
/// user must be in it).
pub async fn account_for(
    state: &AppState,
    feed: &FeedKeyRow,
) -> Result<(PatAccount, OrgContext), ReportError> {
    let account = PatAccount::of_connection(state, &feed.connection).await?;
    let (org_id, _) = account.pick_org(Some(feed.org_id))?;
    let ctx = account.ctx(org_id);
    Ok((account, ctx))
}

/// A feed that could not be served is recorded on its connection, so the admin who looks at
/// `/settings/connections` after a failed BI refresh sees why (the answer itself says only
/// "try again later"). Recording problems are logged, never the feed's answer.
pub async fn record_failure(state: &AppState, feed: &FeedKeyRow, e: &ReportError) {
    tracing::warn!(feed = %feed.id, connection = %feed.connection, error = %e, "feed failed");
    let message = format!("Feed “{}” failed: {e}", feed.name);
    let connections = &state.connections;
    let recorded = connections
        .record_error(&feed.connection, e.connection_status(), &message)
        .await;
    if let Err(db) = recorded {
        tracing::warn!(error = %db, "could not record the feed's failure on its connection");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_256_bit_and_only_their_hash_is_kept() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a.expose_secret(), b.expose_secret());
        let raw = URL_SAFE_NO_PAD
            .decode(&a.expose_secret()[KEY_PREFIX.len()..])
            .unwrap();
        assert_eq!(raw.len(), 32);
        let h = hash_key(a.expose_secret());
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&a.expose_secret()[KEY_PREFIX.len()..]));
    }

    #[test]
    fn filters_round_trip_through_the_stored_query() {
        let mut f = ProjectFilters {
            q: "Smith & Co".into(),
            phase: "Intake".into(),
            archived: true,
            ..Default::default()
        };
        f.dates.set("active_since", "2025-01-02").unwrap();
        let q = f.to_query();
        assert_eq!(ProjectFilters::from_query(&q), f);
        // Stored by hand or by another version: `true` is `1` here as on the dashboard.
        assert!(ProjectFilters::from_query("archived=true").archived);
    }
}
