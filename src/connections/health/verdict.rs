//! What a check found, in plain words: [`Health`] and the [`Verdict`] made from a failure,
//! each with what to do. Nothing here holds a secret: the words come from fixed text, the
//! connection's name and email, and error messages that never carry a token.

use super::super::{AuthKind, Connection, SourceError};
use crate::{
    auth::{RefreshError, VaultError},
    filevine::{AuthedError, GatewayError},
    service_account::PatError,
};

/// A connection's health.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Health {
    /// The last check got a token and an answer from the gateway.
    Ok,
    /// A passing trouble (timeouts, 5xx, 429, the provider unreachable): it recovers by
    /// itself, so nobody is alerted.
    Degraded,
    /// Filevine refuses the connection's credentials: someone must act.
    Broken,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Degraded => "degraded",
            Health::Broken => "broken",
        }
    }

    /// `None` for `untested` and anything unknown.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "ok" => Some(Health::Ok),
            "degraded" => Some(Health::Degraded),
            "broken" => Some(Health::Broken),
            _ => None,
        }
    }
}

/// A check's result: the health and the reason, with what to do, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub health: Health,
    pub reason: String,
}

impl Verdict {
    pub fn ok() -> Self {
        Self {
            health: Health::Ok,
            reason: "Filevine accepted the connection's credentials and answered.".into(),
        }
    }

    pub fn degraded(reason: impl Into<String>) -> Self {
        Self {
            health: Health::Degraded,
            reason: reason.into(),
        }
    }

    pub fn broken(reason: impl Into<String>) -> Self {
        Self {
            health: Health::Broken,
            reason: reason.into(),
        }
    }

    /// The verdict of a failed check of `c`.
    pub fn of_failure(c: &Connection, e: &AuthedError<SourceError>) -> Self {
        match e {
            AuthedError::Token(SourceError::Pat(p)) => of_pat(c, p),
            AuthedError::Token(SourceError::Refresh(v)) => of_vault(c, v),
            AuthedError::Gateway(g) => of_gateway(g),
        }
    }

    /// A connection whose secret cannot be used at all.
    pub fn unusable(c: &Connection) -> Self {
        let what = match c.auth {
            AuthKind::Pat => "its PAT",
            AuthKind::RefreshToken => "the identity it was authorized as",
        };
        Self::broken(format!(
            "The connection's saved secret ({what}) cannot be decrypted with the current FV_SECRET_KEY, or it was never completed. {}",
            fix_of(c)
        ))
    }
}

/// "Create a new PAT for ... and paste it here", or "authorize again".
fn fix_of(c: &Connection) -> String {
    match (c.auth, c.read_only) {
        (AuthKind::Pat, true) => format!(
            "Create a new PAT for {} in Filevine, set it as FV_PAT and restart the app.",
            account(c)
        ),
        (AuthKind::Pat, false) => format!(
            "Create a new PAT for {} in Filevine and paste it on this connection's card (Verify, then Save).",
            account(c)
        ),
        (AuthKind::RefreshToken, _) => format!(
            "Press Save & authorize again on this connection's card and sign in as {}.",
            account(c)
        ),
    }
}

fn account(c: &Connection) -> &str {
    if c.email.is_empty() {
        "the service account"
    } else {
        &c.email
    }
}

fn of_pat(c: &Connection, e: &PatError) -> Verdict {
    match e {
        PatError::Rejected => Verdict::broken(format!(
            "The PAT was refused by Filevine (invalid_grant): it was revoked or expired, or its service account was disabled. {}",
            fix_of(c)
        )),
        PatError::Client(code) => Verdict::broken(format!(
            "Filevine refused this app's client credentials ({code}): the client secret may have expired (they do after a year by default). Ask Filevine for a new client secret, set FV_CLIENT_SECRET and restart the app."
        )),
        PatError::Scope(_) | PatError::MissingGatewayScope { .. } => {
            Verdict::broken(format!("{e}"))
        }
        PatError::Unavailable(_) | PatError::Protocol(_) => Verdict::degraded(format!(
            "{e} Checks go on; nothing to do unless it lasts."
        )),
    }
}

fn of_vault(c: &Connection, e: &VaultError) -> Verdict {
    match e {
        VaultError::Refresh(RefreshError::Unavailable(m)) => Verdict::degraded(format!(
            "Filevine's identity service could not be reached to refresh the token ({m}). Checks go on; nothing to do unless it lasts."
        )),
        VaultError::Db(db) => Verdict::degraded(format!(
            "The database did not answer ({db}). Checks go on."
        )),
        _ => Verdict::broken(format!(
            "Filevine refused the connection's refresh token ({e}): the user who authorized it signed out everywhere, lost access, or the grant was revoked. {}",
            fix_of(c)
        )),
    }
}

fn of_gateway(e: &GatewayError) -> Verdict {
    match e {
        GatewayError::Unauthorized => Verdict::broken(
            "Filevine's API refused the connection's token (401) even after a fresh one was obtained: the service account may have been disabled or lost access to its organization. Ask a Filevine Account Admin to check the service account, then save the connection again.",
        ),
        GatewayError::Forbidden(m) => Verdict::broken(format!(
            "Filevine's API refused the connection's requests (403: {m}). The client may lack the fv.api.gateway.access scope, an IP firewall may block this server, or the service account lost access to its organization. Ask a Filevine Account Admin to check."
        )),
        GatewayError::RateLimited { .. } => Verdict::degraded(
            "Filevine's API is limiting this app's calls (429 Too Many Requests). Checks go on; nothing to do unless it lasts.",
        ),
        GatewayError::Server { .. } | GatewayError::Timeout | GatewayError::Network(_) => {
            Verdict::degraded(format!(
                "Filevine's API did not answer properly ({e}). Checks go on; nothing to do unless it lasts."
            ))
        }
        _ => Verdict::degraded(format!(
            "Filevine's API answered unexpectedly ({e}). Checks go on; if it lasts, tell the app's maintainers."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::{ConnectionName, Status};

    fn pat_connection() -> Connection {
        Connection {
            id: "x".into(),
            name: ConnectionName::parse("reports").unwrap(),
            environment: "us".into(),
            auth: AuthKind::Pat,
            concurrency: 8,
            borrow_from: None,
            email: "reporting-bot@lovelace-law.example".into(),
            last4: "cdef".into(),
            verified_name: None,
            status: Status::Ok,
            last_success_at: None,
            last_error: None,
            last_error_at: None,
            updated_by: "ada".into(),
            read_only: false,
            has_secret: true,
        }
    }

    #[test]
    fn refusals_are_broken_with_what_to_do_and_outages_degraded() {
        let c = pat_connection();
        let refused = Verdict::of_failure(&c, &AuthedError::Token(PatError::Rejected.into()));
        assert_eq!(refused.health, Health::Broken);
        assert!(refused.reason.contains("The PAT was refused by Filevine"));
        assert!(refused
            .reason
            .contains("Create a new PAT for reporting-bot@lovelace-law.example"));
        let client = AuthedError::Token(PatError::Client("invalid_client".into()).into());
        assert_eq!(Verdict::of_failure(&c, &client).health, Health::Broken);
        for transient in [
            AuthedError::Token(PatError::Unavailable("503".into()).into()),
            AuthedError::Gateway(GatewayError::Timeout),
            AuthedError::Gateway(GatewayError::RateLimited { retry_after: None }),
            AuthedError::Gateway(GatewayError::Server {
                status: 503,
                message: "down".into(),
            }),
        ] {
            assert_eq!(Verdict::of_failure(&c, &transient).health, Health::Degraded);
        }
        for persistent in [
            AuthedError::Gateway(GatewayError::Unauthorized),
            AuthedError::Gateway(GatewayError::Forbidden("no".into())),
        ] {
            assert_eq!(Verdict::of_failure(&c, &persistent).health, Health::Broken);
        }
        let grant = AuthedError::Token(VaultError::Refresh(RefreshError::InvalidGrant).into());
        let mut rt = pat_connection();
        rt.auth = AuthKind::RefreshToken;
        let v = Verdict::of_failure(&rt, &grant);
        assert_eq!(v.health, Health::Broken);
        assert!(v.reason.contains("Save & authorize again"), "{}", v.reason);
    }
}
