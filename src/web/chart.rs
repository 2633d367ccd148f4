//! The app's one bar-chart builder: horizontal bars drawn on the server, positions computed
//! here, markup in the templates (`summary_section.html`, `report_chart.html`), no script and
//! no `style=` (the CSP forbids both; SVG attributes and classes are fine). The dashboard's
//! phases and the reports' figures are drawn by it alike; every chart has its numbers in text
//! beside it too, so nothing depends on the drawing.

/// One bar, in the SVG's user units.
pub struct Bar {
    pub label: String,
    /// The number printed after the bar.
    pub value: String,
    /// Where the bar leads (the dashboard filtered to it), if anywhere.
    pub href: Option<String>,
    /// The bar of the filter in force.
    pub selected: bool,
    pub y: u32,
    pub text_y: u32,
    pub width: u32,
    pub value_x: u32,
}

/// A horizontal bar chart.
pub struct BarChart {
    /// The `id` prefix of its `<title>` and `<desc>` (unique on the page).
    pub id: &'static str,
    pub title: String,
    pub description: String,
    pub bars: Vec<Bar>,
    pub width: u32,
    pub height: u32,
    pub label_x: u32,
    pub bar_x: u32,
    pub bar_h: u32,
}

const ROW: u32 = 26;
const BAR_H: u32 = 18;
const LABEL_W: u32 = 190;
const BAR_MAX: u32 = 400;

impl BarChart {
    /// Bars proportional to `values` (`(label, value, printed value)`), the largest full width.
    pub fn new(id: &'static str, title: &str, values: &[(String, u64, String)]) -> Self {
        let max = values.iter().map(|v| v.1).max().unwrap_or(0).max(1);
        let bars = values
            .iter()
            .enumerate()
            .map(|(i, (label, value, shown))| {
                let width = ((*value as f64 / max as f64) * f64::from(BAR_MAX)).round() as u32;
                let width = if *value > 0 { width.max(2) } else { 0 };
                let y = i as u32 * ROW + 5;
                Bar {
                    label: label.clone(),
                    value: shown.clone(),
                    href: None,
                    selected: false,
                    y,
                    text_y: y + 14,
                    width,
                    value_x: LABEL_W + width + 8,
                }
            })
            .collect::<Vec<_>>();
        let longest = values
            .iter()
            .map(|v| v.2.chars().count() as u32)
            .max()
            .unwrap_or(0);
        let description = values
            .iter()
            .map(|(l, _, s)| format!("{l}: {s}"))
            .collect::<Vec<_>>()
            .join(", ");
        BarChart {
            id,
            title: title.to_owned(),
            description,
            height: bars.len() as u32 * ROW + 10,
            // Room after the longest bar for its printed value (about 9 units a character).
            width: LABEL_W + BAR_MAX + 24 + 9 * longest.max(6),
            label_x: LABEL_W - 10,
            bar_x: LABEL_W,
            bar_h: BAR_H,
            bars,
        }
    }

    /// Each bar a link: `link(label)` says where to and whether it is the one selected.
    pub fn linked(mut self, link: impl Fn(&str) -> (String, bool)) -> Self {
        for bar in &mut self.bars {
            let (href, selected) = link(&bar.label);
            bar.href = Some(href);
            bar.selected = selected;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_and_described() {
        let c = BarChart::new(
            "stale",
            "Stale",
            &[
                ("30-59 days".into(), 4, "4".into()),
                ("90+ days".into(), 1, "1".into()),
                ("60-89 days".into(), 0, "0".into()),
            ],
        );
        assert_eq!(c.bars[0].width, BAR_MAX);
        assert_eq!(c.bars[1].width, BAR_MAX / 4);
        assert_eq!(c.bars[2].width, 0);
        assert!(c.bars.iter().all(|b| b.href.is_none()));
        assert_eq!(c.description, "30-59 days: 4, 90+ days: 1, 60-89 days: 0");
        let c = c.linked(|l| (format!("/x?b={l}"), l == "90+ days"));
        assert_eq!(c.bars[1].href.as_deref(), Some("/x?b=90+ days"));
        assert!(c.bars[1].selected && !c.bars[0].selected);
    }
}
