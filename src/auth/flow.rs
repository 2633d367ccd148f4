//! The login and logout flows, as services the handlers call: one function per step, each
//! taking exactly what it needs.

use serde::Deserialize;
use tower_sessions::Session;
use url::Url;

use super::{
    environments::{Environment, Environments},
    error::LoginError,
    return_to::ReturnTo,
    session::{self, OrgRef, SessionUser},
    vault::TokenVault,
};
use crate::{crypto::Cipher, store::Db};

/// The callback's query string. Every field is optional so that a malformed callback reaches
/// our friendly error page rather than axum's plain-text rejection.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Starts a login at `env`'s provider: remembers PKCE verifier, `state`, `nonce`,
/// `return_to` and the environment in this browser's pending-login cookie and returns the
/// provider URL to send the browser to.
pub async fn start_login(
    env: &Environment,
    pending_jar: &session::PendingJar,
    cipher: &Cipher,
    return_to: ReturnTo,
) -> Result<Url, LoginError> {
    let (url, mut pending) = env.oidc.begin_login(return_to);
    pending.environment = env.name.clone();
    session::push_pending(pending_jar, cipher, &pending, env.oidc.clock().now_unix()).await?;
    Ok(url)
}

/// Starts an admin's authorization of the refresh-token connection `name` of `env`: a
/// pending login (PKCE, `state`, `nonce`, in this browser's pending-login cookie) marked as a
/// connection authorization, and the provider URL (the same registered callback as sign-in).
pub async fn start_connection_authorization(
    env: &Environment,
    pending_jar: &session::PendingJar,
    cipher: &Cipher,
    name: &str,
    extra_scopes: &[String],
) -> Result<Url, LoginError> {
    let (url, mut pending) = env
        .oidc
        .begin_login_with(ReturnTo::parse_or_root(None), extra_scopes);
    pending.connection = Some(name.to_owned());
    pending.environment = env.name.clone();
    session::push_pending(pending_jar, cipher, &pending, env.oidc.clock().now_unix()).await?;
    Ok(url)
}

/// How a callback ended.
pub enum Finished {
    /// A sign-in: send the browser here.
    SignedIn(String),
    /// An authorization of a refresh-token connection: nobody was signed in; the tokens are
    /// for the connection.
    Connection(Box<ConnectionAuthorization>),
}

/// What an admin's Save & authorize brought back for the connection `name`.
pub struct ConnectionAuthorization {
    pub name: String,
    pub tokens: super::tokens::TokenSet,
    pub identity: super::oidc::Identity,
}

/// What the app needs to finish a login.
pub struct FinishDeps<'a> {
    /// The pending login names its environment, whose provider and gateway finish it.
    pub environments: &'a Environments,
    pub vault: &'a TokenVault,
    pub cipher: &'a Cipher,
    /// This browser's logins in flight (the sealed pending-login cookie).
    pub pending: &'a session::PendingJar,
    /// Where each user's last organization choice is remembered.
    pub db: &'a Db,
    /// The browser and system, parsed from its User-Agent ("Firefox on Linux").
    pub browser: Option<String>,
}

/// Finishes a login at the callback and returns where to send the browser (with `code` and
/// `state` gone from the address bar).
pub async fn finish_login(
    deps: FinishDeps<'_>,
    session: &Session,
    query: CallbackQuery,
) -> Result<Finished, LoginError> {
    let now = deps.vault.clock().now_unix();
    if let Some(code) = query.error {
        // The attempt is over either way: spend its state so it cannot be replayed.
        if let Some(state) = &query.state {
            let _ = session::take_pending(deps.pending, deps.cipher, state, now).await;
        }
        return Err(LoginError::Provider {
            code,
            description: query.error_description,
        });
    }
    let state = query
        .state
        .filter(|s| !s.is_empty())
        .ok_or(LoginError::MissingState)?;
    let pending = session::take_pending(deps.pending, deps.cipher, &state, now).await?;
    let env = deps
        .environments
        .get(&pending.environment)
        .ok_or_else(|| LoginError::UnknownEnvironment(pending.environment.clone()))?;
    check_issuer(deps.environments, env, query.iss.as_deref())?;
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or(LoginError::MissingCode)?;
    // The ID token's `iss` is checked against this environment's issuer in there too.
    let outcome = env.oidc.complete_login(&pending, code).await?;
    if let Some(name) = pending.connection.clone() {
        return Ok(Finished::Connection(Box::new(ConnectionAuthorization {
            name,
            tokens: outcome.tokens,
            identity: outcome.identity,
        })));
    }

    let mut user = SessionUser::signed_in(outcome.identity, now);
    user.environment = env.name.clone();
    user.browser = deps.browser.clone();
    // Who this is in Filevine, and in which orgs. A gateway hiccup does not undo a good login:
    // the profile page asks again.
    match env.gateway.user_orgs(&outcome.tokens.access_token).await {
        Ok(info) => apply_user_orgs(&mut user, info),
        Err(e) => tracing::warn!(error = %e, "GetUserOrgsWithToken failed at login"),
    }
    recall_org_choice(deps.db, &mut user).await;
    // Signing in again in a browser that is signed in: the previous session's tokens must not
    // outlive it in the vault.
    let previous = session::current_user(session).await.ok().flatten();
    deps.vault
        .store(&user, &outcome.tokens)
        .await
        .map_err(|e| LoginError::Session(e.to_string()))?;
    session::sign_in(session, &user).await?;
    if let Some(old) = previous.filter(|old| old.vault_id != user.vault_id) {
        if let Err(e) = deps.vault.remove(&old.vault_id).await {
            tracing::warn!(error = %e, "could not delete the previous session's tokens at login");
        }
    }
    tracing::info!(sub = %user.identity.subject, orgs = user.orgs.len(), "signed in");

    if user.orgs.len() > 1 && user.current_org.is_none() {
        let rt: String =
            url::form_urlencoded::byte_serialize(pending.return_to.as_str().as_bytes()).collect();
        return Ok(Finished::SignedIn(format!("/org?return_to={rt}")));
    }
    Ok(Finished::SignedIn(pending.return_to.as_str().to_owned()))
}

/// The authorization response's RFC 9207 `iss` must be the issuer of the environment the
/// login went to. One that belongs to another served environment is a mix-up attack (RFC 9700
/// section 4.4): the code was minted by the other provider, so it is refused before it could be
/// sent to this environment's token endpoint, and said so in the log.
fn check_issuer(
    all: &Environments,
    env: &Environment,
    iss: Option<&str>,
) -> Result<(), LoginError> {
    if let Some(other) = iss
        .and_then(|iss| all.by_issuer(iss))
        .filter(|other| other.name != env.name)
    {
        return Err(LoginError::MixUp {
            expected: env.name.clone(),
            got: other.name.clone(),
        });
    }
    env.oidc.check_response_issuer(iss)
}

/// Copies GetUserOrgsWithToken into the session user; a single org is chosen for them, several
/// are left for the user to pick.
pub fn apply_user_orgs(user: &mut SessionUser, info: crate::filevine::models::UserOrgs) {
    user.fv_user_id = Some(info.user.user_id.native);
    user.first_name = info.user.first_name;
    user.last_name = info.user.last_name;
    user.user_type = info.user.user_type;
    user.fv_email = info.user.email.filter(|e| !e.trim().is_empty());
    user.orgs = info
        .orgs
        .into_iter()
        .map(|o| {
            let (id, name) = o.into_id_and_name();
            OrgRef { id, name }
        })
        .collect();
    if user
        .current_org
        .is_none_or(|id| !user.orgs.iter().any(|o| o.id == id))
    {
        user.current_org = (user.orgs.len() == 1).then(|| user.orgs[0].id);
    }
}

/// A user in several organizations starts in the one they chose last, when it is still one of
/// theirs, so the chooser is not in their way at every sign-in. The memory is a convenience:
/// when the database cannot answer, the chooser is shown as before.
async fn recall_org_choice(db: &Db, user: &mut SessionUser) {
    if user.orgs.len() < 2 || user.current_org.is_some() {
        return;
    }
    match db
        .org_choice_get(&user.identity.issuer, &user.identity.subject)
        .await
    {
        Ok(Some(id)) if user.orgs.iter().any(|o| o.id == id) => user.current_org = Some(id),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not read the last organization choice"),
    }
}

/// Remembers `org_id` as `user`'s choice for their next sign-in; a failure is logged, since
/// the choice for this session stands regardless.
pub async fn remember_org_choice(db: &Db, user: &SessionUser, org_id: i64, now: i64) {
    let identity = &user.identity;
    if let Err(e) = db
        .org_choice_put(&identity.issuer, &identity.subject, org_id, now)
        .await
    {
        tracing::warn!(error = %e, "could not remember the organization choice");
    }
}

/// Ends the local session first (so nothing is left behind if the provider is down), revokes
/// the refresh token when the provider advertises RFC 7009 revocation (a failure is logged;
/// the user is signed out regardless), then returns the provider's end-session URL with
/// `id_token_hint`, `post_logout_redirect_uri` and `state`, or the local signed-out page when
/// the provider has no end-session endpoint.
/// The provider is the one of the user's environment (`environments`); a user of an
/// environment no longer served is signed out locally only.
pub async fn logout(
    environments: &Environments,
    vault: &TokenVault,
    session: &Session,
) -> Result<String, LoginError> {
    let mut env = environments.default_env();
    let mut id_token = None;
    let mut refresh_token = None;
    let mut served = true;
    if let Some(user) = session::current_user(session).await? {
        match environments.get(&user.environment) {
            Some(e) => env = e,
            None => served = false,
        }
        match vault.load(&user).await {
            Ok(Some(tokens)) => {
                id_token = Some(tokens.id_token);
                refresh_token = tokens.refresh_token;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not read tokens at logout"),
        }
        if let Err(e) = vault.remove(&user.vault_id).await {
            tracing::warn!(error = %e, "could not delete tokens at logout");
        }
        tracing::info!(sub = %user.identity.subject, "signed out");
    }
    session::end(session).await?;
    let post_logout = &env.post_logout_redirect_uri;
    if !served {
        return Ok(post_logout.path().to_owned());
    }
    let oidc = &env.oidc;
    if let Some(token) = refresh_token.filter(|_| oidc.can_revoke()) {
        match oidc.revoke_refresh_token(&token).await {
            Ok(_) => tracing::info!("refresh token revoked at the provider"),
            Err(why) => {
                tracing::warn!(reason = %why, "could not revoke the refresh token at logout; signed out locally")
            }
        }
    }
    let state = session::random_token();
    Ok(
        match oidc.logout_url(id_token.as_deref(), post_logout, &state) {
            Some(url) => url.to_string(),
            None => post_logout.path().to_owned(),
        },
    )
}
