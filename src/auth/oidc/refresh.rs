//! Using the refresh token (one attempt, with a verdict on whether a retry is safe) and
//! revoking it at logout (RFC 7009).
//!
//! The retry rule. A rotating refresh token is spent the moment the provider processes the
//! request, so a retry is only safe when the first attempt provably did not count:
//! - a connect error (nothing reached the provider), or
//! - an answer in which the provider said it did nothing: any 5xx, or the error codes
//!   `temporarily_unavailable` / `server_error`.
//!
//! A read timeout, a connection reset after the request was sent, or a 200 we cannot parse may
//! mean the provider rotated already: resending the old token would present a spent token
//! (reuse, which may revoke the whole grant). Those are reported as unavailable *without*
//! retry; the session is kept and the next request tries again.

use std::{
    future::Future,
    pin::Pin,
    sync::atomic::{AtomicU16, Ordering},
    time::Duration,
};

use openidconnect::{
    core::{CoreErrorResponseType, CoreTokenResponse},
    AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse, Nonce, RefreshToken,
    RequestTokenError, StandardErrorResponse,
};

use super::{verify::is_unknown_key, Identity, OidcProvider};
use crate::{
    auth::{error::RefreshError, tokens::TokenSet},
    util::error_chain,
};

/// How long logout waits for the revocation endpoint before going on without it.
const REVOCATION_TIMEOUT: Duration = Duration::from_secs(5);

/// A failed refresh attempt and whether trying again is safe (see the module docs).
#[derive(Debug)]
pub struct RefreshFailure {
    pub error: RefreshError,
    pub retry: bool,
}

impl RefreshFailure {
    fn final_(error: RefreshError) -> Self {
        Self {
            error,
            retry: false,
        }
    }
}

type TokenError = RequestTokenError<
    HttpClientError<reqwest::Error>,
    StandardErrorResponse<CoreErrorResponseType>,
>;

impl OidcProvider {
    /// Uses the refresh token once. A new ID token, when the provider sends one, must name the
    /// same issuer and subject as the session's (OpenID Connect Core 12.2); it carries no
    /// nonce. If it is signed with a key we do not know even after refetching the key set, the
    /// new access and refresh tokens are kept with the previous ID token: they came from our
    /// own authenticated request, and the old refresh token is spent already.
    pub async fn refresh(
        &self,
        current: &TokenSet,
        identity: &Identity,
    ) -> Result<TokenSet, RefreshFailure> {
        let refresh_token = current
            .refresh_token
            .as_ref()
            .ok_or(RefreshFailure::final_(RefreshError::NoRefreshToken))?;
        let http = StatusRecorder {
            http: self.http.clone(),
            status: AtomicU16::new(0),
        };
        let response = self
            .client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.clone()))
            .request_async(&http)
            .await
            .map_err(|e| classify(&e, http.status.load(Ordering::Relaxed)))?;
        let now = self.clock.now_unix();
        let id_token = self
            .refreshed_id_token(&response, current, identity)
            .await?;
        Ok(TokenSet::from_response(
            &response,
            id_token,
            current.refresh_token.clone(),
            now,
        ))
    }

    /// The ID token to keep after a refresh: the new one when verified, the old one when the
    /// provider sent none or signed it with a key we cannot get.
    async fn refreshed_id_token(
        &self,
        response: &CoreTokenResponse,
        current: &TokenSet,
        identity: &Identity,
    ) -> Result<String, RefreshFailure> {
        let Some(token) = openidconnect::TokenResponse::id_token(response) else {
            return Ok(current.id_token.clone());
        };
        let no_nonce = |_: Option<&Nonce>| Ok(());
        let mut verified = self.verify_id_token(token, no_nonce).await;
        if matches!(&verified, Err(e) if is_unknown_key(e)) && self.refetch_keys_gated(false).await
        {
            verified = self.verify_id_token(token, no_nonce).await;
        }
        match verified {
            Ok(claims) => {
                if claims.issuer().as_str() != identity.issuer
                    || claims.subject().as_str() != identity.subject
                {
                    return Err(RefreshFailure::final_(RefreshError::IdentityChanged));
                }
                Ok(token.to_string())
            }
            Err(e) if is_unknown_key(&e) => {
                tracing::warn!(
                    "refreshed ID token is signed with a key the provider does not publish (yet); keeping the new tokens and the previous ID token"
                );
                Ok(current.id_token.clone())
            }
            Err(e) => Err(RefreshFailure::final_(RefreshError::IdToken(error_chain(
                &e,
            )))),
        }
    }

    /// Whether discovery advertised an RFC 7009 revocation endpoint.
    pub fn can_revoke(&self) -> bool {
        self.revocation.is_some()
    }

    /// Revokes a refresh token (RFC 7009) so a copy of it (a backup, a leaked database) is
    /// worthless after logout. Best effort: waits at most a few seconds, and the caller logs
    /// a failure and signs the user out anyway. Returns `Ok(false)` when the provider
    /// advertises no revocation endpoint.
    ///
    /// Written on `reqwest` rather than `openidconnect`'s `revoke_token`, which refuses any
    /// `http://` endpoint, also the loopback providers the configuration allows for tests and
    /// the stand-in. Client authentication is the token endpoint's (RFC 7009 section 2.1).
    pub async fn revoke_refresh_token(&self, token: &str) -> Result<bool, String> {
        let Some(url) = self.revocation.clone() else {
            return Ok(false);
        };
        let mut form = vec![("token", token), ("token_type_hint", "refresh_token")];
        let mut request = self.http.post(url);
        if self.secret_in_body {
            form.push(("client_id", self.client_id.as_str()));
            form.push(("client_secret", self.client_secret.secret()));
        } else {
            // RFC 6749 section 2.3.1: both halves form-urlencoded before Basic encoding.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request = request.basic_auth(
                enc(self.client_id.as_str()),
                Some(enc(self.client_secret.secret())),
            );
        }
        let sent = tokio::time::timeout(REVOCATION_TIMEOUT, request.form(&form).send()).await;
        match sent {
            Ok(Ok(r)) if r.status().is_success() => Ok(true),
            Ok(Ok(r)) => Err(format!("status {}", r.status())),
            Ok(Err(e)) => Err(format!("request failed: {}", error_chain(&e))),
            Err(_) => Err(format!(
                "no answer within {} s",
                REVOCATION_TIMEOUT.as_secs()
            )),
        }
    }
}

/// The shared HTTP client, remembering the status of the answer: `openidconnect` turns a 5xx
/// without a JSON body into a parse error that no longer says it was a 5xx.
struct StatusRecorder {
    http: reqwest::Client,
    status: AtomicU16,
}

impl<'c> AsyncHttpClient<'c> for StatusRecorder {
    type Error = HttpClientError<reqwest::Error>;
    type Future =
        Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.http.call(request).await?;
            self.status
                .store(response.status().as_u16(), Ordering::Relaxed);
            Ok(response)
        })
    }
}

/// Sorts a failed refresh request by the retry rule of the module docs. `status` is the HTTP
/// status the provider answered with (0: no answer).
fn classify(e: &TokenError, status: u16) -> RefreshFailure {
    let temporary = |why: String| RefreshFailure {
        error: RefreshError::Unavailable(why),
        retry: true,
    };
    let uncertain = |why: String| RefreshFailure::final_(RefreshError::Unavailable(why));
    match e {
        RequestTokenError::ServerResponse(r) if r.error().as_ref() == "invalid_grant" => {
            RefreshFailure::final_(RefreshError::InvalidGrant)
        }
        // RFC 6749's codes for "try later": not the user's fault, keep the session.
        RequestTokenError::ServerResponse(r)
            if matches!(
                r.error().as_ref(),
                "temporarily_unavailable" | "server_error"
            ) || status >= 500 =>
        {
            temporary(r.error().as_ref().to_owned())
        }
        RequestTokenError::ServerResponse(r) => {
            RefreshFailure::final_(RefreshError::Rejected(r.error().as_ref().to_owned()))
        }
        RequestTokenError::Request(HttpClientError::Reqwest(inner)) if inner.is_connect() => {
            temporary(token_error_summary(e))
        }
        _ if status >= 500 => temporary(format!("status {status}")),
        _ => uncertain(token_error_summary(e)),
    }
}

/// A token-endpoint failure in words that never include the request (and so no secret).
pub(super) fn token_error_summary<E: std::error::Error>(
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
