//! The Filevine API gateway: client, response models and typed errors.

pub mod client;
pub mod error;
pub mod models;

pub use client::{Gateway, HttpGateway, OrgContext};
pub use error::GatewayError;
