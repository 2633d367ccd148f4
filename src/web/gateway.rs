//! Extractors that hand a handler the gateway as the signed-in user: [`UserApi`] (any page of
//! a signed-in user) and [`OrgGateway`] (pages that act in the user's current organization).
//! Tokens come from the session's vault through [`SessionTokens`], with the one
//! refresh-and-retry after a 401 of [`AuthedGateway`]; failures become the [`AppError`] that
//! sends the user to sign in again and back to this page.

use std::sync::Arc;

use axum::{
    extract::FromRequestParts,
    http::request::Parts,
    response::{IntoResponse, Redirect, Response},
};

use super::extract::{here, SignedIn};
use crate::web::error::AppError;
use crate::{
    auth::{ReturnTo, SessionTokens, TokenVault, VaultError},
    filevine::{
        AuthedError, AuthedGateway, OrgContext, PageFetcher, Project, ProjectId, ProjectPage,
        ProjectQuery,
    },
    state::AppState,
};

/// The signed-in user and the gateway as them.
pub struct UserApi {
    pub signed: SignedIn,
    /// The gateway as the user for this page's calls (tokens read once per page, see
    /// [`SessionTokens`]).
    pub gw: AuthedGateway<SessionTokens>,
    /// This page, to come back to after signing in again.
    pub here: ReturnTo,
    vault: Arc<TokenVault>,
}

impl UserApi {
    /// The gateway as the user for a walk over every page (exports, summary scans, reports),
    /// which may outlast the page by minutes: it reads the vault at every call.
    pub fn walk_gateway(&self) -> AuthedGateway<SessionTokens> {
        let tokens = SessionTokens::per_call(self.vault.clone(), self.signed.user.clone());
        AuthedGateway::new(self.signed.env.gateway.clone(), Arc::new(tokens))
    }

    /// The web error for a failed call: a lost session signs in again and comes back here.
    pub fn error(&self, e: AuthedError<VaultError>) -> AppError {
        AppError::from_authed(e, self.here.clone())
    }
}

impl FromRequestParts<AppState> for UserApi {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let signed = SignedIn::from_request_parts(parts, state).await?;
        let tokens = SessionTokens::new(state.vault.clone(), signed.user.clone());
        Ok(UserApi {
            gw: AuthedGateway::new(signed.env.gateway.clone(), Arc::new(tokens)),
            here: here(parts),
            signed,
            vault: state.vault.clone(),
        })
    }
}

/// [`UserApi`] in the user's current organization. A user in several orgs who has not chosen
/// one is sent to the chooser and brought back.
pub struct OrgGateway {
    pub api: UserApi,
    pub ctx: OrgContext,
}

impl OrgGateway {
    /// One page of the org's projects.
    pub async fn projects(&self, query: &ProjectQuery) -> Result<ProjectPage, AppError> {
        let result = self.api.gw.projects(self.ctx, query).await;
        result.map_err(|e| self.api.error(e))
    }

    /// One project.
    pub async fn project(&self, id: ProjectId) -> Result<Project, AppError> {
        let result = self.api.gw.project(self.ctx, id).await;
        result.map_err(|e| self.api.error(e))
    }

    /// The environment the org and user ids belong to (part of every cache key of theirs).
    pub fn environment(&self) -> &str {
        &self.api.signed.user.environment
    }

    /// A page fetcher for walks over every page (summary scan, export).
    pub fn page_fetcher(&self) -> impl PageFetcher {
        self.api.walk_gateway().page_fetcher(self.ctx)
    }
}

impl FromRequestParts<AppState> for OrgGateway {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let api = UserApi::from_request_parts(parts, state).await?;
        let user = &api.signed.user;
        match (user.current_org, user.fv_user_id) {
            (Some(org_id), Some(user_id)) => Ok(OrgGateway {
                ctx: OrgContext { org_id, user_id },
                api,
            }),
            _ if user.orgs.len() > 1 => {
                let rt: String =
                    url::form_urlencoded::byte_serialize(api.here.as_str().as_bytes()).collect();
                Err(Redirect::to(&format!("/org?return_to={rt}")).into_response())
            }
            _ => Err(AppError::BadRequest(
                "Your Filevine user belongs to no organization this app can see. Ask your Filevine administrator to add you to one, then sign in again.",
            )
            .into_response()),
        }
    }
}
