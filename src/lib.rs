//! `fv-partner-app`: the reference "Login with Filevine" partner web app.
//!
//! The modules, in the order a request meets them:
//! - [`config`]: typed settings from `config.json`, `.env`, the environment and flags, validated
//!   once at start-up so a wrong value fails loudly instead of at the first login.
//! - [`startup`]: [`startup::Application`] builds the router, binds (port 0 in tests) and serves.
//! - [`web`]: thin handlers, one per page, rendering askama templates.
//! - [`auth`]: the confidential OpenID Connect client (login, callback, logout), the typed
//!   session and the token vault that keeps tokens encrypted server-side.
//! - [`filevine`]: the API gateway client.
//! - [`fake`]: the loopback-only stand-in for Filevine Identity and the gateway, used by the demo
//!   mode and the tests. It is never reachable from outside the machine.
//! - [`service_account`]: the PAT connection (bearer tokens minted from a service account's
//!   Personal Access Token) for work that must not depend on a login session.
//! - [`crypto`]: AES-256-GCM for tokens and secrets at rest.

pub mod auth;
pub mod config;
pub mod crypto;
pub mod error;
pub mod filevine;
pub mod healthcheck;
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
