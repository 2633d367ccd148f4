//! The confidential OpenID Connect client: discovery, the authorization request, the code
//! exchange, ID token verification, refresh and the RP-initiated logout URL.
//!
//! `openidconnect` does the protocol work. What it leaves to us, and this module adds:
//! - an algorithm allow-list (RS256/RS384/RS512, PS*, ES*; never `none` or HMAC);
//! - clock leeway on `exp`/`iat` (`FV_CLOCK_SKEW_SECONDS`);
//! - the `azp` rule for tokens with several audiences;
//! - RFC 9207 `iss` on the authorization response when the provider advertises it;
//! - key rotation: the crate fetches the key set once; an unknown `kid` makes us refetch it,
//!   at most once per cool-down, so a rotated provider key needs no restart;
//! - the userinfo check at login: when the provider has a userinfo endpoint, its `sub` must be
//!   the ID token's (OpenID Connect Core 5.3.2), or the login is refused.
//!
//! An ID token without `kid` is accepted only when exactly one published key fits its
//! algorithm; with several candidates `openidconnect` refuses it as ambiguous, and so do we
//! (OpenID Connect Core 10.1: a provider with several keys must send `kid`).

use crate::util::{clock::now_unix, error_chain};
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use openidconnect::{
    core::{
        CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
        CoreClientAuthMethod, CoreErrorResponseType, CoreGrantType, CoreIdToken, CoreIdTokenClaims,
        CoreIdTokenVerifier, CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
        CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
        CoreSubjectIdentifierType, CoreTokenResponse,
    },
    AdditionalProviderMetadata, AuthType, AuthUrl, AuthorizationCode, ClaimsVerificationError,
    ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySetUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, SignatureVerificationError, StandardErrorResponse,
    TokenUrl,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};
use url::Url;

use super::{
    error::{LoginError, RefreshError},
    return_to::ReturnTo,
    tokens::TokenSet,
};
use crate::config::Settings;

/// Discovery fields `openidconnect`'s core metadata does not carry.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraProviderMetadata {
    /// RP-initiated logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<Url>,
    /// RFC 7009 token revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<Url>,
    /// RFC 9207: the provider puts `iss` on authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// PKCE methods (we always use S256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}
impl AdditionalProviderMetadata for ExtraProviderMetadata {}

/// Provider metadata with the extra fields above.
pub type FvProviderMetadata = ProviderMetadata<
    ExtraProviderMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type FvClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
>;

/// The ID token algorithms we accept. Filevine signs with RS512 by default; the others are what a
/// standard provider may use. `none` and HMAC are never accepted.
pub const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
];

/// Minimum time between two key-set refetches triggered by unknown `kid`s, so a flood of
/// forged tokens cannot make us hammer the provider.
pub const JWKS_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);

/// Why discovery failed at start-up.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("FV_AUTHORITY is not a valid issuer URL: {0}")]
    BadIssuer(String),
    #[error("could not load {url}/.well-known/openid-configuration: {detail}. Check FV_AUTHORITY (and FV_REGION) and that the provider is reachable")]
    Fetch { url: String, detail: String },
    #[error("the provider has no token endpoint in its discovery document")]
    NoTokenEndpoint,
    #[error("FV_REDIRECT_URI is not a valid URL: {0}")]
    BadRedirect(String),
}

/// What a login started: kept server-side (sealed in the session) until the callback.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: ReturnTo,
    /// Unix seconds; a pending login older than [`PENDING_LOGIN_TTL`] is refused.
    pub created_at: i64,
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
    /// The ID token's `email_verified`: only a verified email may make its owner an admin.
    /// Absent (false) in sessions made before it was recorded.
    #[serde(default)]
    pub email_verified: bool,
    /// Non-secret claims for the profile page, as `(name, value)`.
    pub claims: Vec<(String, String)>,
}

/// A successful login: tokens for the vault, identity for the session.
pub struct LoginOutcome {
    pub tokens: TokenSet,
    pub identity: Identity,
}

/// What `check` reports about the provider.
#[derive(Debug, Clone)]
pub struct ProviderSummary {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub end_session_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub scopes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub signing_algs: Vec<String>,
    pub pkce_methods: Vec<String>,
    pub iss_parameter: bool,
    pub auth_methods: Vec<String>,
}

struct KeyCache {
    keys: CoreJsonWebKeySet,
    fetched_at: Instant,
}

/// The OpenID provider as our confidential client sees it. Cheap to share behind an `Arc`.
pub struct OidcProvider {
    http: reqwest::Client,
    client: FvClient,
    client_id: ClientId,
    client_secret: ClientSecret,
    issuer: IssuerUrl,
    jwks_uri: JsonWebKeySetUrl,
    keys: RwLock<KeyCache>,
    refetch_gate: Mutex<Option<Instant>>,
    /// [`JWKS_REFETCH_COOLDOWN`] unless changed with [`OidcProvider::set_key_refetch_cooldown`].
    refetch_cooldown_ms: AtomicU64,
    userinfo: Option<Url>,
    scopes: Vec<Scope>,
    clock_skew: Duration,
    end_session: Option<Url>,
    iss_parameter: bool,
    summary: ProviderSummary,
}

impl OidcProvider {
    /// Fetches discovery and the key set. Fails when discovery's `issuer` is not the configured
    /// authority: a mismatch means a misconfiguration or a mix-up attack, never something to
    /// paper over.
    pub async fn discover(
        settings: &Settings,
        http: reqwest::Client,
    ) -> Result<Arc<Self>, DiscoveryError> {
        let authority = settings
            .oidc
            .authority
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        let issuer = IssuerUrl::new(authority.clone())
            .map_err(|e| DiscoveryError::BadIssuer(e.to_string()))?;
        let metadata = FvProviderMetadata::discover_async(issuer.clone(), &http)
            .await
            .map_err(|e| DiscoveryError::Fetch {
                url: authority.clone(),
                detail: error_chain(&e),
            })?;
        let token_url = metadata
            .token_endpoint()
            .cloned()
            .ok_or(DiscoveryError::NoTokenEndpoint)?;
        let extra = metadata.additional_metadata().clone();
        let summary = summarize(&metadata, &token_url);

        // Prefer HTTP Basic (the secret stays out of request bodies that proxies may log)
        // unless the provider only takes client_secret_post.
        let auth_type = match metadata.token_endpoint_auth_methods_supported() {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        };
        let client_id = ClientId::new(settings.oidc.client_id.clone());
        let client_secret =
            ClientSecret::new(settings.oidc.client_secret.expose_secret().to_owned());
        let redirect = RedirectUrl::new(settings.oidc.redirect_uri.to_string())
            .map_err(|e| DiscoveryError::BadRedirect(e.to_string()))?;
        let client = CoreClient::new(client_id.clone(), issuer.clone(), metadata.jwks().clone())
            .set_client_secret(client_secret.clone())
            .set_auth_uri(AuthUrl::from_url(
                metadata.authorization_endpoint().url().clone(),
            ))
            .set_token_uri(TokenUrl::from_url(token_url.url().clone()))
            .set_redirect_uri(redirect)
            .set_auth_type(auth_type);

        Ok(Arc::new(Self {
            http,
            client,
            client_id,
            client_secret,
            issuer,
            jwks_uri: metadata.jwks_uri().clone(),
            keys: RwLock::new(KeyCache {
                keys: metadata.jwks().clone(),
                fetched_at: Instant::now(),
            }),
            refetch_gate: Mutex::new(None),
            refetch_cooldown_ms: AtomicU64::new(JWKS_REFETCH_COOLDOWN.as_millis() as u64),
            userinfo: metadata.userinfo_endpoint().map(|u| u.url().clone()),
            scopes: settings
                .oidc
                .scopes
                .iter()
                .cloned()
                .map(Scope::new)
                .collect(),
            clock_skew: settings.oidc.clock_skew,
            end_session: extra.end_session_endpoint,
            iss_parameter: extra.authorization_response_iss_parameter_supported,
            summary,
        }))
    }

    /// What discovery said, for `fv-partner-app check` and the logs.
    pub fn summary(&self) -> &ProviderSummary {
        &self.summary
    }

    /// The issuer, exactly as discovery gave it.
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// Builds the authorization request: PKCE S256, a fresh `state` and `nonce`.
    pub fn begin_login(&self, return_to: ReturnTo) -> (Url, PendingLogin) {
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
                    .cloned(),
            )
            .set_pkce_challenge(challenge)
            .url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to,
            created_at: now_unix(),
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
            .map_err(|e| LoginError::TokenExchange(token_error_summary(&e)))?;
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
        let identity = identity_from(&claims);
        let tokens = TokenSet::from_response(&response, id_token.to_string(), None);
        if let Some(endpoint) = &self.userinfo {
            match self
                .check_userinfo_subject(endpoint, &tokens.access_token, &identity.subject)
                .await
            {
                Err(LoginError::Userinfo(why)) => {
                    // The ID token already proved who this is; an unavailable userinfo only
                    // costs the cross-check, and must not lock every user out.
                    tracing::warn!(reason = %why, "userinfo unavailable at login; relying on the verified ID token")
                }
                other => other?,
            }
        }
        Ok(LoginOutcome { tokens, identity })
    }

    /// Asks userinfo who the access token belongs to; a different `sub` means the token
    /// response mixed two users (or an attacker's token), so the login is refused. A userinfo
    /// that does not answer properly is reported as [`LoginError::Userinfo`], which the caller
    /// logs and tolerates.
    async fn check_userinfo_subject(
        &self,
        endpoint: &Url,
        access_token: &str,
        subject: &str,
    ) -> Result<(), LoginError> {
        #[derive(Deserialize)]
        struct UserinfoSubject {
            sub: String,
        }
        let response = self
            .http
            .get(endpoint.clone())
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| LoginError::Userinfo(format!("request failed: {}", error_chain(&e))))?;
        let status = response.status();
        if !status.is_success() {
            return Err(LoginError::Userinfo(format!("status {status}")));
        }
        let body: UserinfoSubject = response
            .json()
            .await
            .map_err(|_| LoginError::Userinfo("answer is not JSON with a sub".into()))?;
        if body.sub != subject {
            return Err(LoginError::UserinfoSubjectMismatch);
        }
        Ok(())
    }

    /// Changes the minimum time between two key-set refetches (tests shorten it; an operator
    /// never needs to).
    pub fn set_key_refetch_cooldown(&self, cooldown: Duration) {
        self.refetch_cooldown_ms
            .store(cooldown.as_millis() as u64, Ordering::Relaxed);
    }

    /// Uses the refresh token. A new ID token, when the provider sends one, must name the same
    /// issuer and subject as the session's (OpenID Connect Core 12.2); it carries no nonce.
    pub async fn refresh(
        &self,
        current: &TokenSet,
        identity: &Identity,
    ) -> Result<TokenSet, RefreshError> {
        let refresh_token = current
            .refresh_token
            .as_ref()
            .ok_or(RefreshError::NoRefreshToken)?;
        let response = self
            .client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match &e {
                RequestTokenError::ServerResponse(r) if r.error().as_ref() == "invalid_grant" => {
                    RefreshError::InvalidGrant
                }
                // RFC 6749's codes for "try later": not the user's fault, keep the session.
                RequestTokenError::ServerResponse(r)
                    if matches!(
                        r.error().as_ref(),
                        "temporarily_unavailable" | "server_error"
                    ) =>
                {
                    RefreshError::Unavailable(r.error().as_ref().to_owned())
                }
                RequestTokenError::ServerResponse(r) => {
                    RefreshError::Rejected(r.error().as_ref().to_owned())
                }
                _ => RefreshError::Unavailable(token_error_summary(&e)),
            })?;
        let id_token = match response.extra_fields().id_token() {
            Some(token) => {
                let claims = self
                    .verify_id_token(token, |_: Option<&Nonce>| Ok(()))
                    .await
                    .map_err(RefreshError::IdToken)?;
                if claims.issuer().as_str() != identity.issuer
                    || claims.subject().as_str() != identity.subject
                {
                    return Err(RefreshError::IdentityChanged);
                }
                token.to_string()
            }
            None => current.id_token.clone(),
        };
        Ok(TokenSet::from_response(
            &response,
            id_token,
            current.refresh_token.clone(),
        ))
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

    /// Verifies an ID token, refetching the provider's keys once (rate-limited) when its `kid`
    /// is unknown.
    async fn verify_id_token<N>(
        &self,
        token: &CoreIdToken,
        nonce: N,
    ) -> Result<CoreIdTokenClaims, ClaimsVerificationError>
    where
        N: Clone + openidconnect::NonceVerifier,
    {
        let first = {
            let keys = self.keys.read().await;
            self.verify_with(token, nonce.clone(), &keys.keys)
        };
        match first {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) if self.refetch_keys().await => {
                let keys = self.keys.read().await;
                self.verify_with(token, nonce.clone(), &keys.keys)
            }
            other => other,
        }
    }

    fn verify_with<N: openidconnect::NonceVerifier>(
        &self,
        token: &CoreIdToken,
        nonce: N,
        keys: &CoreJsonWebKeySet,
    ) -> Result<CoreIdTokenClaims, ClaimsVerificationError> {
        let skew = chrono::Duration::from_std(self.clock_skew).unwrap_or_default();
        let verifier: CoreIdTokenVerifier = CoreIdTokenVerifier::new_confidential_client(
            self.client_id.clone(),
            self.client_secret.clone(),
            self.issuer.clone(),
            keys.clone(),
        )
        .set_allowed_algs(ALLOWED_ALGS)
        // `exp` is checked against "now minus leeway", so a token is accepted up to
        // `clock_skew` after it expired by our clock.
        .set_time_fn(move || chrono::Utc::now() - skew)
        .set_issue_time_verifier_fn(move |iat| {
            if iat > chrono::Utc::now() + skew {
                Err(format!("issued in the future ({iat})"))
            } else {
                Ok(())
            }
        });
        let claims = token.clone().into_claims(&verifier, nonce)?;
        check_authorized_party(&claims, &self.client_id)?;
        Ok(claims)
    }

    /// Refetches the key set unless it was refetched within the cool-down. Returns whether new
    /// keys were loaded.
    async fn refetch_keys(&self) -> bool {
        let mut gate = self.refetch_gate.lock().await;
        let cooldown = Duration::from_millis(self.refetch_cooldown_ms.load(Ordering::Relaxed));
        if gate.is_some_and(|at| at.elapsed() < cooldown) {
            tracing::warn!("ID token names an unknown key; key set refetched recently, not again");
            return false;
        }
        *gate = Some(Instant::now());
        match CoreJsonWebKeySet::fetch_async(&self.jwks_uri, &self.http).await {
            Ok(keys) => {
                tracing::info!(
                    count = keys.keys().len(),
                    "refetched the provider's key set"
                );
                *self.keys.write().await = KeyCache {
                    keys,
                    fetched_at: Instant::now(),
                };
                true
            }
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "could not refetch the provider's key set");
                false
            }
        }
    }

    /// How old the cached key set is (for readiness).
    pub async fn keys_age(&self) -> Duration {
        self.keys.read().await.fetched_at.elapsed()
    }

    /// Refetches the key set when it is older than `max_age`, so that keys the provider
    /// rotated in are picked up without waiting for an unknown `kid`, and so that readiness can
    /// tell a provider that stopped answering. Returns whether the keys are now younger than
    /// `max_age`.
    pub async fn refresh_keys_older_than(&self, max_age: Duration) -> bool {
        if self.keys_age().await < max_age {
            return true;
        }
        self.refetch_keys().await
    }
}

/// OpenID Connect Core 3.1.3.7 items 4 and 5: several audiences need `azp`, and `azp`, when
/// present, must be us. `openidconnect` leaves this to the caller.
fn check_authorized_party(
    claims: &CoreIdTokenClaims,
    client_id: &ClientId,
) -> Result<(), ClaimsVerificationError> {
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != client_id.as_str() => Err(
            ClaimsVerificationError::InvalidAudience("azp is not this client".into()),
        ),
        None if claims.audiences().len() > 1 => Err(ClaimsVerificationError::InvalidAudience(
            "several audiences and no azp".into(),
        )),
        _ => Ok(()),
    }
}

fn identity_from(claims: &CoreIdTokenClaims) -> Identity {
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .or_else(|| {
            let given = claims.given_name().and_then(|n| n.get(None))?;
            let family = claims.family_name().and_then(|n| n.get(None));
            Some(match family {
                Some(f) => format!("{} {}", given.as_str(), f.as_str()),
                None => given.as_str().to_owned(),
            })
        });
    let email = claims.email().map(|e| e.as_str().to_owned());
    let mut shown = vec![
        ("iss".to_owned(), claims.issuer().as_str().to_owned()),
        ("sub".to_owned(), claims.subject().as_str().to_owned()),
        (
            "aud".to_owned(),
            claims
                .audiences()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ("iat".to_owned(), claims.issue_time().to_rfc3339()),
        ("exp".to_owned(), claims.expiration().to_rfc3339()),
    ];
    if let Some(t) = claims.auth_time() {
        shown.push(("auth_time".to_owned(), t.to_rfc3339()));
    }
    if let Some(n) = &name {
        shown.push(("name".to_owned(), n.clone()));
    }
    if let Some(e) = &email {
        shown.push(("email".to_owned(), e.clone()));
    }
    if let Some(u) = claims.preferred_username() {
        shown.push(("preferred_username".to_owned(), u.as_str().to_owned()));
    }
    Identity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        name,
        email,
        email_verified: claims.email_verified().unwrap_or(false),
        claims: shown,
    }
}

fn summarize(metadata: &FvProviderMetadata, token_url: &TokenUrl) -> ProviderSummary {
    fn names<T: serde::Serialize>(items: Option<&Vec<T>>) -> Vec<String> {
        items
            .map(|v| {
                v.iter()
                    .filter_map(|i| serde_json::to_value(i).ok())
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
    let extra = metadata.additional_metadata();
    ProviderSummary {
        issuer: metadata.issuer().to_string(),
        authorization_endpoint: metadata.authorization_endpoint().to_string(),
        token_endpoint: token_url.to_string(),
        end_session_endpoint: extra.end_session_endpoint.as_ref().map(Url::to_string),
        revocation_endpoint: extra.revocation_endpoint.as_ref().map(Url::to_string),
        scopes_supported: names(metadata.scopes_supported()),
        grant_types_supported: names(metadata.grant_types_supported()),
        signing_algs: names(Some(metadata.id_token_signing_alg_values_supported())),
        pkce_methods: extra
            .code_challenge_methods_supported
            .clone()
            .unwrap_or_default(),
        iss_parameter: extra.authorization_response_iss_parameter_supported,
        auth_methods: names(metadata.token_endpoint_auth_methods_supported()),
    }
}

/// A token-endpoint failure in words that never include the request (and so no secret).
fn token_error_summary<E: std::error::Error>(
    e: &RequestTokenError<E, StandardErrorResponse<CoreErrorResponseType>>,
) -> String {
    match e {
        RequestTokenError::ServerResponse(r) => match r.error_description() {
            Some(d) => format!("{}: {d}", r.error().as_ref()),
            None => r.error().as_ref().to_owned(),
        },
        RequestTokenError::Request(inner) => format!("request failed: {}", error_chain(inner)),
        RequestTokenError::Parse(err, _) => format!("unreadable response: {err}"),
        RequestTokenError::Other(o) => o.clone(),
    }
}

impl TokenSet {
    fn from_response(
        r: &CoreTokenResponse,
        id_token: String,
        previous_refresh: Option<String>,
    ) -> Self {
        let expires_in = r.expires_in().unwrap_or(Duration::from_secs(300)).as_secs() as i64;
        TokenSet {
            access_token: r.access_token().secret().clone(),
            // A provider that does not rotate sends no new refresh token: keep the old one.
            refresh_token: r
                .refresh_token()
                .map(|t| t.secret().clone())
                .or(previous_refresh),
            id_token,
            expires_at: now_unix() + expires_in,
            scope: r.scopes().map(|s| {
                s.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
        }
    }
}
