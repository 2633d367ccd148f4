//! Named connections: a credential for one Filevine environment that background work,
//! exports and the command line act through with nobody signed in.
//!
//! - this module: the model ([`ConnectionName`], [`AuthKind`], [`Status`], [`Connection`]);
//! - [`rules`]: what a valid connection is (the form's checks, shared by every path);
//! - [`service`]: [`ConnectionsService`]: reads, the live token sources, the gateway of a
//!   connection inside its pool;
//! - `edit`: verify, save, remove, each written to the audit log;
//! - `live`: start-up (with the one-time move of the old integration PAT into `default`),
//!   the sources kept in step with the rows on every replica, Test, and status;
//! - [`live_updates`]: a connection's Filevine webhook subscription (live updates on/off,
//!   reconciled at start and every hour);
//! - [`source`]: a connection as a token source (PAT, or the vault's refresh-token rows);
//! - [`pool`]: per-connection concurrency, leased in the database so every process counts;
//! - [`health`]: the scheduled checks (`ok`, `degraded`, `broken`), and [`alerts`] to the
//!   admins when one breaks, recovers or stays broken.
//!
//! `FV_PAT` appears as the read-only connection named [`ENV_CONNECTION`]; the PAT an admin
//! saved on the old `/settings/integration` page becomes the connection named
//! [`DEFAULT_CONNECTION`].

pub mod alerts;
mod edit;
pub mod health;
mod live;
mod live_calls;
pub mod live_updates;
pub mod pool;
pub mod rules;
pub mod service;
pub mod source;

use std::fmt;

pub use live::{status_of_gateway, status_of_pat, status_of_verify, ConnectionsConfig};
pub use pool::{PooledGateway, Pools};
pub use rules::{Draft, FormError};
pub use service::{
    ConnectionError, ConnectionsService, EnvironmentClients, SaveOutcome, TestOutcome,
    VerifiedDraft,
};
pub use source::{status_of_vault, ConnectionGateway, ConnectionSource, SourceError};

/// The read-only connection made from `FV_PAT`.
pub const ENV_CONNECTION: &str = "env";
/// The connection the old integration page's saved PAT moves into.
pub const DEFAULT_CONNECTION: &str = "default";
/// Concurrency of a connection when the form leaves it empty.
pub const DEFAULT_CONCURRENCY: u8 = 8;
/// The most concurrent calls one connection (or pool) may make: Filevine's limits are per
/// org, and more than this only earns 429s.
pub const MAX_CONCURRENCY: u8 = 25;
/// Purpose string connection secrets are sealed with (AES-GCM associated data).
pub const SECRET_PURPOSE: &str = "connection-secret";

/// The row parts a connection's sealed secret is bound to, so a secret copied into another
/// connection's row does not open there.
pub fn secret_row(name: &str) -> String {
    format!("fv_connections/{name}")
}

/// A connection's name: a slug (lower-case letters, digits, `-`; 1 to 40 characters,
/// starting with a letter or digit), so it is safe in URLs, command lines and logs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionName(String);

impl ConnectionName {
    /// Parses a slug; `None` when it is not one.
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim();
        let ok = (1..=40).contains(&s.len())
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a connection authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// A service account's Personal Access Token.
    Pat,
    /// A user authorized once; the server keeps their refresh token.
    RefreshToken,
}

impl AuthKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "pat" => Some(AuthKind::Pat),
            "refresh_token" => Some(AuthKind::RefreshToken),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Pat => "pat",
            AuthKind::RefreshToken => "refresh_token",
        }
    }
}

/// What the last use of a connection found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Saved, never used since.
    Untested,
    /// The last live check or call succeeded.
    Ok,
    /// The PAT or refresh token was refused: an admin must act.
    NeedsAuthorization,
    /// The provider or gateway was down; recovers by itself.
    Unreachable,
}

impl Status {
    pub fn parse(raw: &str) -> Self {
        match raw {
            "ok" => Status::Ok,
            "needs_authorization" => Status::NeedsAuthorization,
            "unreachable" => Status::Unreachable,
            _ => Status::Untested,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Untested => "untested",
            Status::Ok => "ok",
            Status::NeedsAuthorization => "needs_authorization",
            Status::Unreachable => "unreachable",
        }
    }
}

/// A connection as the page, the command line and the jobs see it. Holds no secret.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Its row's identity ([`crate::store::ConnectionRow::id`]); the `env` connection, which
    /// has no row, is [`ENV_CONNECTION`].
    pub id: String,
    pub name: ConnectionName,
    pub environment: String,
    pub auth: AuthKind,
    pub concurrency: u8,
    pub borrow_from: Option<ConnectionName>,
    pub email: String,
    /// Last four characters of the secret (empty when it is short or missing).
    pub last4: String,
    pub verified_name: Option<String>,
    pub status: Status,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub updated_by: String,
    /// `FV_PAT`: shown, tested, never changed here.
    pub read_only: bool,
    /// A secret is stored and opens with this key.
    pub has_secret: bool,
}

impl Connection {
    /// Whether an admin must act before background work can use it (its PAT was refused, or
    /// its secret no longer opens): jobs skip it, the page and `/readyz` say so.
    pub fn needs_authorization(&self) -> bool {
        self.status == Status::NeedsAuthorization || !self.has_secret
    }

    /// The pool this connection's calls count against: its lender's, or its own.
    pub fn pool(&self) -> &ConnectionName {
        self.borrow_from.as_ref().unwrap_or(&self.name)
    }
}
