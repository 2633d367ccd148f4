//! Verifying a PAT: exchange it, then ask the gateway who the token is
//! (GetUserOrgsWithToken). Shared by `fv-partner-app pat verify` and the settings page.

use crate::filevine::models::FvOrg;
use serde::{Deserialize, Serialize};

use super::token_source::{PatError, PatTokenSource};
use crate::filevine::{models::user_type_name, Gateway, GatewayError};

/// The `userType` of a service account.
pub const SERVICE_ACCOUNT_USER_TYPE: i64 = 4;

/// Who a verified PAT acts as, and what its token looks like. Holds no secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verified {
    pub name: String,
    pub email: Option<String>,
    pub user_type: Option<i64>,
    /// `(id, name)` of each organization.
    pub orgs: Vec<(i64, String)>,
    /// Seconds the minted token lives (`expires_in`).
    pub token_lifetime_secs: u64,
    /// Unix seconds the minted token expires.
    pub token_valid_until: i64,
    pub granted_scopes: Vec<String>,
    /// Things that work but deserve a look (missing scopes, not a service account).
    pub warnings: Vec<String>,
}

impl Verified {
    /// The user type's name ("Service account", ...).
    pub fn user_type_name(&self) -> &'static str {
        self.user_type.map(user_type_name).unwrap_or("Unknown")
    }
}

/// Why verification failed. Messages never carry the PAT.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Pat(#[from] PatError),
    #[error("the token was minted, but Filevine's gateway refused GetUserOrgsWithToken: {0}")]
    Gateway(#[from] GatewayError),
    #[error("this PAT belongs to {actual}, not to {expected}. Check the service account's email, or paste the PAT of that service account.")]
    EmailMismatch { expected: String, actual: String },
}

/// Whether two emails name the same account as Filevine compares them (case and surrounding
/// blanks ignored): the one rule for "acts as the connection's email", PAT or refresh token.
pub fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Mints a token from `source` and asks the gateway who it is. When `expected_email` is given,
/// the token's user must have that email (compared case-insensitively).
pub async fn verify(
    source: &PatTokenSource,
    gateway: &dyn Gateway,
    expected_email: Option<&str>,
) -> Result<Verified, VerifyError> {
    let token = source.token().await?;
    let info = gateway.user_orgs(token.secret()).await?;
    let user = info.user;
    if let Some(expected) = expected_email {
        let actual = user.email.clone().unwrap_or_default();
        if !same_email(&actual, expected) {
            return Err(VerifyError::EmailMismatch {
                expected: expected.trim().to_owned(),
                actual: if actual.is_empty() {
                    "a user without an email".into()
                } else {
                    actual
                },
            });
        }
    }
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name.is_empty() {
        user.username
            .clone()
            .or_else(|| user.email.clone())
            .unwrap_or_else(|| format!("user {}", user.user_id.native))
    } else {
        name
    };
    let mut warnings = Vec::new();
    if user.user_type != Some(SERVICE_ACCOUNT_USER_TYPE) {
        warnings.push(format!(
            "This PAT belongs to a {} user, not a service account. Background work will stop if that person leaves or loses access; a dedicated service account is safer.",
            user.user_type.map(user_type_name).unwrap_or("Unknown").to_lowercase()
        ));
    }
    if let Some(w) = token.scope_warning() {
        warnings.push(w);
    }
    Ok(Verified {
        name,
        email: user.email,
        user_type: user.user_type,
        orgs: info.orgs.into_iter().map(FvOrg::into_id_and_name).collect(),
        token_lifetime_secs: token.lifetime.as_secs(),
        token_valid_until: token.expires_at_unix,
        granted_scopes: token.granted_scopes.clone(),
        warnings,
    })
}
