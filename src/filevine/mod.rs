//! The Filevine API gateway: client, response models and typed errors.

pub mod authed;
pub mod client;
pub mod error;
pub mod fair_share;
mod lenient;
pub mod models;
pub mod projects;
pub mod query;
pub mod retry;
pub mod walk;
pub mod webhooks;

pub use authed::{AuthedError, AuthedGateway, PageFetcher, TokenSource};
pub use client::{Gateway, HttpGateway, OrgContext};
pub use error::GatewayError;
pub use projects::{OrgId, Project, ProjectId, ProjectPage, ProjectQuery, SortField, SortOrder};
pub use retry::RetryPolicy;

#[cfg(test)]
mod contract_tests;
