//! The reports page: the figures of [`crate::projects::report`], each chart with its table.

use askama::Template;
use askama_web::WebTemplate;

use super::query::ReportQuery;
use crate::web::chart::BarChart;
use crate::{
    projects::report::{Report, STALE_BANDS},
    util::dates::{Shown, Zone},
    web::templates::Chrome,
};

/// `GET /reports`.
#[derive(Template, WebTemplate)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub chrome: Chrome,
    pub org_name: String,
    pub view: ReportQuery,
    pub report: Report,
    /// `(label, count, link to those matters on the dashboard)` of the stale bands.
    pub stale_rows: Vec<(&'static str, u64, String)>,
    pub stale_chart: BarChart,
    pub phase_chart: BarChart,
    pub month_chart: BarChart,
    pub type_chart: BarChart,
    pub clear_href: String,
    /// The day counted to, the stalest matters' last activity and the months, as every page
    /// writes dates (the report itself keeps ISO `yyyy-mm-dd` / `yyyy-mm` for JSON).
    pub as_of: Shown,
    pub stalest_days: Vec<Shown>,
    pub months: Vec<Shown>,
}

impl ReportsPage {
    /// The page of `report` for `view`.
    pub fn new(
        chrome: Chrome,
        org_name: String,
        view: ReportQuery,
        report: Report,
        zone: &Zone,
    ) -> Self {
        let months: Vec<Shown> = report.months.iter().map(|m| zone.month(&m.month)).collect();
        let day = time::macros::format_description!("[year]-[month]-[day]");
        let today = time::Date::parse(&report.as_of, day).ok();
        let ranges = [(30, Some(59)), (60, Some(89)), (90, None)];
        let stale_rows: Vec<(&'static str, u64, String)> = STALE_BANDS
            .iter()
            .zip(report.stale)
            .zip(ranges)
            .map(|((label, count), (lo, hi))| {
                let href = today.map_or_else(String::new, |t| view.band_href(t, lo, hi));
                (*label, count, href)
            })
            .collect();
        let stale_chart = BarChart::new(
            "stale",
            "Matters without activity",
            &stale_rows
                .iter()
                .map(|(l, c, _)| ((*l).to_owned(), *c, c.to_string()))
                .collect::<Vec<_>>(),
        );
        let phase_chart = BarChart::new(
            "phase",
            "Median days in current phase",
            &report
                .phases
                .iter()
                .map(|p| {
                    let shown = format!("{} d (90%: {} d)", p.median_days, p.p90_days);
                    (p.phase.clone(), p.median_days.max(0) as u64, shown)
                })
                .collect::<Vec<_>>(),
        );
        let month_chart = BarChart::new(
            "month",
            "New matters per month",
            &report
                .months
                .iter()
                .zip(&months)
                .map(|(m, shown)| (shown.text.clone(), m.count, m.count.to_string()))
                .collect::<Vec<_>>(),
        );
        let type_chart = BarChart::new(
            "type",
            "Matters per project type",
            &report
                .types
                .iter()
                .map(|t| (t.name.clone(), t.count, t.count.to_string()))
                .collect::<Vec<_>>(),
        );
        Self {
            as_of: zone.calendar(&report.as_of),
            stalest_days: report
                .stalest
                .iter()
                .map(|s| zone.calendar(&s.last_activity))
                .collect(),
            months,
            chrome,
            org_name,
            clear_href: "/reports".to_owned(),
            view,
            report,
            stale_rows,
            stale_chart,
            phase_chart,
            month_chart,
            type_chart,
        }
    }
}
