//! Changes per org, counted, so a cache does not keep a figure scanned across a change: a scan
//! that started before a webhook said the org's projects changed, and finished after the
//! cache's entries of that org were dropped, would otherwise be kept for its whole minute.
//! Each cache reads the org's count before scanning and drops what it stored when the count
//! moved meanwhile ([`super::fresh_cache::FreshCache`]).

use std::{collections::HashMap, sync::Mutex};

/// How many changes each `(environment, org)` has seen in this process (one entry per org
/// that ever changed: bounded by the orgs served).
#[derive(Default)]
pub struct OrgChanges(Mutex<HashMap<(String, i64), u64>>);

impl OrgChanges {
    /// The count of `org_id` in `environment` now.
    pub fn count(&self, environment: &str, org_id: i64) -> u64 {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(environment.to_owned(), org_id))
            .copied()
            .unwrap_or(0)
    }

    /// Counts a change of `org_id` in `environment`.
    pub fn bump(&self, environment: &str, org_id: i64) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((environment.to_owned(), org_id)).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{
        filevine::{ProjectPage, ProjectQuery},
        live::OrgCache,
        projects::{SummaryCache, SummaryKey},
        util::Clock,
    };

    fn key(org_id: i64) -> SummaryKey {
        SummaryKey {
            environment: "us".into(),
            org_id,
            user_id: 2,
            q: String::new(),
            archived: false,
            dates: Default::default(),
        }
    }

    /// A scan running while the org changes is not kept; one of another org is.
    #[tokio::test]
    async fn a_scan_across_a_change_is_not_kept() {
        let cache = Arc::new(SummaryCache::new(Clock::system()));
        for (org, changed, kept) in [(1, 1, false), (2, 1, true)] {
            let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
            let go = Arc::new(tokio::sync::Mutex::new(Some(go_rx)));
            let scan = {
                let (cache, go) = (cache.clone(), go.clone());
                tokio::spawn(async move {
                    let fetch = move |_q: ProjectQuery| {
                        let go = go.clone();
                        async move {
                            let rx = go.lock().await.take();
                            if let Some(rx) = rx {
                                let _ = rx.await;
                            }
                            Ok(ProjectPage::default())
                        }
                    };
                    cache.get(key(org), ProjectQuery::default(), 1, fetch).await
                })
            };
            tokio::task::yield_now().await;
            while go.lock().await.is_some() {
                tokio::task::yield_now().await;
            }
            cache.drop_org("us", changed);
            go_tx.send(()).unwrap();
            scan.await.unwrap().unwrap();
            assert_eq!(cache.cached(&key(org)).await.is_some(), kept, "org {org}");
        }
    }
}
