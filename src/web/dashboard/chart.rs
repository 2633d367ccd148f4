//! The summary's bar chart, drawn on the server: positions computed here, markup in the
//! template, no script and no `style=` (the CSP forbids inline styles; SVG attributes and
//! classes are fine). Each bar links to the dashboard filtered to its phase.

use super::query::DashQuery;
use crate::projects::summary::Summary;

/// One bar of the chart, positioned in the SVG's user units.
pub struct Bar {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
    pub y: u32,
    pub text_y: u32,
    pub width: u32,
    pub count_x: u32,
}

/// The server-drawn bar chart: positions computed here, markup in the template, no script and
/// no `style=` (the CSP forbids inline styles; SVG attributes and classes are fine).
pub struct Chart {
    pub bars: Vec<Bar>,
    pub height: u32,
    pub width: u32,
    pub label_x: u32,
    pub bar_x: u32,
    pub bar_h: u32,
    pub description: String,
}

const ROW: u32 = 30;
const BAR_H: u32 = 20;
const LABEL_W: u32 = 140;
const BAR_MAX: u32 = 420;

impl Chart {
    /// The chart of `summary`, each bar a link filtering `view` to that phase.
    pub fn new(summary: &Summary, view: &DashQuery) -> Self {
        let max = summary.phases.iter().map(|p| p.1).max().unwrap_or(0).max(1);
        let bars: Vec<Bar> = summary
            .phases
            .iter()
            .enumerate()
            .map(|(i, (label, count))| {
                let width = ((*count as f64 / max as f64) * BAR_MAX as f64).round() as u32;
                let width = if *count > 0 { width.max(2) } else { 0 };
                let y = i as u32 * ROW + 5;
                Bar {
                    label: label.clone(),
                    count: *count,
                    href: view.phase_href(if view.filters.phase == *label {
                        ""
                    } else {
                        label
                    }),
                    selected: view.filters.phase == *label,
                    y,
                    text_y: y + 15,
                    width,
                    count_x: LABEL_W + width + 8,
                }
            })
            .collect();
        let description = summary
            .phases
            .iter()
            .map(|(p, c)| format!("{p}: {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        Chart {
            height: bars.len() as u32 * ROW + 10,
            width: LABEL_W + BAR_MAX + 70,
            label_x: LABEL_W - 10,
            bar_x: LABEL_W,
            bar_h: BAR_H,
            bars,
            description,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_and_link_to_their_phase() {
        let s = Summary {
            total: 4,
            phases: vec![("Intake".into(), 3), ("Settled".into(), 1)],
            partial: false,
        };
        let chart = Chart::new(&s, &DashQuery::default());
        assert_eq!(chart.bars[0].width, BAR_MAX);
        assert_eq!(chart.bars[1].width, BAR_MAX / 3);
        assert_eq!(chart.bars[1].href, "/projects?phase=Settled");
        assert_eq!(chart.description, "Intake: 3, Settled: 1");
        // The selected phase's bar links back to all phases.
        let mut view = DashQuery::default();
        view.filters.phase = "Intake".into();
        let chart = Chart::new(&s, &view);
        assert!(chart.bars[0].selected && !chart.bars[1].selected);
        assert_eq!(chart.bars[0].href, "/projects");
    }
}
