//! The trend under the summary: projects per phase over time, from the connections' scheduled
//! snapshots ([`crate::reporting::snapshot`]). Drawn on the server as SVG: no script, no
//! `style=` (the CSP is `style-src 'self'`; presentation attributes such as `stroke` are fine).
//!
//! A line needs two snapshots: before that the card says when the trend will start instead of
//! drawing dots at one moment. Lines are in the bar chart's phase order, in the Okabe-Ito
//! palette (told apart with the common colour-vision deficiencies; from the fifth line on
//! also dashed, so no two lines look alike), and each is labelled at its end, the labels nudged apart so none overlaps.

use std::{collections::BTreeMap, time::Duration};

use crate::{
    store::SnapshotRow,
    util::dates::{Shown, Zone},
};

/// How far back the trend looks.
pub const WINDOW_SECS: i64 = 30 * 24 * 3600;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 240;
const LEFT: u32 = 48;
const TOP: u32 = 12;
const PLOT_W: u32 = 420;
const PLOT_H: u32 = 190;
/// Where the end labels start, right of the plot.
const LABEL_X: u32 = LEFT + PLOT_W + 14;
/// The least vertical distance between two end labels (13 px text).
const LABEL_GAP: u32 = 15;
/// Okabe & Ito's colour-blind-safe palette, ordered for contrast on white (its yellow left out).
const PALETTE: [&str; 7] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
];

/// One phase's line.
pub struct Series {
    pub phase: String,
    pub latest: i64,
    /// SVG `points` of the polyline.
    pub points: String,
    pub color: &'static str,
    /// `stroke-dasharray` (empty: solid).
    pub dash: &'static str,
    /// The line's last point, and where its label sits (nudged off its neighbours).
    pub end: (u32, u32),
    pub label_y: u32,
}

/// The chart, positions computed here, markup in `projects.html`.
pub struct Trend {
    pub series: Vec<Series>,
    pub width: u32,
    pub height: u32,
    pub left: u32,
    pub right: u32,
    pub top: u32,
    pub bottom: u32,
    pub label_x: u32,
    pub max: i64,
    pub first: Shown,
    pub last: Shown,
    pub snapshots: usize,
    pub description: String,
}

/// What the trend card shows: the chart, or a sentence saying when it will start.
pub enum TrendCard {
    Chart(Box<Trend>),
    Note(String),
}

/// The sentence after a connection is saved: when its first snapshot comes.
pub fn first_snapshot_note(every: Option<Duration>) -> String {
    match every {
        Some(every) => format!(
            "The dashboard's trend starts with the first scheduled snapshot, taken within {} \
             of saving a connection, and the line appears with the second.",
            minutes(every)
        ),
        None => "Scheduled snapshots are off (FV_SNAPSHOT_MINUTES=0), so the dashboard shows \
                 no trend."
            .to_owned(),
    }
}

fn minutes(every: Duration) -> String {
    match every.as_secs().div_ceil(60) {
        1 => "a minute".to_owned(),
        n => format!("{n} minutes"),
    }
}

/// Phases in the bar chart's order (`order`, the pipeline), then any others (phases that no
/// longer have projects) by name.
fn ordered<'a>(rows: &'a [SnapshotRow], order: &[String]) -> Vec<&'a str> {
    let mut names: Vec<&str> = rows.iter().map(|r| r.phase.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let rank = |p: &str| order.iter().position(|o| o == p).unwrap_or(usize::MAX);
    names.sort_by_key(|p| rank(p));
    names
}

/// Moves labels (sorted by `y`) apart to at least [`LABEL_GAP`], keeping them in the chart.
fn spread(mut ys: Vec<(usize, u32)>) -> Vec<(usize, u32)> {
    ys.sort_by_key(|&(_, y)| y);
    let lowest = HEIGHT - 4;
    let mut floor = TOP;
    for (_, y) in ys.iter_mut() {
        *y = (*y).max(floor);
        floor = *y + LABEL_GAP;
    }
    // Too many to fit below: push back up from the bottom.
    let mut ceiling = lowest;
    for (_, y) in ys.iter_mut().rev() {
        *y = (*y).min(ceiling);
        ceiling = y.saturating_sub(LABEL_GAP);
    }
    ys
}

impl Trend {
    /// The trend of `rows` (one org), lines in `order`; `None` below two snapshots.
    pub fn new(rows: &[SnapshotRow], order: &[String], zone: &Zone) -> Option<Self> {
        let times: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.taken_at).collect();
        let (&first, &last) = (times.first()?, times.last()?);
        if times.len() < 2 {
            return None;
        }
        let max = rows.iter().map(|r| r.count).max().unwrap_or(0).max(1);
        let mut by_phase: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
        for r in rows {
            by_phase
                .entry(&r.phase)
                .or_default()
                .push((r.taken_at, r.count));
        }
        let x = |t: i64| -> u32 {
            LEFT + ((t - first) as f64 / (last - first) as f64 * f64::from(PLOT_W)).round() as u32
        };
        let y = |c: i64| -> u32 {
            TOP + PLOT_H - (c.max(0) as f64 / max as f64 * f64::from(PLOT_H)).round() as u32
        };
        let mut series: Vec<Series> = ordered(rows, order)
            .into_iter()
            .enumerate()
            .map(|(i, phase)| {
                let mut pts = by_phase[phase].clone();
                pts.sort_unstable();
                let coords: Vec<(u32, u32)> = pts.iter().map(|(t, c)| (x(*t), y(*c))).collect();
                let end = coords.last().copied().unwrap_or((LEFT, TOP + PLOT_H));
                Series {
                    phase: phase.to_owned(),
                    latest: pts.last().map_or(0, |p| p.1),
                    points: coords
                        .iter()
                        .map(|(a, b)| format!("{a},{b}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    color: PALETTE[i % PALETTE.len()],
                    dash: if i >= 4 { "6 3" } else { "" },
                    end,
                    label_y: end.1 + 4,
                }
            })
            .collect();
        let ys = series.iter().map(|s| s.label_y).enumerate().collect();
        for (i, y) in spread(ys) {
            series[i].label_y = y;
        }
        let (first, last) = (zone.moment(first), zone.moment(last));
        let description = format!(
            "{} snapshots from {} to {}. Latest: {}",
            times.len(),
            first.exact,
            last.exact,
            series
                .iter()
                .map(|s| format!("{}: {}", s.phase, s.latest))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Some(Trend {
            series,
            width: WIDTH,
            height: HEIGHT,
            left: LEFT,
            right: LEFT + PLOT_W,
            top: TOP,
            bottom: TOP + PLOT_H,
            label_x: LABEL_X,
            max,
            first,
            last,
            snapshots: times.len(),
            description,
        })
    }
}

impl TrendCard {
    /// The card for `rows`: the chart from two snapshots on, otherwise when it will start.
    pub fn new(
        rows: &[SnapshotRow],
        order: &[String],
        zone: &Zone,
        every: Option<Duration>,
    ) -> Self {
        if let Some(chart) = Trend::new(rows, order, zone) {
            return Self::Chart(Box::new(chart));
        }
        let note = match (rows.iter().map(|r| r.taken_at).max(), every) {
            (Some(taken), Some(every)) => format!(
                "One snapshot so far, taken {}. The line appears with the next one, due about {}.",
                zone.moment(taken).exact,
                zone.moment(taken + every.as_secs() as i64).exact
            ),
            (Some(taken), None) => format!(
                "One snapshot, taken {}; scheduled snapshots are now off \
                 (FV_SNAPSHOT_MINUTES=0), so no line can be drawn.",
                zone.moment(taken).exact
            ),
            (None, every) => format!(
                "No snapshot of this organization yet. {}",
                first_snapshot_note(every)
            ),
        };
        Self::Note(note)
    }
}

/// The trend card of the recorded snapshots of org `org_id` of `environment`, lines in
/// `order`; `None` (no card) when the database fails: that only hides it.
pub async fn of_org(
    state: &crate::state::AppState,
    (environment, org_id): (&str, i64),
    order: &[String],
) -> Option<TrendCard> {
    let since = state.clock.now_unix() - WINDOW_SECS;
    let settings = &state.settings;
    let default = state.environments.default_env().name == environment;
    let rows = state
        .db
        .snapshots_since((environment, default), org_id, since);
    match rows.await {
        Ok(rows) => Some(TrendCard::new(
            &rows,
            order,
            &settings.time_zone,
            settings.service_account.snapshot_every,
        )),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the reporting snapshots");
            None
        }
    }
}

#[cfg(test)]
#[path = "trend_tests.rs"]
mod tests;
