//! What a session holds, typed: pending logins before the callback, the signed-in user after.
//!
//! The tower-sessions record holds no token: tokens live sealed in the vault table (see
//! [`crate::store`]), and the record only names the vault entry. Pending logins hold the PKCE
//! verifier and nonce: they are sealed, in a cookie of their own ([`PendingJar`]), so that a
//! login start stores nothing.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use super::{
    error::LoginError,
    oidc::{Identity, PendingLogin, PENDING_LOGIN_TTL},
};
use crate::crypto::Cipher;

const PENDING_KEY: &str = "fv.pending";
const USER_KEY: &str = "fv.user";
/// Several tabs may start a login at once; keep the newest few (the cookie stays well under
/// the 4 KB browsers keep).
const MAX_PENDING: usize = 3;
const PENDING_PURPOSE: &str = "pending-login";

/// An organization the user belongs to, from GetUserOrgsWithToken.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}

/// The signed-in user as the session remembers them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    pub identity: Identity,
    /// Key of this session's row in the token vault.
    pub vault_id: String,
    /// Unix seconds of sign-in, for the absolute session lifetime.
    pub login_at: i64,
    /// Per-session CSRF token for POST forms.
    pub csrf: String,
    /// The Filevine user id (`userId.native`), sent as `x-fv-userid`.
    pub fv_user_id: Option<i64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub user_type: Option<i64>,
    /// The email of the user record the gateway returns for this user's token
    /// (GetUserOrgsWithToken `User.Email`): Filevine's own directory, whose accounts firm
    /// admins create, so an address Filevine vouches for even when the provider sends no
    /// `email_verified` (see [`crate::auth::policy`]).
    #[serde(default)]
    pub fv_email: Option<String>,
    pub orgs: Vec<OrgRef>,
    /// Chosen org (sent as `x-fv-orgid`); `None` until a multi-org user picks one.
    pub current_org: Option<i64>,
    /// The environment (`FV_REGION`) whose provider signed this user in: a back-channel
    /// logout or an admin's count is per environment. Empty in sessions made before it was
    /// recorded.
    #[serde(default)]
    pub environment: String,
    /// The browser and system it signed in from ("Firefox on Linux"), parsed once at sign-in
    /// for the sessions page; never the raw header.
    #[serde(default)]
    pub browser: Option<String>,
}

impl SessionUser {
    /// A user just signed in as `identity` at `login_at`, with a fresh vault key and CSRF
    /// token; who they are in Filevine is filled in afterwards from the gateway.
    pub fn signed_in(identity: Identity, login_at: i64) -> Self {
        Self {
            identity,
            vault_id: random_token(),
            login_at,
            csrf: random_token(),
            fv_user_id: None,
            first_name: None,
            last_name: None,
            user_type: None,
            fv_email: None,
            orgs: Vec::new(),
            current_org: None,
            environment: String::new(),
            browser: None,
        }
    }

    /// Who made a change, as audit rows and logs record it: the email, else the display name.
    pub fn audit_name(&self) -> String {
        self.identity
            .email
            .clone()
            .unwrap_or_else(|| self.display_name())
    }

    /// The name to greet the user with.
    pub fn display_name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(f), None) => f.clone(),
            _ => self
                .identity
                .name
                .clone()
                .or_else(|| self.identity.email.clone())
                .unwrap_or_else(|| self.identity.subject.clone()),
        }
    }

    /// The chosen organization.
    pub fn current_org(&self) -> Option<&OrgRef> {
        let id = self.current_org?;
        self.orgs.iter().find(|o| o.id == id)
    }

    /// Whether `token` is this session's CSRF token (constant-time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        !token.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// Session errors carry no data worth showing; they are logged.
fn session_err(e: tower_sessions::session::Error) -> LoginError {
    LoginError::Session(e.to_string())
}

/// The browser's logins in flight, opened from (and written back to) the sealed pending-login
/// cookie by `web::pending_cookie`: the list lives in the browser, not in a stored session, so
/// an anonymous login start costs no database row. Cheap to clone (one shared list).
#[derive(Clone, Default)]
pub struct PendingJar(std::sync::Arc<std::sync::Mutex<JarState>>);

#[derive(Default)]
struct JarState {
    list: Vec<PendingLogin>,
    changed: bool,
}

impl PendingJar {
    /// The list sealed in the cookie's `value`; empty when there is none or it does not open
    /// (tampered, another key, or too old to matter).
    pub fn open(value: Option<&str>, cipher: &Cipher) -> Self {
        let list = value
            .filter(|v| !v.is_empty() && v.len() <= MAX_COOKIE_CHARS)
            .and_then(|v| {
                cipher
                    .open_json::<Vec<PendingLogin>>(PENDING_PURPOSE, &[], v)
                    .ok()
            })
            .unwrap_or_default();
        Self(std::sync::Arc::new(std::sync::Mutex::new(JarState {
            list,
            changed: false,
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, JarState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The new cookie value when the list changed (empty: delete the cookie).
    pub fn sealed_if_changed(&self, cipher: &Cipher) -> Option<String> {
        let state = self.state();
        if !state.changed {
            return None;
        }
        if state.list.is_empty() {
            return Some(String::new());
        }
        Some(cipher.seal_json(PENDING_PURPOSE, &[], &state.list))
    }
}

/// A sealed list longer than this is not a cookie we wrote: ignored unopened.
const MAX_COOKIE_CHARS: usize = 4096;

/// Remembers a login in flight (newest last, at most [`MAX_PENDING`]; expired ones dropped).
/// `now` is the app's clock (Unix seconds), the one `pending.created_at` was read from.
pub async fn push_pending(
    jar: &PendingJar,
    _cipher: &Cipher,
    pending: &PendingLogin,
    now: i64,
) -> Result<(), LoginError> {
    let mut state = jar.state();
    state
        .list
        .retain(|p| now - p.created_at <= PENDING_LOGIN_TTL.as_secs() as i64);
    state.list.push(pending.clone());
    if state.list.len() > MAX_PENDING {
        let drop = state.list.len() - MAX_PENDING;
        state.list.drain(..drop);
    }
    state.changed = true;
    Ok(())
}

/// Finds and removes the pending login for `state`: single use (the cookie is rewritten
/// without it), bound to this browser (its cookie), compared in constant time, refused when
/// older than [`PENDING_LOGIN_TTL`] by the app's clock (`now`, Unix seconds).
pub async fn take_pending(
    jar: &PendingJar,
    _cipher: &Cipher,
    state: &str,
    now: i64,
) -> Result<PendingLogin, LoginError> {
    let mut jar = jar.state();
    let mut found = None;
    let mut keep = Vec::with_capacity(jar.list.len());
    for p in std::mem::take(&mut jar.list) {
        if found.is_none() && bool::from(p.state.as_bytes().ct_eq(state.as_bytes())) {
            found = Some(p);
        } else if now - p.created_at <= PENDING_LOGIN_TTL.as_secs() as i64 {
            keep.push(p);
        }
    }
    jar.changed = true;
    jar.list = keep;
    drop(jar);
    let pending = found.ok_or(LoginError::UnknownState)?;
    if now - pending.created_at > PENDING_LOGIN_TTL.as_secs() as i64 {
        return Err(LoginError::Expired);
    }
    Ok(pending)
}

/// Makes the session a signed-in one. The session id is cycled first, so an id planted
/// before login (session fixation) is worthless after it.
pub async fn sign_in(session: &Session, user: &SessionUser) -> Result<(), LoginError> {
    session.cycle_id().await.map_err(session_err)?;
    session
        .remove::<Vec<String>>(PENDING_KEY)
        .await
        .map_err(session_err)?;
    session.insert(USER_KEY, user).await.map_err(session_err)
}

/// Where the session remembers when it was last used (Unix seconds, on the app's clock).
const SEEN_KEY: &str = "fv.seen";
/// The last-use time is written at most this often: often enough that the idle expiry slides
/// (it is off by at most this much), rare enough that a busy user does not cost a session
/// write per request. With a very short idle timeout, a quarter of it (see [`seen_write_every`]).
pub const SEEN_WRITE_EVERY_SECONDS: i64 = 60;

/// How old the last-use time may get before it is written again: a minute, or a quarter of the
/// idle timeout when that is shorter, so that a user active within the timeout is never judged
/// idle because of the write interval.
pub fn seen_write_every(idle: std::time::Duration) -> i64 {
    SEEN_WRITE_EVERY_SECONDS
        .min(idle.as_secs() as i64 / 4)
        .max(1)
}

/// The sliding idle expiry, checked against the app's clock: `false` when the session has not
/// been used for more than `idle` (the caller ends it); otherwise `true`, and the last-use time
/// moves to `now` when it is more than [`seen_write_every`] old (which makes
/// tower-sessions save the record, and so renew its row and cookie).
pub async fn still_active(
    session: &Session,
    user: &SessionUser,
    now: i64,
    idle: std::time::Duration,
) -> Result<bool, LoginError> {
    let seen: Option<i64> = session.get(SEEN_KEY).await.map_err(session_err)?;
    let seen = seen.unwrap_or(user.login_at).max(user.login_at);
    if now - seen > idle.as_secs() as i64 {
        return Ok(false);
    }
    if now - seen >= seen_write_every(idle) {
        session.insert(SEEN_KEY, now).await.map_err(session_err)?;
    }
    Ok(true)
}

/// The signed-in user a stored session record holds, if any (the session index reads it when
/// the record is created).
pub fn user_of_record(
    data: &std::collections::HashMap<String, serde_json::Value>,
) -> Option<SessionUser> {
    serde_json::from_value(data.get(USER_KEY)?.clone()).ok()
}

/// When a stored session record was last used (Unix seconds), as [`still_active`] wrote it.
pub fn last_seen_of_record(
    data: &std::collections::HashMap<String, serde_json::Value>,
) -> Option<i64> {
    data.get(SEEN_KEY)?.as_i64()
}

/// The signed-in user, if any.
pub async fn current_user(session: &Session) -> Result<Option<SessionUser>, LoginError> {
    session.get(USER_KEY).await.map_err(session_err)
}

/// Saves changes to the signed-in user (e.g. the chosen org).
pub async fn update_user(session: &Session, user: &SessionUser) -> Result<(), LoginError> {
    session.insert(USER_KEY, user).await.map_err(session_err)
}

/// Takes a one-time value (a page's notice after a POST) out of the session. Only a value that
/// is there is removed: tower-sessions counts every `remove` as a change and saves the record
/// at the end of the request, so taking an absent notice would write the session on every GET.
pub async fn take_once<T: serde::de::DeserializeOwned>(
    session: &Session,
    key: &str,
) -> Result<Option<T>, tower_sessions::session::Error> {
    if session.get_value(key).await?.is_none() {
        return Ok(None);
    }
    session.remove(key).await
}

/// Ends the session: the record is deleted and the cookie cleared.
pub async fn end(session: &Session) -> Result<(), LoginError> {
    session.flush().await.map_err(session_err)
}

/// A fresh random token (CSRF, vault ids, logout state).
pub fn random_token() -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}
