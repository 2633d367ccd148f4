//! The summary's bar chart: one bar per phase ([`BarChart`], the app's one chart builder),
//! each a link to the dashboard filtered to its phase, the selected one back to all phases.

use super::query::DashQuery;
use crate::{projects::summary::Summary, util::numbers::grouped, web::chart::BarChart};

/// The chart of `summary`, each bar a link filtering `view` to that phase.
pub fn phase_chart(summary: &Summary, view: &DashQuery) -> BarChart {
    let values: Vec<_> = summary
        .phases
        .iter()
        .map(|(phase, count)| (phase.clone(), *count, grouped(count)))
        .collect();
    let selected = &view.filters.phase;
    BarChart::new("chart", "Projects per phase", &values).linked(|phase| {
        let to = if selected == phase { "" } else { phase };
        (view.phase_href(to), selected == phase)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_link_to_their_phase_and_the_selected_one_back() {
        let s = Summary {
            total: 4,
            phases: vec![("Intake".into(), 3000), ("Settled".into(), 1)],
            partial: false,
        };
        let chart = phase_chart(&s, &DashQuery::default());
        assert!(chart.bars[0].width > chart.bars[1].width);
        assert_eq!(
            chart.bars[1].href.as_deref(),
            Some("/projects?phase=Settled")
        );
        assert_eq!(chart.description, "Intake: 3,000, Settled: 1");
        let mut view = DashQuery::default();
        view.filters.phase = "Intake".into();
        let chart = phase_chart(&s, &view);
        assert!(chart.bars[0].selected && !chart.bars[1].selected);
        assert_eq!(chart.bars[0].href.as_deref(), Some("/projects"));
    }
}
