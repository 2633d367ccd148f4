//! Errors of the login layer. Their `Display` is for the log; what the browser sees is the
//! short, secret-free [`LoginError::user_message`].

use openidconnect::ClaimsVerificationError;

/// Why a login (the callback leg) failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("provider returned error={code}")]
    Provider {
        code: String,
        description: Option<String>,
    },
    #[error("callback without a code")]
    MissingCode,
    #[error("callback without a state")]
    MissingState,
    #[error("state is unknown to this browser (replayed, from another browser, or expired)")]
    UnknownState,
    #[error("login attempt expired")]
    Expired,
    #[error("authorization response iss differs from the issuer (RFC 9207)")]
    IssuerMismatch,
    #[error("authorization response lacks iss although the provider advertises it (RFC 9207)")]
    IssuerMissing,
    /// The response's `iss` is the issuer of another served environment: a mix-up attack
    /// (RFC 9700 section 4.4), or a browser that crossed two logins.
    #[error("mix-up: a login started for environment {expected} came back with the issuer of environment {got}")]
    MixUp { expected: String, got: String },
    /// The pending login names an environment this app no longer serves.
    #[error("the login was started for environment `{0}`, which is not served any more")]
    UnknownEnvironment(String),
    #[error("code exchange failed: {0}")]
    TokenExchange(String),
    #[error("token response has no id_token")]
    NoIdToken,
    /// The whole cause chain, so the log says which check failed (signature, key, alg...).
    #[error("ID token rejected: {}", crate::util::error_chain(.0))]
    IdToken(ClaimsVerificationError),
    #[error("userinfo sub differs from the ID token's sub")]
    UserinfoSubjectMismatch,
    #[error("userinfo check failed: {0}")]
    Userinfo(String),
    #[error("session store: {0}")]
    Session(String),
    #[error("gateway: {0}")]
    Gateway(String),
}

impl LoginError {
    /// A label for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            LoginError::Provider { .. } => "provider_error",
            LoginError::MissingCode => "missing_code",
            LoginError::MissingState => "missing_state",
            LoginError::UnknownState => "unknown_state",
            LoginError::Expired => "expired",
            LoginError::IssuerMismatch | LoginError::IssuerMissing => "iss_parameter",
            LoginError::MixUp { .. } => "mix_up",
            LoginError::UnknownEnvironment(_) => "unknown_environment",
            LoginError::TokenExchange(_) => "token_exchange",
            LoginError::NoIdToken => "no_id_token",
            LoginError::IdToken(_) => "id_token",
            LoginError::UserinfoSubjectMismatch | LoginError::Userinfo(_) => "userinfo",
            LoginError::Session(_) => "session",
            LoginError::Gateway(_) => "gateway",
        }
    }

    /// What the person at the browser is told: what happened and what to do, nothing secret.
    pub fn user_message(&self) -> (&'static str, String) {
        match self {
            LoginError::Provider { code, .. } if code == "access_denied" => (
                "Sign-in was cancelled",
                "You cancelled signing in with Filevine, or did not allow this app. Nothing was changed.".into(),
            ),
            LoginError::Provider { code, .. } => (
                "Filevine could not sign you in",
                format!("Filevine answered “{}”. Try again; if it keeps happening, ask your Filevine administrator to check this app's client registration.", sanitize(code)),
            ),
            LoginError::UnknownState
            | LoginError::MissingState
            | LoginError::Expired
            | LoginError::UnknownEnvironment(_) => (
                "This sign-in link has expired",
                "The sign-in was started in another browser or tab, took too long, or was already used. Start again from this browser.".into(),
            ),
            LoginError::Session(_) => (
                "We could not save your session",
                "The app's session store is not answering. Try again in a moment.".into(),
            ),
            LoginError::Gateway(_) => (
                "Signed in, but Filevine's API did not answer",
                "Your sign-in worked but we could not load your organizations. Try again in a moment.".into(),
            ),
            _ => (
                "Sign-in could not be completed",
                "The answer from the identity provider did not pass our security checks, so you were not signed in. Try again; the details are in the app's log.".into(),
            ),
        }
    }
}

/// Why a refresh failed. `InvalidGrant` and `IdentityChanged` end the session;
/// `Unavailable` keeps it (the provider may be back in a moment). `Clone` because one refresh
/// answers every request waiting on it (see [`super::vault`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum RefreshError {
    #[error("the session has no refresh token (offline_access not granted)")]
    NoRefreshToken,
    #[error("refresh token rejected (invalid_grant: revoked, expired or reused)")]
    InvalidGrant,
    #[error("refresh rejected: {0}")]
    Rejected(String),
    #[error("provider unavailable during refresh: {0}")]
    Unavailable(String),
    /// With the verifier's whole cause chain, in words.
    #[error("refreshed ID token rejected: {0}")]
    IdToken(String),
    #[error("refreshed ID token names another issuer or subject")]
    IdentityChanged,
}

impl RefreshError {
    /// A bounded label for a refresh's outcome (metrics, logs); `"success"` for `Ok`.
    pub fn outcome<T>(result: &Result<T, RefreshError>) -> &'static str {
        match result {
            Ok(_) => "success",
            Err(RefreshError::NoRefreshToken) => "no_refresh_token",
            Err(RefreshError::InvalidGrant) => "invalid_grant",
            Err(RefreshError::Rejected(_)) => "rejected",
            Err(RefreshError::Unavailable(_)) => "unavailable",
            Err(RefreshError::IdToken(_)) => "id_token",
            Err(RefreshError::IdentityChanged) => "identity_changed",
        }
    }

    /// Whether the session must end (the user signs in again).
    pub fn ends_session(&self) -> bool {
        !matches!(self, RefreshError::Unavailable(_))
    }
}

/// Error codes come from the network; keep only what is safe to echo.
fn sanitize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}
