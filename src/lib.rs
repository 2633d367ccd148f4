//! `fv-partner-app`: the reference "Login with Filevine" partner web app.
//!
//! The modules, in the order a request meets them (each layer imports only the ones below it):
//! - [`startup`]: composition. [`startup::Application`] resolves demo mode into final settings,
//!   wires the services into [`state::AppState`], binds (port 0 in tests) and serves;
//!   `startup::jobs` starts the background tasks.
//! - [`web`]: the router, edge layers (security headers, request log, limits), extractors
//!   (`SignedIn`, `UserApi`, `OrgGateway`) and thin handlers that extract, call one service
//!   and render an askama view. `web::error::AppError` is its one error type, mapped to
//!   friendly pages.
//! - [`projects`]: the projects domain: filters, the per-phase summary scan and its cache, the
//!   CSV/JSON export stream. Used by the dashboard, `projects export` and the snapshots.
//! - [`reporting`]: work done as the service account with nobody signed in: `projects export`
//!   and the scheduled per-phase snapshots.
//! - [`auth`]: the confidential OpenID Connect client (login, callback, logout, refresh), the
//!   typed session, the token vault and its refresh lease, who is admin (`auth::policy`), a
//!   session as a token source (`auth::SessionTokens`) and the profile's account view.
//! - [`connections`]: named connections, each acting through a PAT or a refresh token (whose
//!   tokens live in the token vault): store, rules, status, audit, and pools of concurrency
//!   leased in the database.
//! - [`service_account`]: the PAT exchange, token cache and verification.
//! - [`filevine`]: the API gateway client (trait + reqwest), models, typed errors, the
//!   `TokenSource` trait and `AuthedGateway` (the one 401 refresh-and-retry).
//! - [`store`]: SQLite/PostgreSQL: sessions, the token vault, the service-account connection,
//!   snapshots; one query text for both where the SQL agrees.
//! - [`crypto`]: AES-256-GCM for tokens and secrets at rest.
//! - [`config`]: typed settings in sections from `config.json`, `.env`, the environment and
//!   flags, validated once at start-up so a wrong value fails loudly naming the key.
//! - [`metrics`], [`telemetry`]: Prometheus metrics and secret-safe logging.
//! - [`healthcheck`]: the `healthcheck` command's probe.
//! - [`util`]: the ground floor: the app's [`util::Clock`] and `error_chain`.
//!
//! The command-line commands (`check`, `pat verify`, `projects export`, `connections list`,
//! `healthcheck`, `fake-filevine`) live in the binary (`src/main.rs` and `src/cli/`). The
//! stand-in for Filevine is the workspace crate `crates/fake-filevine`, used by demo mode
//! (`startup::demo`) and the tests only; it is compiled in only with the default `demo`
//! feature, so a production build (`--no-default-features`) ships no stand-in.

pub mod auth;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod filevine;
pub mod healthcheck;
pub mod live;
pub mod metrics;
pub mod projects;
pub mod reporting;
pub mod service_account;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod util;
pub mod web;
