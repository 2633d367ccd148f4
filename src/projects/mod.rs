//! The projects domain, below the web and the command line and above the gateway client:
//! which projects ([`filters`]), how many per phase ([`summary`]: the scan and its cache),
//! and every project as CSV or JSON ([`export`]). Nothing here knows about HTTP requests,
//! sessions or pages; the dashboard, `projects export` and the scheduled snapshots all use it.

pub mod ahead;
pub mod export;
pub mod filters;
pub mod summary;

pub use filters::ProjectFilters;
pub use summary::{Summary, SummaryCache, SummaryKey};
