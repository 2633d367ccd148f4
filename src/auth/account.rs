//! The signed-in user's account as the profile page shows it: who Filevine says they are
//! (GetUserOrgsWithToken, re-synced into the session: orgs can change while signed in), their
//! org user (Users/Me), and the state of their tokens. Never a token itself.

use super::{flow::apply_user_orgs, SessionTokens, SessionUser, VaultError};
use crate::filevine::{AuthedError, AuthedGateway, OrgContext};

/// What the profile shows besides the session's own fields.
pub struct Account {
    pub username: Option<String>,
    pub email: Option<String>,
    /// The org user id of Users/Me in the current org.
    pub org_user_id: Option<i64>,
    /// The user's access level in the current org (Users/Me `Permissions.AccessLevel`).
    pub access_level: Option<String>,
    /// Why part of the page is missing (Users/Me failed, no org chosen yet).
    pub gateway_warning: Option<String>,
    /// When the access token expires (unix seconds), if tokens are stored.
    pub token_expires_at: Option<i64>,
    pub has_refresh_token: bool,
    /// The session's user changed (orgs re-synced) and must be saved.
    pub user_changed: bool,
}

/// Loads the account of `user`, re-syncing their orgs into it. A failed Users/Me only adds a
/// warning; a lost session or a failed GetUserOrgsWithToken is an error.
pub async fn load(
    gw: &AuthedGateway<SessionTokens>,
    user: &mut SessionUser,
) -> Result<Account, AuthedError<VaultError>> {
    let info = gw.user_orgs().await?;
    let username = info.user.username.clone();
    let email = info.user.email.clone();
    let before = (user.orgs.clone(), user.fv_user_id, user.fv_email.clone());
    apply_user_orgs(user, info);
    let user_changed = before != (user.orgs.clone(), user.fv_user_id, user.fv_email.clone());

    let mut gateway_warning = None;
    let mut org_user_id = None;
    let mut access_level = None;
    if let (Some(org_id), Some(user_id)) = (user.current_org, user.fv_user_id) {
        match gw.me(OrgContext { org_id, user_id }).await {
            Ok(me) => {
                access_level = me.access_level().map(str::to_owned);
                org_user_id = me.org_user_id;
            }
            Err(AuthedError::Gateway(e)) => {
                tracing::warn!(error = %e, "Users/Me failed");
                let why = e.user_message().0;
                gateway_warning = Some(format!("Filevine's Users/Me call failed: {why}"));
            }
            Err(e) => return Err(e),
        }
    } else if user.orgs.len() > 1 {
        gateway_warning =
            Some("Choose an organization at the top of the page to see your org user.".into());
    }

    // The set the calls above used (read once for the page), not a third read of the vault.
    let tokens = gw.source().token_set().await.map_err(AuthedError::Token)?;
    Ok(Account {
        username,
        email,
        org_user_id,
        access_level,
        gateway_warning,
        token_expires_at: tokens.as_ref().map(|t| t.expires_at),
        has_refresh_token: tokens.is_some_and(|t| t.refresh_token.is_some()),
        user_changed,
    })
}
