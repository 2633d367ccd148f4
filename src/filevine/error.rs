//! Gateway errors, typed by what the user or operator should do about them.

use std::time::Duration;

/// A failed gateway call.
#[derive(Clone, Debug, thiserror::Error)]
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
    /// The pages of a list do not add up (a short page that says `hasMore`, a page that
    /// repeats the previous one): a walk over them stops instead of looping.
    #[error("the gateway's paging is inconsistent: {0}")]
    Paging(String),
}

/// What a 403 most likely means, from the gateway's message: a missing scope, an org the user
/// is not in, or (the usual cause when the message says nothing) the client's scope list.
fn forbidden_hint(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    let what = message.trim().trim_end_matches('.');
    if m.contains("user-agent") {
        format!("{what}. The app must send a User-Agent header; this is a bug in the app, tell your administrator.")
    } else if m.contains("member of org") || m.contains("organization") || m.contains("x-fv-userid")
    {
        format!("{what}. Your Filevine user may not see this organization: pick another organization at the top of the page, or ask your Filevine administrator to add you.")
    } else if m.contains("webhook") {
        format!("{what}. The likely missing scope is `filevine.v2.webhooks`: ask your Filevine administrator to add it to this app's client, then sign in again.")
    } else {
        format!("{what}. The likely missing scope is `fv.api.gateway.access` (and `filevine.v2.api.*` for project data): ask your Filevine administrator to add it to this app's client (FV_SCOPES), then sign in again. An IP firewall on the Filevine side can also refuse calls.")
    }
}

impl GatewayError {
    /// What the person at the browser should read: what happened and what to do.
    pub fn user_message(&self) -> (&'static str, String) {
        match self {
            GatewayError::Unauthorized => ("Your Filevine sign-in has expired", "Sign in again to continue.".into()),
            GatewayError::Forbidden(m) => ("Filevine refused this request", forbidden_hint(m)),
            GatewayError::NotFound => ("Not found", "Filevine has no such item in this organization, or you may not see it.".into()),
            GatewayError::RateLimited { .. } => ("Filevine is rate-limiting this app", "Too many calls in a minute. Wait a moment and try again.".into()),
            GatewayError::Server { status, .. } => ("Filevine's API had a problem", format!("The gateway answered {status}. This can mean the user lacks org-admin rights or is not on every project. Try again later.")),
            GatewayError::Status { status, .. } => ("Filevine's API answered unexpectedly", format!("The gateway answered {status}. Try again; the details are in the app's log.")),
            GatewayError::Timeout | GatewayError::Network(_) => ("Filevine's API did not answer", "Check the network or FV_GATEWAY_URL, then try again.".into()),
            GatewayError::Decode(_) => ("Filevine's API answered something we could not read", "The details are in the app's log.".into()),
            GatewayError::Paging(m) => ("Filevine's project list did not add up", format!("The list stopped rather than loop or repeat projects ({m}). Try again later; the details are in the app's log.")),
        }
    }
}
