//! The gateway with a token source: every call gets a bearer token, and after a 401 the
//! source is asked once for a fresh one and the call is tried once more (a second 401 is
//! reported, not looped). This is the one place that rule is written; a signed-in user's
//! session, the service account's PAT and each named connection (a PAT or a refresh token)
//! are just [`TokenSource`]s.

use std::{fmt, sync::Arc};

use futures::future::BoxFuture;

use async_trait::async_trait;

use super::{
    models::{OrgUser, ProjectType, UserOrgs},
    Gateway, GatewayError, OrgContext, Project, ProjectId, ProjectPage, ProjectQuery,
};

/// Most pages of project types read (of 1,000 each).
pub const MAX_TYPE_PAGES: usize = 10;

/// Where bearer tokens come from.
#[async_trait]
pub trait TokenSource: Send + Sync + 'static {
    /// Why no token could be had (a refused refresh token, an unreachable provider...).
    type Error: std::error::Error + Send + Sync + 'static;

    /// A bearer token good for at least the next call.
    async fn token(&self) -> Result<String, Self::Error>;

    /// The gateway refused `spent` with 401: a fresh token. Implementations get a new one
    /// only if nobody replaced `spent` in the meantime, so parallel calls that all saw the
    /// same 401 cause one refresh.
    async fn after_unauthorized(&self, spent: &str) -> Result<String, Self::Error>;
}

/// A call through [`AuthedGateway`] failed: no token, or the gateway said no.
#[derive(Debug)]
pub enum AuthedError<E> {
    /// The token source failed.
    Token(E),
    /// The gateway refused or failed (after the one retry for a 401).
    Gateway(GatewayError),
}

impl<E: fmt::Display> fmt::Display for AuthedError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthedError::Token(e) => write!(f, "no token: {e}"),
            AuthedError::Gateway(e) => e.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for AuthedError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthedError::Token(e) => Some(e),
            AuthedError::Gateway(e) => Some(e),
        }
    }
}

impl<E: fmt::Display> AuthedError<E> {
    /// As a plain gateway error, for page walkers that only know [`GatewayError`]: a token
    /// that could not be had is a 401 (and its reason is logged here, since it is lost).
    pub fn into_gateway(self) -> GatewayError {
        match self {
            AuthedError::Gateway(g) => g,
            AuthedError::Token(e) => {
                tracing::warn!(error = %e, "no token for a gateway call");
                GatewayError::Unauthorized
            }
        }
    }
}

/// The gateway as one token source. Cheap to clone (two `Arc`s), so page walkers can hand a
/// clone to every page they fetch.
pub struct AuthedGateway<S> {
    gateway: Arc<dyn Gateway>,
    source: Arc<S>,
}

impl<S> Clone for AuthedGateway<S> {
    fn clone(&self) -> Self {
        Self {
            gateway: self.gateway.clone(),
            source: self.source.clone(),
        }
    }
}

impl<S: TokenSource> AuthedGateway<S> {
    /// `gateway` called with tokens from `source`.
    pub fn new(gateway: Arc<dyn Gateway>, source: Arc<S>) -> Self {
        Self { gateway, source }
    }

    /// The token source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The gateway underneath (for the operations written in sibling modules).
    pub(super) fn gateway(&self) -> &Arc<dyn Gateway> {
        &self.gateway
    }

    /// Runs `call` with a token; after a 401, once more with a fresh one.
    pub(super) async fn with_token<T, F, Fut>(&self, call: F) -> Result<T, AuthedError<S::Error>>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, GatewayError>>,
    {
        let token = self.source.token().await.map_err(AuthedError::Token)?;
        match call(token.clone()).await {
            Err(GatewayError::Unauthorized) => {
                tracing::info!("gateway said 401; getting a fresh token and trying once more");
                let fresh = self
                    .source
                    .after_unauthorized(&token)
                    .await
                    .map_err(AuthedError::Token)?;
                call(fresh).await.map_err(AuthedError::Gateway)
            }
            other => other.map_err(AuthedError::Gateway),
        }
    }

    /// `GetUserOrgsWithToken`: who the token is, and their orgs.
    pub async fn user_orgs(&self) -> Result<UserOrgs, AuthedError<S::Error>> {
        self.with_token(|t| async move { self.gateway.user_orgs(&t).await })
            .await
    }

    /// `Users/Me` in an org.
    pub async fn me(&self, ctx: OrgContext) -> Result<OrgUser, AuthedError<S::Error>> {
        self.with_token(|t| async move { self.gateway.me(&t, ctx).await })
            .await
    }

    /// One page of an org's projects.
    pub async fn projects(
        &self,
        ctx: OrgContext,
        query: &ProjectQuery,
    ) -> Result<ProjectPage, AuthedError<S::Error>> {
        self.with_token(|t| async move { self.gateway.projects(&t, ctx, query).await })
            .await
    }

    /// One project.
    pub async fn project(
        &self,
        ctx: OrgContext,
        id: ProjectId,
    ) -> Result<Project, AuthedError<S::Error>> {
        self.with_token(|t| async move { self.gateway.project(&t, ctx, id).await })
            .await
    }

    /// Every project type of the org (`ProjectTypes`, page by page; a firm has a handful, so
    /// a bound of [`MAX_TYPE_PAGES`] pages only stops a gateway that always says `hasMore`).
    pub async fn project_types(
        &self,
        ctx: OrgContext,
    ) -> Result<Vec<ProjectType>, AuthedError<S::Error>> {
        let mut all = Vec::new();
        for _ in 0..MAX_TYPE_PAGES {
            let offset = all.len() as u64;
            let page = self
                .with_token(|t| async move { self.gateway.project_types(&t, ctx, offset).await })
                .await?;
            let done = !page.has_more || page.items.is_empty();
            all.extend(page.items);
            if done {
                break;
            }
        }
        Ok(all)
    }

    /// A page fetcher for walks over every page ([`super::walk::pages`], the summary
    /// scan, exports): owns a clone, so the future it returns is `'static`.
    pub fn page_fetcher(&self, ctx: OrgContext) -> impl PageFetcher {
        let gw = self.clone();
        move |q: ProjectQuery| {
            let gw = gw.clone();
            Box::pin(async move {
                gw.projects(ctx, &q)
                    .await
                    .map_err(AuthedError::into_gateway)
            })
        }
    }
}

/// What walks over every page take: a cloneable function from a page's query to that page,
/// with a `'static` future so walks can run pages concurrently on spawned tasks.
pub trait PageFetcher:
    Fn(ProjectQuery) -> BoxFuture<'static, Result<ProjectPage, GatewayError>>
    + Send
    + Sync
    + Clone
    + 'static
{
}

impl<F> PageFetcher for F where
    F: Fn(ProjectQuery) -> BoxFuture<'static, Result<ProjectPage, GatewayError>>
        + Send
        + Sync
        + Clone
        + 'static
{
}
