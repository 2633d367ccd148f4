//! The gateway client: a trait (so handlers can be tested against anything) and the reqwest
//! implementation sharing the app's one connection-pooled HTTP client.

use std::{sync::Arc, time::Duration};

use super::fair_share::FairShare;
use async_trait::async_trait;
use reqwest::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::{
    error::GatewayError,
    models::{camel_case_keys, OrgUser, ProjectTypePage, UserOrgs},
    projects::{Project, ProjectId, ProjectPage, ProjectQuery},
    retry::RetryPolicy,
    webhooks::WebhookCall,
};

/// Which org and user a call acts for: the `x-fv-orgid` / `x-fv-userid` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrgContext {
    pub org_id: i64,
    pub user_id: i64,
}

/// The Filevine API gateway.
#[async_trait]
pub trait Gateway: Send + Sync + 'static {
    /// `POST /fv-app/v2/utils/GetUserOrgsWithToken`: who the token is, and their orgs.
    async fn user_orgs(&self, token: &str) -> Result<UserOrgs, GatewayError>;
    /// `GET /fv-app/v2/Users/Me` in an org.
    async fn me(&self, token: &str, ctx: OrgContext) -> Result<OrgUser, GatewayError>;
    /// `GET /fv-app/v2/Projects`: one page of the org's projects.
    async fn projects(
        &self,
        token: &str,
        ctx: OrgContext,
        query: &ProjectQuery,
    ) -> Result<ProjectPage, GatewayError>;
    /// `GET /fv-app/v2/Projects/{projectId}`: one project.
    async fn project(
        &self,
        token: &str,
        ctx: OrgContext,
        id: ProjectId,
    ) -> Result<Project, GatewayError>;
    /// `GET /fv-app/v2/ProjectTypes`: one page (`limit` 1000) of the org's project types,
    /// from `offset`.
    async fn project_types(
        &self,
        token: &str,
        ctx: OrgContext,
        offset: u64,
    ) -> Result<ProjectTypePage, GatewayError>;
    /// One webhook operation ([`super::webhooks`]): its answer as JSON, read by the typed
    /// operations there.
    async fn webhooks(
        &self,
        token: &str,
        ctx: OrgContext,
        call: &WebhookCall,
    ) -> Result<serde_json::Value, GatewayError>;
}

/// [`Gateway`] over HTTP.
pub struct HttpGateway {
    http: reqwest::Client,
    base: Url,
    in_flight: Arc<FairShare>,
    retry: RetryPolicy,
}

impl HttpGateway {
    /// A client for the gateway at `base`, with at most `concurrency` calls in flight and at
    /// most half of them for one user ([`FairShare`]).
    pub fn new(http: reqwest::Client, base: Url, concurrency: usize) -> Self {
        let mut base = base;
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        Self {
            http,
            base,
            in_flight: Arc::new(FairShare::new(concurrency)),
            retry: RetryPolicy::default(),
        }
    }

    /// The same client with another retry budget (tests shorten the waits).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// One logical call: attempts plus bounded, policy-driven waits. The in-flight permit is
    /// held only while a request is on the wire, never while waiting to retry, so a backing-off
    /// call does not starve the others.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: &str,
        ctx: Option<OrgContext>,
        query: &[(&str, String)],
    ) -> Result<T, GatewayError> {
        self.call_with(method, path, token, ctx, query, None).await
    }

    /// [`HttpGateway::call`] with a JSON body.
    async fn call_with<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: &str,
        ctx: Option<OrgContext>,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<T, GatewayError> {
        let idempotent = method == Method::GET;
        let mut attempt = 0;
        loop {
            match self
                .attempt(method.clone(), path, token, ctx, query, body)
                .await
            {
                Ok(v) => return Ok(v),
                Err(e) => match self.retry.wait_before_retry(attempt, idempotent, &e) {
                    Some(wait) => {
                        tracing::info!(path, attempt, wait_ms = wait.as_millis() as u64, error = %e, "gateway call will be retried");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    None => return Err(e),
                },
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: &str,
        ctx: Option<OrgContext>,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<T, GatewayError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| GatewayError::Network(e.to_string()))?;
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(token)
            .header(header::ACCEPT, "application/json")
            .query(query);
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(ctx) = ctx {
            req = req
                .header("x-fv-orgid", ctx.org_id)
                .header("x-fv-userid", ctx.user_id);
        }
        let permit = self
            .in_flight
            .acquire(ctx.map(|c| c.user_id))
            .await
            .map_err(|_| GatewayError::Network("client shut down".into()))?;
        // The call and the reading of its answer run in a task that owns the permit, so a
        // caller that goes away (a browser that hung up, a walk past its last page) frees the
        // permit only once the gateway has answered or the connection failed: the gateway
        // keeps working on a call its client dropped, and the level bounds what it sees.
        let path = path.to_owned();
        let call = tokio::spawn(async move {
            let _permit = permit;
            send_and_read(req, &path).await
        });
        let body = call
            .await
            .map_err(|e| GatewayError::Network(format!("the gateway call failed: {e}")))??;
        // One parse, straight from the bytes into the typed response (both casings are serde
        // aliases): no intermediate `Value` tree.
        serde_json::from_slice(&body).map_err(|e| GatewayError::Decode(e.to_string()))
    }
}

/// Sends `req` and reads the whole answer: the body of a success, the error of anything else.
async fn send_and_read(
    req: reqwest::RequestBuilder,
    path: &str,
) -> Result<bytes::Bytes, GatewayError> {
    let started = std::time::Instant::now();
    let response = req.send().await.map_err(|e| {
        let (label, err) = if e.is_timeout() {
            ("timeout", GatewayError::Timeout)
        } else {
            (
                "network",
                GatewayError::Network(crate::util::error_chain(&e)),
            )
        };
        crate::metrics::gateway_call(path, label, started.elapsed());
        err
    })?;
    let status = response.status();
    crate::metrics::gateway_call(path, status.as_str(), started.elapsed());
    tracing::debug!(
        path,
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "gateway call"
    );
    if status.is_success() {
        return response
            .bytes()
            .await
            .map_err(|e| GatewayError::Network(crate::util::error_chain(&e)));
    }
    Err(error_from(status, response).await)
}

async fn error_from(status: StatusCode, response: reqwest::Response) -> GatewayError {
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let v = camel_case_keys(v);
            v.get("message")
                .or_else(|| v.get("error"))
                .and_then(|m| m.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    match status {
        StatusCode::UNAUTHORIZED => GatewayError::Unauthorized,
        StatusCode::FORBIDDEN => GatewayError::Forbidden(if message.is_empty() {
            "not permitted".into()
        } else {
            message
        }),
        StatusCode::NOT_FOUND => GatewayError::NotFound,
        StatusCode::TOO_MANY_REQUESTS => GatewayError::RateLimited { retry_after },
        s if s.is_server_error() => GatewayError::Server {
            status: s.as_u16(),
            message,
        },
        s => GatewayError::Status {
            status: s.as_u16(),
            message,
        },
    }
}

#[async_trait]
impl Gateway for HttpGateway {
    async fn user_orgs(&self, token: &str) -> Result<UserOrgs, GatewayError> {
        self.call(
            Method::POST,
            "fv-app/v2/utils/GetUserOrgsWithToken",
            token,
            None,
            &[],
        )
        .await
    }

    async fn me(&self, token: &str, ctx: OrgContext) -> Result<OrgUser, GatewayError> {
        self.call(Method::GET, "fv-app/v2/Users/Me", token, Some(ctx), &[])
            .await
    }

    async fn projects(
        &self,
        token: &str,
        ctx: OrgContext,
        query: &ProjectQuery,
    ) -> Result<ProjectPage, GatewayError> {
        self.call(
            Method::GET,
            "fv-app/v2/Projects",
            token,
            Some(ctx),
            &query.to_pairs(),
        )
        .await
    }

    async fn project(
        &self,
        token: &str,
        ctx: OrgContext,
        id: ProjectId,
    ) -> Result<Project, GatewayError> {
        self.call(
            Method::GET,
            &format!("fv-app/v2/Projects/{}", id.get()),
            token,
            Some(ctx),
            &[],
        )
        .await
    }

    async fn project_types(
        &self,
        token: &str,
        ctx: OrgContext,
        offset: u64,
    ) -> Result<ProjectTypePage, GatewayError> {
        let query = [
            ("limit", super::projects::MAX_PAGE_SIZE.to_string()),
            ("offset", offset.to_string()),
        ];
        self.call(
            Method::GET,
            "fv-app/v2/ProjectTypes",
            token,
            Some(ctx),
            &query,
        )
        .await
    }

    async fn webhooks(
        &self,
        token: &str,
        ctx: OrgContext,
        call: &WebhookCall,
    ) -> Result<serde_json::Value, GatewayError> {
        let (method, path, body) = call.request();
        self.call_with(method, &path, token, Some(ctx), &[], body.as_ref())
            .await
    }
}
