//! The confidential OpenID Connect client: discovery, the authorization request, the code
//! exchange, ID token verification, refresh, revocation and the RP-initiated logout URL.
//!
//! `openidconnect` does the protocol work. What it leaves to us, and this module adds:
//! - an algorithm allow-list (RS256/RS384/RS512, PS*, ES*; never `none` or HMAC);
//! - clock leeway on `exp`/`iat` (`FV_CLOCK_SKEW_SECONDS`), judged by the app's [`Clock`];
//! - the `azp` rule for tokens with several audiences;
//! - RFC 9207 `iss` on the authorization response when the provider advertises it;
//! - key rotation: the crate fetches the key set once; an unknown `kid` makes us refetch it,
//!   at most once per cool-down, so a rotated provider key needs no restart;
//! - userinfo at login: when the provider has a userinfo endpoint, its `sub` must be the ID
//!   token's (OpenID Connect Core 5.3.2), or the login is refused; its `name`, `email` and
//!   `email_verified` fill in what the ID token left out (see [`userinfo`]);
//! - a retry rule for refresh that never resends a possibly spent refresh token
//!   (see [`refresh`]).
//!
//! Files: [`discovery`] (metadata and start-up checks), [`verify`] (ID tokens and keys),
//! [`refresh`] (refresh and revocation), [`userinfo`]; this one holds the login and logout
//! legs.

mod discovery;
mod logout_token;
mod refresh;
mod userinfo;
mod verify;

use std::{sync::atomic::AtomicU64, time::Duration};

use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient},
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, IssuerUrl,
    JsonWebKeySetUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, Scope,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};
use url::Url;

pub use discovery::{DiscoveryError, ExtraProviderMetadata, FvProviderMetadata, ProviderSummary};
pub use logout_token::{claimed_issuer, LogoutToken, LogoutTokenError, BACKCHANNEL_LOGOUT_EVENT};
pub use refresh::RefreshFailure;
pub use userinfo::{ClaimSource, UserinfoRead, USERINFO_TIMEOUT};
pub use verify::{ALLOWED_ALGS, JWKS_REFETCH_COOLDOWN};

use super::{error::LoginError, return_to::ReturnTo, tokens::TokenSet};
use crate::util::Clock;

type FvClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
>;

/// What a login started: kept server-side (sealed in the session) until the callback.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: ReturnTo,
    /// Unix seconds; a pending login older than [`PENDING_LOGIN_TTL`] is refused.
    pub created_at: i64,
    /// Set when this is not a sign-in but an admin authorizing the refresh-token connection
    /// of that name (Save & authorize): the callback then stores the tokens on the connection
    /// and signs nobody in.
    #[serde(default)]
    pub connection: Option<String>,
    /// The environment whose provider this login went to: the callback answers it with that
    /// provider only (empty in logins started before it was recorded: the default one).
    #[serde(default)]
    pub environment: String,
}

/// How long the user may spend on the provider's login page.
pub const PENDING_LOGIN_TTL: Duration = Duration::from_secs(600);

/// The verified identity from an ID token, kept in the session (no token in here).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Whether the provider vouches for `email` (`email_verified` of the ID token, or of
    /// userinfo for the same address): only a verified email may make its owner an admin.
    #[serde(default)]
    pub email_verified: bool,
    /// Where `email` (and its verification) came from.
    #[serde(default)]
    pub email_source: ClaimSource,
    /// Whether userinfo was read at sign-in.
    #[serde(default)]
    pub userinfo: UserinfoRead,
    /// Non-secret claims of the ID token for the profile page, as `(name, value)`.
    pub claims: Vec<(String, String)>,
    /// The ID token's `sid`: the provider's session, which a back-channel logout token names.
    /// Absent when the provider sends none (and in sessions made before it was recorded).
    #[serde(default)]
    pub sid: Option<String>,
}

/// A successful login: tokens for the vault, identity for the session.
pub struct LoginOutcome {
    pub tokens: TokenSet,
    pub identity: Identity,
}

/// The OpenID provider as our confidential client sees it. Cheap to share behind an `Arc`.
pub struct OidcProvider {
    http: reqwest::Client,
    client: FvClient,
    client_id: ClientId,
    client_secret: ClientSecret,
    issuer: IssuerUrl,
    jwks_uri: JsonWebKeySetUrl,
    keys: RwLock<verify::KeyCache>,
    refetch_gate: Mutex<Option<std::time::SystemTime>>,
    /// [`JWKS_REFETCH_COOLDOWN`] unless changed with [`OidcProvider::set_key_refetch_cooldown`].
    refetch_cooldown_ms: AtomicU64,
    userinfo: Option<Url>,
    scopes: Vec<Scope>,
    clock_skew: Duration,
    /// The app's clock: ID-token `exp`/`iat` and token-set expiry are judged by it.
    clock: Clock,
    end_session: Option<Url>,
    revocation: Option<Url>,
    /// The provider takes only `client_secret_post`: the secret goes in the body.
    secret_in_body: bool,
    iss_parameter: bool,
    summary: ProviderSummary,
}

impl OidcProvider {
    /// What discovery said, for `fv-partner-app check` and the logs.
    pub fn summary(&self) -> &ProviderSummary {
        &self.summary
    }

    /// The issuer, exactly as discovery gave it.
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The clock this provider judges token times by (shared with the vault).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Builds the authorization request: PKCE S256, a fresh `state` and `nonce`.
    pub fn begin_login(&self, return_to: ReturnTo) -> (Url, PendingLogin) {
        self.begin_login_with(return_to, &[])
    }

    /// [`OidcProvider::begin_login`] asking for `extra` scopes too (a connection with live
    /// updates on needs `filevine.v2.webhooks`).
    pub fn begin_login_with(&self, return_to: ReturnTo, extra: &[String]) -> (Url, PendingLogin) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(
                self.scopes
                    .iter()
                    .filter(|s| s.as_str() != "openid")
                    .cloned()
                    .chain(
                        extra
                            .iter()
                            .filter(|e| !self.scopes.iter().any(|s| s.as_str() == e.as_str()))
                            .map(|e| Scope::new(e.clone())),
                    ),
            )
            .set_pkce_challenge(challenge)
            .url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to,
            // The session layer checks this against the system clock (src/auth/session.rs).
            created_at: self.clock.now_unix(),
            connection: None,
            environment: String::new(),
        };
        (url, pending)
    }

    /// Checks the authorization response's `iss` (RFC 9207): required when advertised, and
    /// when present it must be our issuer.
    pub fn check_response_issuer(&self, iss: Option<&str>) -> Result<(), LoginError> {
        match iss {
            Some(iss) if iss == self.issuer.as_str() => Ok(()),
            Some(_) => Err(LoginError::IssuerMismatch),
            None if self.iss_parameter => Err(LoginError::IssuerMissing),
            None => Ok(()),
        }
    }

    /// Exchanges the code (with the client secret and PKCE verifier) and verifies the ID token.
    pub async fn complete_login(
        &self,
        pending: &PendingLogin,
        code: String,
    ) -> Result<LoginOutcome, LoginError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| LoginError::TokenExchange(refresh::token_error_summary(&e)))?;
        let id_token = response
            .extra_fields()
            .id_token()
            .cloned()
            .ok_or(LoginError::NoIdToken)?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = self
            .verify_id_token(&id_token, &nonce)
            .await
            .map_err(LoginError::IdToken)?;
        let mut identity = verify::identity_from(&claims);
        identity.sid = verify::verified_sid(&id_token.to_string());
        let tokens =
            TokenSet::from_response(&response, id_token.to_string(), None, self.clock.now_unix());
        if let Some(endpoint) = &self.userinfo {
            match userinfo::fetch(&self.http, endpoint, &tokens.access_token).await {
                Ok(info) => identity.merge_userinfo(info, claims.email_verified())?,
                Err(LoginError::Userinfo(why)) => {
                    // The ID token already proved who this is; an unavailable userinfo only
                    // costs its claims, and must not lock every user out.
                    identity.userinfo = UserinfoRead::Unavailable;
                    tracing::warn!(reason = %why, "userinfo unavailable at login; relying on the verified ID token")
                }
                Err(other) => return Err(other),
            }
        }
        Ok(LoginOutcome { tokens, identity })
    }

    /// The RP-initiated logout URL, or `None` when the provider has no end-session endpoint.
    pub fn logout_url(
        &self,
        id_token: Option<&str>,
        post_logout: &Url,
        state: &str,
    ) -> Option<Url> {
        let mut url = self.end_session.clone()?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(hint) = id_token {
                q.append_pair("id_token_hint", hint);
            }
            q.append_pair("client_id", self.client_id.as_str());
            q.append_pair("post_logout_redirect_uri", post_logout.as_str());
            q.append_pair("state", state);
        }
        Some(url)
    }
}
