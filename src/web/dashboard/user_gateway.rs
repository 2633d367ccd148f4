//! The gateway as one signed-in user in one org, for work that outlives a single call (the
//! summary scan and the streamed export): it keeps the current access token and, like
//! [`crate::web::gateway_call::with_token`], refreshes once after a 401 and tries again.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::{
    auth::{ReturnTo, SessionUser},
    error::AppError,
    filevine::{GatewayError, OrgContext, ProjectPage, ProjectQuery},
    state::AppState,
};

/// A cheap-to-clone handle (everything behind `Arc`s).
#[derive(Clone)]
pub struct UserGateway {
    state: AppState,
    user: Arc<SessionUser>,
    ctx: OrgContext,
    token: Arc<Mutex<String>>,
}

impl UserGateway {
    /// Takes the user's current access token (refreshing it first when it is about to
    /// expire). Fails like [`with_token`](crate::web::gateway_call::with_token) does: a lost
    /// session sends the user to sign in and come back to `return_to`.
    pub async fn new(
        state: &AppState,
        user: &SessionUser,
        ctx: OrgContext,
        return_to: &ReturnTo,
    ) -> Result<Self, AppError> {
        let token = state
            .vault
            .access_token(user)
            .await
            .map_err(|e| AppError::from_vault(e, return_to.clone()))?;
        Ok(Self {
            state: state.clone(),
            user: Arc::new(user.clone()),
            ctx,
            token: Arc::new(Mutex::new(token)),
        })
    }

    /// The org this handle acts in.
    pub fn ctx(&self) -> OrgContext {
        self.ctx
    }

    /// One page of projects; one refresh and retry after a 401.
    pub async fn projects(&self, query: ProjectQuery) -> Result<ProjectPage, GatewayError> {
        let token = self.token.lock().await.clone();
        match self.state.gateway.projects(&token, self.ctx, &query).await {
            Err(GatewayError::Unauthorized) => {
                let fresh = {
                    let mut current = self.token.lock().await;
                    if *current == token {
                        // The vault serialises refreshes per session, so parallel pages that
                        // all saw the 401 cause one refresh.
                        *current = self
                            .state
                            .vault
                            .refresh_after_401(&self.user, &token)
                            .await
                            .map_err(|e| {
                                tracing::warn!(error = %e, "refresh during a long gateway walk failed");
                                GatewayError::Unauthorized
                            })?;
                    }
                    current.clone()
                };
                self.state.gateway.projects(&fresh, self.ctx, &query).await
            }
            other => other,
        }
    }
}
