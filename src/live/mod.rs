//! Live data from Filevine webhooks: the receiver of deliveries ([`receiver`], behind
//! `POST /webhooks/filevine`), their body ([`delivery`]), the durable inbox they are stored in
//! before the sender is answered ([`crate::store`]'s `fv_webhook_inbox`), the [`worker`] that
//! applies them exactly once, and what applying does: the org's cached figures are dropped and
//! its open dashboards are told ([`hub`]), on every replica ([`fanout`]).
//!
//! Below `projects` and `web`: the caches register here as [`hub::OrgCache`]s, and the web
//! layer's `GET /projects/live` subscribes to the [`hub::LiveHub`].

pub mod delivery;
pub mod fanout;
pub mod hub;
pub mod receiver;
pub mod stream;
pub mod worker;

pub use hub::{Change, LiveHub, OrgCache};
