//! The trend under the summary: projects per phase over time, from the service account's
//! scheduled snapshots ([`crate::reporting::snapshot`]). Drawn on the server as SVG (lines,
//! a legend and two time labels): no script, no `style=` (the CSP is `style-src 'self'`;
//! presentation attributes such as `stroke` are fine).

use std::collections::BTreeMap;

use crate::store::SnapshotRow;

/// How far back the trend looks.
pub const WINDOW_SECS: i64 = 30 * 24 * 3600;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 240;
const LEFT: u32 = 48;
const TOP: u32 = 12;
const PLOT_W: u32 = 420;
const PLOT_H: u32 = 190;
const LEGEND_X: u32 = LEFT + PLOT_W + 20;
const PALETTE: [&str; 8] = [
    "#0b6bcb", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#a16207", "#475569",
];

/// One phase's line.
pub struct Series {
    pub phase: String,
    pub latest: i64,
    /// SVG `points` of the polyline.
    pub points: String,
    /// Dots, for a snapshot taken only once.
    pub dots: Vec<(u32, u32)>,
    pub color: &'static str,
    pub legend_y: u32,
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
    pub legend_x: u32,
    pub max: i64,
    pub first_label: String,
    pub last_label: String,
    pub snapshots: usize,
    pub description: String,
}

fn stamp(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|d| {
            d.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

impl Trend {
    /// The trend of `rows` (one org, oldest first); `None` when there is no snapshot.
    pub fn new(rows: &[SnapshotRow]) -> Option<Self> {
        let first = rows.iter().map(|r| r.taken_at).min()?;
        let last = rows.iter().map(|r| r.taken_at).max()?;
        let max = rows.iter().map(|r| r.count).max().unwrap_or(0).max(1);
        let times: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.taken_at).collect();
        // Phases in the order of the newest snapshot's first appearance, then by name.
        let mut by_phase: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
        let mut order: Vec<&str> = Vec::new();
        for r in rows {
            if !by_phase.contains_key(r.phase.as_str()) {
                order.push(&r.phase);
            }
            by_phase
                .entry(&r.phase)
                .or_default()
                .push((r.taken_at, r.count));
        }
        let x = |t: i64| -> u32 {
            if last == first {
                LEFT + PLOT_W / 2
            } else {
                LEFT + ((t - first) as f64 / (last - first) as f64 * f64::from(PLOT_W)).round()
                    as u32
            }
        };
        let y = |c: i64| -> u32 {
            TOP + PLOT_H - (c.max(0) as f64 / max as f64 * f64::from(PLOT_H)).round() as u32
        };
        let series: Vec<Series> = order
            .iter()
            .enumerate()
            .map(|(i, phase)| {
                let pts = &by_phase[phase];
                let coords: Vec<(u32, u32)> = pts.iter().map(|(t, c)| (x(*t), y(*c))).collect();
                Series {
                    phase: (*phase).to_owned(),
                    latest: pts.last().map_or(0, |p| p.1),
                    points: coords
                        .iter()
                        .map(|(a, b)| format!("{a},{b}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    dots: if coords.len() == 1 {
                        coords
                    } else {
                        Vec::new()
                    },
                    color: PALETTE[i % PALETTE.len()],
                    legend_y: TOP + 8 + i as u32 * 18,
                }
            })
            .collect();
        let description = format!(
            "{} snapshots from {} to {}. Latest: {}",
            times.len(),
            stamp(first),
            stamp(last),
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
            legend_x: LEGEND_X,
            max,
            first_label: stamp(first),
            last_label: stamp(last),
            snapshots: times.len(),
            description,
        })
    }
}

/// The trend of the org's recorded snapshots, if any (a database error only hides it).
pub async fn of_org(state: &crate::state::AppState, org_id: i64) -> Option<Trend> {
    let since = state.clock.now_unix() - WINDOW_SECS;
    match state.db.snapshots_since(org_id, since).await {
        Ok(rows) => Trend::new(&rows),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the reporting snapshots");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: i64, phase: &str, count: i64) -> SnapshotRow {
        SnapshotRow {
            org_id: 1,
            taken_at: t,
            phase: phase.into(),
            count,
            connection: String::new(),
        }
    }

    #[test]
    fn lines_span_the_plot_and_scale_to_the_max() {
        assert!(Trend::new(&[]).is_none());
        let t = Trend::new(&[
            row(100, "Intake", 10),
            row(100, "Closed", 5),
            row(200, "Intake", 20),
            row(200, "Closed", 0),
        ])
        .unwrap();
        assert_eq!(t.snapshots, 2);
        assert_eq!(t.series.len(), 2);
        assert_eq!(t.series[0].phase, "Intake");
        assert_eq!(
            t.series[0].points,
            format!("{LEFT},{} {},{TOP}", TOP + PLOT_H / 2, LEFT + PLOT_W)
        );
        assert_eq!(t.series[1].latest, 0);
        assert!(t.series[0].dots.is_empty());
        let one = Trend::new(&[row(5, "Intake", 3)]).unwrap();
        assert_eq!(one.series[0].dots.len(), 1);
    }
}
