//! Page structs of the dashboard (askama escapes every value, so a project named
//! `<script>` is text, never markup).

use askama::Template;
use askama_web::WebTemplate;

use super::{
    query::{DashQuery, PER_PAGE_CHOICES},
    sorting::{self, COLUMNS},
    trend::TrendCard,
};
use crate::{
    filevine::{Project, ProjectId},
    util::dates::{Shown, Zone},
    web::templates::Chrome,
};

/// Only http(s) links to Filevine are rendered: a `javascript:` URL from upstream must not
/// become a clickable link.
pub fn safe_link(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .and_then(|s| url::Url::parse(s).ok())
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .map(|u| u.to_string())
}

/// One table row.
pub struct Row {
    pub id: String,
    pub name: String,
    pub client: String,
    pub phase: String,
    pub created: Shown,
    pub last_activity: Shown,
    pub number: String,
    pub archived: bool,
    pub url: Option<String>,
}

impl Row {
    /// Moves the strings out of the parsed project (no copies: a page of 50 rows used to
    /// clone every cell); dates are shown in `zone`.
    pub fn new(p: Project, zone: &Zone) -> Self {
        Row {
            id: p.project_id.map(|i| i.to_string()).unwrap_or_default(),
            name: p
                .project_name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "(untitled project)".into()),
            client: p.client_name.unwrap_or_default(),
            phase: p.phase_name.unwrap_or_default(),
            created: zone.day(p.created_date.as_deref()),
            last_activity: zone.day(p.last_activity.as_deref()),
            number: p.number.unwrap_or_default(),
            archived: p.is_archived == Some(true),
            url: safe_link(&p.project_url),
        }
    }
}

/// A sortable column heading.
pub struct Column {
    pub label: &'static str,
    pub href: String,
    /// `ascending` / `descending` / `none` for `aria-sort`.
    pub aria_sort: &'static str,
    pub arrow: &'static str,
    /// A tooltip, where the heading sorts by something else than its text says.
    pub hint: &'static str,
}

/// The counts above the table.
pub struct SummaryView {
    /// Projects matching every filter, phase included.
    pub matching: u64,
    /// Projects matching search and archived filters, all phases.
    pub total: u64,
    pub partial: bool,
    pub chart: crate::web::chart::BarChart,
}

/// `GET /projects`.
#[derive(Template, WebTemplate)]
#[template(path = "projects.html")]
pub struct ProjectsPage {
    pub chrome: Chrome,
    pub org_name: String,
    pub view: DashQuery,
    pub rows: Vec<Row>,
    pub columns: Vec<Column>,
    pub phases: Vec<String>,
    pub summary: Option<SummaryView>,
    pub summary_error: Option<String>,
    /// The summary is still being counted: `summary.js` fetches it from `summary_src`;
    /// without scripts, `here_href` reloads this view.
    pub summary_pending: bool,
    pub summary_src: String,
    pub here_href: String,
    /// Projects per phase over time, from the scheduled snapshots (none recorded: `None`).
    /// Only for those who may see org-wide data; `None` for everyone else, and when the
    /// snapshots cannot be read.
    pub trend: Option<TrendCard>,
    /// `(title, what to do)` when the list call failed.
    pub error: Option<(String, String)>,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    /// The number of pages, when the summary knows the total exactly.
    pub last_page: Option<u32>,
    /// "sorted by Last activity, newest first".
    pub sort_text: String,
    /// The "Sort by" menu: `(value, text)`, and the current value.
    pub sort_choices: Vec<(String, String)>,
    pub sort_value: String,
    pub first_row: u64,
    pub last_row: u64,
    pub per_page_choices: Vec<u32>,
    pub csv_href: String,
    pub json_href: String,
    pub clear_href: String,
    /// `?` plus this view's query (or nothing), carried into each project's link so its
    /// "All projects" returns to this very view.
    pub detail_query: String,
}

impl ProjectsPage {
    /// An empty page for `view` (rows, summary and error are filled in by the handler).
    pub fn new(chrome: Chrome, org_name: String, view: DashQuery) -> Self {
        let columns = COLUMNS
            .iter()
            .map(|(label, field)| {
                let active = view.sort == *field;
                let asc = view.order == crate::filevine::SortOrder::Asc;
                Column {
                    label,
                    href: view.sort_href(*field),
                    aria_sort: match (active, asc) {
                        (false, _) => "none",
                        (true, true) => "ascending",
                        (true, false) => "descending",
                    },
                    arrow: match (active, asc) {
                        (false, _) => "",
                        (true, true) => "▲",
                        (true, false) => "▼",
                    },
                    hint: match field {
                        crate::filevine::SortField::ProjectId => {
                            "Sorts by project ID, the order matters were opened in \
                             (Filevine cannot sort by number)"
                        }
                        _ => "",
                    },
                }
            })
            .collect();
        ProjectsPage {
            chrome,
            org_name,
            columns,
            rows: Vec::new(),
            phases: Vec::new(),
            summary: None,
            summary_error: None,
            summary_pending: false,
            summary_src: view.href_at("/projects/summary"),
            here_href: view.href_at("/projects"),
            trend: None,
            error: None,
            prev_href: None,
            next_href: None,
            last_page: None,
            sort_text: format!(
                "sorted by {}, {}",
                sorting::label(view.sort),
                sorting::order_label(view.sort, view.order)
            ),
            sort_choices: sorting::choices(),
            sort_value: format!("{}:{}", view.sort.as_str(), view.order.as_str()),
            first_row: 0,
            last_row: 0,
            per_page_choices: PER_PAGE_CHOICES.to_vec(),
            csv_href: view.export_href("csv"),
            json_href: view.export_href("json"),
            clear_href: "/projects".into(),
            detail_query: match view.query_string() {
                qs if qs.is_empty() => qs,
                qs => format!("?{qs}"),
            },
            view,
        }
    }

    /// The rows of this page; paging links follow `has_more`.
    pub fn set_rows(&mut self, rows: Vec<Row>, has_more: bool) {
        let offset = u64::from(self.view.page - 1) * u64::from(self.view.per_page);
        self.first_row = if rows.is_empty() { 0 } else { offset + 1 };
        self.last_row = offset + rows.len() as u64;
        self.prev_href = (self.view.page > 1).then(|| self.view.page_href(self.view.page - 1));
        self.next_href = has_more.then(|| self.view.page_href(self.view.page + 1));
        self.rows = rows;
    }

    /// The summary's exact count of matching projects gives the pager its last page.
    pub fn set_total(&mut self, matching: u64, partial: bool) {
        if partial {
            return;
        }
        let pages = matching.div_ceil(u64::from(self.view.per_page)).max(1);
        self.last_page = Some(u32::try_from(pages).unwrap_or(u32::MAX));
    }

    /// The last page's link, unless this is it.
    pub fn last_href(&self) -> Option<String> {
        self.last_page
            .filter(|n| *n > self.view.page)
            .map(|n| self.view.page_href(n))
    }

    /// The fields the page-jump form carries besides `page`.
    pub fn jump_fields(&self) -> Vec<(String, String)> {
        self.view.fields_except_page()
    }

    /// Whether `value` is the current "Sort by" choice.
    pub fn is_sort(&self, value: &str) -> bool {
        self.sort_value == value
    }

    /// Whether `phase` is the selected filter (for the select's `selected`).
    pub fn is_phase(&self, phase: &str) -> bool {
        self.view.filters.phase == phase
    }

    /// Whether `n` is the page size (for the select's `selected`).
    pub fn is_per_page(&self, n: &u32) -> bool {
        self.view.per_page == *n
    }

    /// The first page of this view (the empty state's "back to page 1").
    pub fn first_page_href(&self) -> String {
        self.view.page_href(1)
    }
}

/// `GET /projects/{id}`.
#[derive(Template, WebTemplate)]
#[template(path = "project.html")]
pub struct ProjectPageView {
    pub chrome: Chrome,
    pub id: ProjectId,
    pub name: String,
    /// `(label, value)`; dates carry their exact value (`datetime` non-empty).
    pub facts: Vec<(&'static str, Shown)>,
    pub hashtags: Vec<String>,
    pub description: String,
    pub url: Option<String>,
    /// The dashboard view the user came from (filters, sort and page kept).
    pub back_href: String,
}

impl ProjectPageView {
    /// The page of `project`; "All projects" goes back to `from`.
    pub fn new(chrome: Chrome, id: ProjectId, p: Project, from: &DashQuery, zone: &Zone) -> Self {
        let row = Row::new(p.clone(), zone);
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let text = |t: String| Shown {
            text: t,
            ..Shown::default()
        };
        let facts = vec![
            ("Client", text(row.client.clone())),
            ("Number", text(row.number.clone())),
            ("Phase", text(row.phase.clone())),
            ("In phase since", zone.day(p.phase_date.as_deref())),
            ("Created", row.created.clone()),
            ("Incident date", zone.day(p.incident_date.as_deref())),
            ("Last activity", row.last_activity.clone()),
            ("Primary", text(opt(&p.first_primary_name))),
            (
                "Archived",
                text(if row.archived { "Yes" } else { "No" }.to_owned()),
            ),
            ("Project ID", text(id.to_string())),
        ]
        .into_iter()
        .filter(|(_, v)| !v.text.is_empty())
        .collect();
        ProjectPageView {
            chrome,
            id,
            name: row.name,
            facts,
            hashtags: p.hashtags.clone(),
            description: opt(&p.description),
            url: row.url,
            back_href: from.href_at("/projects"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_tamed() {
        assert_eq!(safe_link(&Some("javascript:alert(1)".into())), None);
        assert!(safe_link(&Some("https://app.filevine.com/#/project/1".into())).is_some());
    }
}
