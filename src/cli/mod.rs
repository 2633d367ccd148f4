//! The commands besides serving (`check`, `pat verify`, `projects export`, `connections list`
//! and `check`, and with the `demo` feature `fake-filevine`), one file each. They share the
//! configuration loading (`settings`) and the choice of a connection (`connections`), and
//! depend on nothing of each other otherwise.

pub mod check;
pub mod connections;
#[cfg(feature = "demo")]
pub mod fake;
pub mod health;
pub mod pat;
pub mod projects;
pub mod settings;
