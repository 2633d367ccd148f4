//! The service account's Personal Access Token: exchanged for short-lived bearer tokens, so
//! background work does not depend on anyone's login session.
//!
//! - [`token_source`]: [`PatTokenSource`] (cache, single flight, remembered refusals): what a
//!   PAT connection ([`crate::connections`]) serves its tokens from;
//! - [`client`]: [`PatClient`] (the exchange itself);
//! - [`verify`]: who a PAT acts as (for `pat verify` and the connections page).
//!
//! Which PATs exist (`FV_PAT`, the ones admins saved) is the connections' business.

pub mod client;
pub mod token_source;
pub mod verify;

pub use client::{effective_margin, PatClient};
pub use token_source::{PatError, PatToken, PatTokenSource, DEFAULT_PAT_SCOPES};
pub use verify::{same_email, verify, Verified, VerifyError};

/// Purpose string the old `/settings/integration` page sealed its PAT with: read once, when
/// that PAT moves into the connection `default` ([`crate::connections`]).
pub const PAT_PURPOSE: &str = "pat";
/// The row that old PAT was bound to: the one row of `fv_integration`.
pub const PAT_ROW: &[&str] = &["fv_integration/1"];

pub use crate::util::format_unix;
