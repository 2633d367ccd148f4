//! Gateway errors, typed by what the user or operator should do about them.

use std::time::Duration;

/// A failed gateway call.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("401 Unauthorized: the access token was refused")]
    Unauthorized,
    #[error("403 Forbidden: {0}")]
    Forbidden(String),
    #[error("404 Not Found")]
    NotFound,
    #[error("429 Too Many Requests")]
    RateLimited { retry_after: Option<Duration> },
    #[error("gateway error {status}: {message}")]
    Server { status: u16, message: String },
    #[error("unexpected status {status}: {message}")]
    Status { status: u16, message: String },
    #[error("gateway did not answer in time")]
    Timeout,
    #[error("could not reach the gateway: {0}")]
    Network(String),
    #[error("unreadable gateway response: {0}")]
    Decode(String),
}

impl GatewayError {
    /// What the person at the browser should read: what happened and what to do.
    pub fn user_message(&self) -> (&'static str, String) {
        match self {
            GatewayError::Unauthorized => ("Your Filevine sign-in has expired", "Sign in again to continue.".into()),
            GatewayError::Forbidden(m) => ("Filevine refused this request", format!("{m}. Ask your Filevine administrator to check that this app's client has the `fv.api.gateway.access` and `filevine.v2.api.*` scopes and that your user may see this organization.")),
            GatewayError::NotFound => ("Not found", "Filevine has no such item in this organization, or you may not see it.".into()),
            GatewayError::RateLimited { .. } => ("Filevine is rate-limiting this app", "Too many calls in a minute. Wait a moment and try again.".into()),
            GatewayError::Server { status, .. } => ("Filevine's API had a problem", format!("The gateway answered {status}. This can mean the user lacks org-admin rights or is not on every project. Try again later.")),
            GatewayError::Status { status, .. } => ("Filevine's API answered unexpectedly", format!("The gateway answered {status}. Try again; the details are in the app's log.")),
            GatewayError::Timeout | GatewayError::Network(_) => ("Filevine's API did not answer", "Check the network or FV_GATEWAY_URL, then try again.".into()),
            GatewayError::Decode(_) => ("Filevine's API answered something we could not read", "The details are in the app's log.".into()),
        }
    }
}
