//! Calling the gateway on behalf of the signed-in user: a fresh token, and one refresh plus
//! one retry after a 401. A second 401 is reported, not looped.

use std::future::Future;

use super::extract::SignedIn;
use crate::{auth::ReturnTo, error::AppError, filevine::GatewayError, state::AppState};

/// Runs `call` with the user's access token, refreshing once on 401.
pub async fn with_token<T, F, Fut>(
    state: &AppState,
    signed: &SignedIn,
    return_to: &ReturnTo,
    call: F,
) -> Result<T, AppError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T, GatewayError>>,
{
    let vault_err = |e| AppError::from_vault(e, return_to.clone());
    let token = state
        .vault
        .access_token(&signed.user)
        .await
        .map_err(vault_err)?;
    match call(token.clone()).await {
        Err(GatewayError::Unauthorized) => {
            tracing::info!(sub = %signed.user.identity.subject, "gateway said 401; refreshing once");
            let fresh = state
                .vault
                .refresh_after_401(&signed.user, &token)
                .await
                .map_err(vault_err)?;
            Ok(call(fresh).await?)
        }
        other => Ok(other?),
    }
}
