//! Liveness, readiness and the metrics page.
//!
//! - `GET /healthz`: the process answers. Nothing else is checked, so an orchestrator never
//!   restarts a healthy process because a dependency is down.
//! - `GET /readyz`: the database answers a round trip and every environment's provider keys
//!   are fresh enough (discovery is loaded at start-up, or the app would not be running). 503 with the reasons
//!   otherwise, as JSON. The body names checks, never a URL with credentials or a secret.
//! - `GET /metrics`: Prometheus text (see [`crate::metrics`]).

use std::time::Duration;

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

use crate::state::AppState;

/// How long the database may take to answer the readiness ping.
pub const DB_PING_TIMEOUT: Duration = Duration::from_secs(2);
/// Keys older than this are refetched in the background.
pub const KEYS_REFRESH_AFTER: Duration = Duration::from_secs(3600);
/// Keys older than this mean several refetches in a row failed: not ready.
pub const KEYS_STALE_AFTER: Duration = Duration::from_secs(6 * 3600);
/// How often the background task looks at the keys' age.
const KEYS_CHECK_EVERY: Duration = Duration::from_secs(600);

/// `GET /healthz`.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The readiness answer.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    /// Database check: `ok` or why not.
    pub database: String,
    /// Provider check: `ok` or why not.
    pub provider: String,
    /// Age of the provider's key set, in seconds (the oldest one's, with several).
    pub provider_keys_age_seconds: u64,
    /// With several environments, each one's provider check by name (`ok` or why not).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub providers: std::collections::BTreeMap<String, String>,
    /// Connections background work skips until an admin re-authorizes them. Informational:
    /// the app itself is ready (signed-in users are not affected).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connections_needing_authorization: Vec<String>,
}

impl Readiness {
    /// Combines the checks (pure, so the stale-key case is testable without waiting hours):
    /// the database's, and the key set age of each environment's provider, by name.
    pub fn assess(database: Result<(), String>, keys: &[(String, Duration)]) -> Self {
        let check = |age: &Duration| {
            if *age > KEYS_STALE_AFTER {
                format!(
                    "the provider's keys are {} s old: refetching them has failed since",
                    age.as_secs()
                )
            } else {
                "ok".to_owned()
            }
        };
        let providers: std::collections::BTreeMap<String, String> = keys
            .iter()
            .map(|(name, age)| (name.clone(), check(age)))
            .collect();
        let provider = match providers.iter().find(|(_, c)| *c != "ok") {
            None => "ok".to_owned(),
            Some((_, c)) if keys.len() == 1 => c.clone(),
            Some((name, c)) => format!("environment `{name}`: {c}"),
        };
        let keys_age = keys.iter().map(|(_, a)| *a).max().unwrap_or_default();
        let providers = if keys.len() > 1 {
            providers
        } else {
            Default::default()
        };
        let database = match database {
            Ok(()) => "ok".to_owned(),
            Err(why) => why,
        };
        let ready = database == "ok" && provider == "ok";
        Self {
            status: if ready { "ready" } else { "not ready" },
            database,
            provider,
            provider_keys_age_seconds: keys_age.as_secs(),
            providers,
            connections_needing_authorization: Vec::new(),
        }
    }

    /// Whether every check passed.
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

/// `GET /readyz`: 200 when ready, 503 with the reasons otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = match tokio::time::timeout(DB_PING_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database ping failed");
            Err(format!(
                "the {} database does not answer",
                state.db.backend()
            ))
        }
        Err(_) => Err(format!(
            "the {} database did not answer within {} s",
            state.db.backend(),
            DB_PING_TIMEOUT.as_secs()
        )),
    };
    let mut keys = Vec::new();
    for env in state.environments.iter() {
        keys.push((env.name.clone(), env.oidc.keys_age().await));
    }
    let mut readiness = Readiness::assess(database, &keys);
    if let Ok(Ok(all)) = tokio::time::timeout(DB_PING_TIMEOUT, state.connections.list()).await {
        readiness.connections_needing_authorization = all
            .iter()
            .filter(|c| c.needs_authorization())
            .map(|c| c.name.to_string())
            .collect();
    }
    let status = if readiness.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(readiness),
    )
        .into_response()
}

/// `GET /metrics`: the Prometheus text exposition. The active-session gauge is counted
/// afresh for each scrape (one indexed count, bounded by [`DB_PING_TIMEOUT`]; the last
/// sampled value stands when the database is slow), so a scrape right after a login or a
/// logout sees it.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let count = state.db.vault_count_live(state.clock.now_unix());
    if let Ok(Ok(n)) = tokio::time::timeout(DB_PING_TIMEOUT, count).await {
        crate::metrics::set_active_sessions(n);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
        .into_response()
}

/// Background upkeep that readiness and metrics rely on: each environment's provider keys
/// are refetched when older than [`KEYS_REFRESH_AFTER`], and the active-session gauge is
/// sampled.
pub fn spawn_background(state: &AppState) {
    crate::metrics::spawn_sampler(state.db.clone(), state.clock.clone());
    for env in state.environments.iter() {
        let (oidc, name) = (env.oidc.clone(), env.name.clone());
        let clock = state.clock.clone();
        tokio::spawn(async move {
            loop {
                // On the app clock: a test that ages the keys an hour gets its refetch now.
                clock.sleep(KEYS_CHECK_EVERY).await;
                if !oidc.refresh_keys_older_than(KEYS_REFRESH_AFTER).await {
                    tracing::warn!(environment = %name, "the provider's keys could not be refetched; will retry");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_every_check_passes() {
        let one = |age| vec![("us".to_owned(), age)];
        let ok = Readiness::assess(Ok(()), &one(Duration::from_secs(5)));
        assert!(ok.is_ready());
        assert!(
            ok.providers.is_empty(),
            "one environment: no per-environment list"
        );
        let db = Readiness::assess(
            Err("the sqlite database does not answer".into()),
            &one(Duration::ZERO),
        );
        assert!(!db.is_ready());
        assert_eq!(db.database, "the sqlite database does not answer");
        let stale_age = KEYS_STALE_AFTER + Duration::from_secs(1);
        let stale = Readiness::assess(Ok(()), &one(stale_age));
        assert!(!stale.is_ready());
        assert!(stale.provider.contains("keys"), "{}", stale.provider);
        // Several: one stale provider is enough to be not ready, and it is named.
        let two = vec![
            ("us".to_owned(), Duration::from_secs(5)),
            ("ca".to_owned(), stale_age),
        ];
        let r = Readiness::assess(Ok(()), &two);
        assert!(!r.is_ready());
        assert!(r.provider.starts_with("environment `ca`"), "{}", r.provider);
        assert_eq!(r.providers["us"], "ok");
        assert_eq!(r.provider_keys_age_seconds, stale_age.as_secs());
    }
}
