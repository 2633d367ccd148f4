//! The figures of the reports page, computed from one field-limited scan of the matching
//! projects ([`REPORT_FIELDS`]) as of a day of the app's clock: what a managing partner looks
//! for first.
//!
//! - **Stale matters**: counts of projects whose `lastActivity` is 30-59, 60-89 and 90 or more
//!   days before `now`, and the [`STALEST`] stalest (oldest activity first, ties by id).
//!   Days are calendar days in the firm's time zone (`FV_TIME_ZONE`, [`Zone`]): activity on
//!   June 1 is 29 days old all through June 30, so the figures only change at the firm's
//!   midnight, not with every second a page takes to load.
//! - **Time in current phase**: per phase, the median and 90th percentile of the days
//!   since `phaseDate`. Percentiles are nearest-rank (the value at rank `ceil(p * n)` of the
//!   sorted days), so every figure is a number of days some project really has.
//! - **New matters per month**: projects whose `createdDate` falls in each of the 12 calendar
//!   months ending with the current one (in the firm's zone), oldest month first.
//! - **Per project type**: counts by `projectTypeId`, named from `ProjectTypes` (an id the
//!   list does not name is shown as "Type N"), largest first.
//!
//! Archived projects are left out unless the filters include them (the scan's query says so,
//! see [`super::ProjectFilters`]). Dates arrive as RFC 3339 or as a bare `yyyy-mm-dd...`; a
//! project with an unreadable date is left out of that one figure only.

use std::collections::HashMap;

use serde::Serialize;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime};

use crate::{
    filevine::{models::ProjectType, Project, ProjectPage},
    util::dates::Zone,
};

/// The fields the scan asks for (`requestedFields`): what the figures and the stalest list need.
pub const REPORT_FIELDS: &str = "projectId,projectName,clientName,phaseName,phaseId,phaseDate,\
createdDate,lastActivity,projectTypeId,isArchived";

/// How many stalest projects are listed.
pub const STALEST: usize = 25;

/// The labels of the stale bands, in order.
pub const STALE_BANDS: [&str; 3] = ["30-59 days", "60-89 days", "90+ days"];

/// A listed stale project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaleProject {
    pub id: i64,
    pub name: String,
    pub client: String,
    pub phase: String,
    /// `yyyy-mm-dd` of the last activity.
    pub last_activity: String,
    pub days: i64,
}

/// Time in the current phase, for one phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PhaseTime {
    pub phase: String,
    pub projects: u64,
    pub median_days: i64,
    pub p90_days: i64,
}

/// New matters in one calendar month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthCount {
    /// `yyyy-mm`.
    pub month: String,
    pub count: u64,
}

/// Projects of one project type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeCount {
    pub type_id: Option<i64>,
    pub name: String,
    pub count: u64,
}

/// Every figure of the reports page.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// The day the figures are counted to (`yyyy-mm-dd`, the app clock's UTC day).
    pub as_of: String,
    /// Projects scanned.
    pub total: u64,
    /// Counts per [`STALE_BANDS`] band.
    pub stale: [u64; 3],
    pub stalest: Vec<StaleProject>,
    /// In pipeline order (by phase id).
    pub phases: Vec<PhaseTime>,
    /// The last 12 months, oldest first.
    pub months: Vec<MonthCount>,
    pub types: Vec<TypeCount>,
    /// The scan stopped early: figures are lower bounds.
    pub partial: bool,
}

/// Reads a gateway timestamp: RFC 3339, or one without an offset (taken as UTC), or a day.
pub fn parse_time(v: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let v = v.trim();
    if let Ok(t) = OffsetDateTime::parse(v, &Rfc3339) {
        return Some(t);
    }
    let plain = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    if let Ok(t) = PrimitiveDateTime::parse(v, plain) {
        return Some(t.assume_utc());
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(v.get(..10)?, day)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// The nearest-rank `p`-th percentile (0 < p <= 100) of sorted `days`.
pub fn percentile(sorted: &[i64], p: u32) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * p as usize).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// The 12 months ending with `today`'s, oldest first, as `(year, month)`.
pub fn last_12_months(today: Date) -> Vec<(i32, Month)> {
    let (mut y, mut m) = (today.year(), today.month());
    let mut out = Vec::with_capacity(12);
    for _ in 0..12 {
        out.push((y, m));
        if m == Month::January {
            y -= 1;
        }
        m = m.previous();
    }
    out.reverse();
    out
}

/// Accumulates pages into a [`Report`] (the scan never holds more than a page of projects;
/// only the days in phase, one number per project, are kept for the percentiles).
pub struct ReportBuilder {
    zone: Zone,
    /// Today in `zone`.
    today: Date,
    report: Report,
    /// `(phase, (phase id rank, days))`.
    phase_days: Vec<(String, i64, Vec<i64>)>,
    months: Vec<(i32, Month, u64)>,
    types: HashMap<Option<i64>, u64>,
    stale: Vec<(OffsetDateTime, StaleProject)>,
}

impl ReportBuilder {
    /// A report counted to `now` (the app clock), in days of `zone`.
    pub fn new(now: OffsetDateTime, zone: &Zone) -> Self {
        let today = zone.local_date(now.unix_timestamp()).unwrap_or(now.date());
        let as_of = crate::filevine::query::gateway_date(today);
        Self {
            zone: zone.clone(),
            today,
            report: Report {
                as_of,
                ..Report::default()
            },
            phase_days: Vec::new(),
            months: last_12_months(today)
                .into_iter()
                .map(|(y, m)| (y, m, 0))
                .collect(),
            types: HashMap::new(),
            stale: Vec::new(),
        }
    }

    /// Adds one page of projects.
    pub fn add_page(&mut self, page: &ProjectPage) {
        for p in &page.items {
            self.add(p);
        }
    }

    fn add(&mut self, p: &Project) {
        self.report.total += 1;
        // A clone (an `Arc` inside) so the closures below do not borrow `self`.
        let (today, zone) = (self.today, self.zone.clone());
        let local = |t: OffsetDateTime| zone.local_date(t.unix_timestamp()).unwrap_or(t.date());
        let days_since = |v: &Option<String>| {
            v.as_deref()
                .and_then(parse_time)
                .map(|t| (t, (today - local(t)).whole_days()))
        };
        if let Some((at, days)) = days_since(&p.last_activity) {
            let band = match days {
                30..=59 => Some(0),
                60..=89 => Some(1),
                d if d >= 90 => Some(2),
                _ => None,
            };
            if let Some(b) = band {
                self.report.stale[b] += 1;
                let day = local(at);
                self.keep_stale(at, day, days, p);
            }
        }
        let phase = p
            .phase_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "(no phase)".to_owned());
        if let Some((_, days)) = days_since(&p.phase_date) {
            let rank = p.phase_id.unwrap_or(i64::MAX);
            match self.phase_days.iter_mut().find(|(n, _, _)| *n == phase) {
                Some((_, r, all)) => {
                    *r = (*r).min(rank);
                    all.push(days.max(0));
                }
                None => self.phase_days.push((phase, rank, vec![days.max(0)])),
            }
        }
        if let Some(created) = p.created_date.as_deref().and_then(parse_time).map(local) {
            if let Some(m) = self
                .months
                .iter_mut()
                .find(|(y, m, _)| *y == created.year() && *m == created.month())
            {
                m.2 += 1;
            }
        }
        *self.types.entry(p.project_type_id).or_default() += 1;
    }

    /// Keeps the [`STALEST`] oldest activities seen so far.
    fn keep_stale(&mut self, at: OffsetDateTime, day: Date, days: i64, p: &Project) {
        let id = p.project_id.map_or(0, |i| i.get());
        let key = (at, id);
        if self.stale.len() == STALEST && self.stale.last().is_some_and(|(t, s)| (*t, s.id) <= key)
        {
            return;
        }
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let entry = StaleProject {
            id,
            name: text(&p.project_name),
            client: text(&p.client_name),
            phase: text(&p.phase_name),
            last_activity: crate::filevine::query::gateway_date(day),
            days,
        };
        let at_index = self.stale.partition_point(|(t, s)| (*t, s.id) < key);
        self.stale.insert(at_index, (at, entry));
        self.stale.truncate(STALEST);
    }

    /// The report, with type names from `types` (the org's `ProjectTypes`).
    pub fn finish(mut self, types: &[ProjectType], partial: bool) -> Report {
        let mut r = std::mem::take(&mut self.report);
        r.partial = partial;
        r.stalest = self.stale.into_iter().map(|(_, s)| s).collect();
        self.phase_days
            .sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        r.phases = self
            .phase_days
            .into_iter()
            .map(|(phase, _, mut days)| {
                days.sort_unstable();
                PhaseTime {
                    phase,
                    projects: days.len() as u64,
                    median_days: percentile(&days, 50),
                    p90_days: percentile(&days, 90),
                }
            })
            .collect();
        r.months = self
            .months
            .into_iter()
            .map(|(y, m, count)| MonthCount {
                month: format!("{y:04}-{:02}", m as u8),
                count,
            })
            .collect();
        let name_of = |id: Option<i64>| match id {
            None => "(no type)".to_owned(),
            Some(id) => types
                .iter()
                .find(|t| t.project_type_id.native == id)
                .and_then(|t| t.name.clone())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("Type {id}")),
        };
        let mut by_type: Vec<TypeCount> = self
            .types
            .into_iter()
            .map(|(id, count)| TypeCount {
                type_id: id,
                name: name_of(id),
                count,
            })
            .collect();
        by_type.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        r.types = by_type;
        r
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
