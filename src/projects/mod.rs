//! The projects domain, below the web and the command line and above the gateway client:
//! which projects ([`filters`]), how many per phase ([`summary`]: the scan and its cache),
//! every project as CSV or JSON ([`export`]), and the reports' figures ([`report`], computed
//! from one cached scan: [`report_scan`]). Nothing here knows about HTTP requests,
//! sessions or pages; the dashboard, `projects export` and the scheduled snapshots all use it.

pub mod ahead;
pub mod export;
pub mod export_tally;
pub mod filters;
pub mod fresh_cache;
pub mod org_changes;
pub mod page_cache;
pub mod report;
pub mod report_scan;
pub mod summary;

pub use filters::{BadDate, DateFilters, ProjectFilters};
pub use summary::{Summary, SummaryCache, SummaryKey};
