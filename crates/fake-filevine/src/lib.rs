//! A loopback-only stand-in for Filevine Identity (an IdentityServer-style OpenID provider) and
//! the Filevine API gateway, on one HTTP server.
//!
//! It is deterministic and loudly labelled as a demo, and it checks what the real services
//! check for a confidential client (exact redirect URIs, PKCE S256, single-use codes, rotating
//! refresh tokens, client authentication, gateway headers and scopes), answering with OAuth error
//! JSON. Used by the demo mode, by `fv-partner-app fake-filevine` and by black-box tests, which
//! steer it with [`FakeControl`] (or `POST /_fake/control` from another process).
//!
//! Files: [`options`] (configuration), `keys` (RSA signing key, JWKS), [`provider`]
//! (discovery, authorize, token, userinfo, end_session, revocation), [`gateway`] (the
//! `/fv-app/v2/...` API), [`data`] (demo users and projects), [`control`] (test controls),
//! `introspection` (optionally trusting another provider's tokens at the gateway).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};

use axum::routing::{get, post};
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub mod backchannel;
pub mod contract;
mod contract_guard;
pub mod control;
mod control_http;
pub mod data;
pub mod gateway;
mod generate;
pub mod hostile;
mod introspection;
mod kept_grants;
pub(crate) mod keys;
mod list_query;
mod loopback;
pub mod options;
pub mod paging;
pub mod project_changes;
mod project_page;
mod project_types;
pub mod provider;
mod refresh_grant;
mod rendered;
mod state;
mod users;
pub mod webhook_delivery;
mod webhook_token;
pub mod webhooks;
mod wire;

pub use contract::Casing;
pub use control::{FakeControl, ProjectFilter, RecordedRequest};
pub use data::{DemoOrg, DemoUser, ADA, BEN, DEMO_USERS, PHASES, REPORTING_BOT};
pub use hostile::Tamper;
pub use options::{
    FakeClient, FakeOptions, FakePat, TrustedIntrospection, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
    DEMO_PAT,
};
pub use project_changes::ProjectChange;
pub use refresh_grant::RefreshFault;
pub use webhook_delivery::{DeliveryRecord, WEBHOOK_AUDIENCE};

use state::{lock, Grants, Shared};

/// Why the stand-in could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// The stand-in only ever listens on loopback.
    #[error("the Filevine stand-in only listens on a loopback address, not {0}")]
    NotLoopback(SocketAddr),
    /// Binding the listen address failed.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The options are inconsistent (e.g. a PAT of an unknown user).
    #[error("invalid stand-in options: {0}")]
    Config(String),
    /// Making or using the signing key failed.
    #[error("signing key error: {0}")]
    Key(String),
    /// The server stopped with an error.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// A running stand-in. Stops on [`FakeFilevine::shutdown`] or when dropped.
pub struct FakeFilevine {
    addr: SocketAddr,
    control: FakeControl,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), std::io::Error>>>,
}

impl FakeFilevine {
    /// Bind `opts.listen` (loopback only), spawn the server and return once it is listening.
    pub async fn start(opts: FakeOptions) -> Result<FakeFilevine, FakeError> {
        if !opts.listen.ip().is_loopback() {
            return Err(FakeError::NotLoopback(opts.listen));
        }
        if opts.clients.is_empty() {
            return Err(FakeError::Config("no clients registered".into()));
        }
        let mut pats = Vec::new();
        for pat in &opts.pats {
            let user = data::user_by_email(&pat.user_email).ok_or_else(|| {
                FakeError::Config(format!(
                    "PAT user {:?} is not one of the demo users",
                    pat.user_email
                ))
            })?;
            pats.push((pat.clone(), user));
        }
        let introspector = opts
            .trusted_introspection
            .clone()
            .map(introspection::Introspector::new)
            .transpose()?;
        let alg = opts.id_token_alg;
        let extra = opts.extra_jwks_keys;
        let keys = tokio::task::spawn_blocking(move || {
            let signing = Arc::new(keys::SigningKeys::generate(alg)?);
            let mut published = vec![signing.clone()];
            for _ in 0..extra {
                published.push(Arc::new(keys::SigningKeys::generate(alg)?));
            }
            Ok::<_, FakeError>(hostile::KeyRing { signing, published })
        })
        .await
        .map_err(|e| FakeError::Key(e.to_string()))??;
        let kept = opts
            .keep_refresh_tokens
            .as_deref()
            .map(kept_grants::load)
            .unwrap_or_default();
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| FakeError::Bind {
                addr: opts.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| FakeError::Bind {
            addr: opts.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            issuer: format!("http://{addr}"),
            clients: opts.clients.clone(),
            pats,
            rotation: opts.refresh_token_rotation,
            projects_per_org: opts.projects_per_org,
            anchor: opts.anchor.unwrap_or_else(data::anchor),
            hostile_names: opts.hostile_names,
            keys: Mutex::new(keys),
            hostile: Mutex::new(hostile::Hostile {
                iss_unadvertised: !opts.advertise_iss_parameter,
                revocation_unadvertised: !opts.advertise_revocation,
                ..Default::default()
            }),
            jwks_fetches: AtomicUsize::new(0),
            userinfo_calls: AtomicUsize::new(0),
            grants: Mutex::new(Grants {
                refresh: kept,
                ..Grants::default()
            }),
            access_ttl: Mutex::new(opts.access_token_ttl),
            token_down: AtomicBool::new(false),
            token_calls: Mutex::new(HashMap::new()),
            gateway_latency: Mutex::new(opts.gateway_latency),
            fail_next: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            user_in_flight: Default::default(),
            requests: Mutex::new(Vec::new()),
            secrets: Mutex::new((Vec::new(), Default::default())),
            end_sessions: Mutex::new(Vec::new()),
            backchannel: Default::default(),
            projects: Mutex::new(HashMap::new()),
            introspector,
            lab: Default::default(),
            kept_refresh: opts.keep_refresh_tokens.clone(),
            wire: wire::Wire::new(opts.casing, opts.user_claims_in_id_token),
            webhooks: Default::default(),
        });
        webhook_delivery::start(&shared)?;
        for token in lock(&shared.grants).refresh.keys() {
            shared.remember_secret(token);
        }
        for c in &opts.clients {
            shared.remember_secret(&c.client_secret);
        }
        for p in &opts.pats {
            shared.remember_secret(&p.token);
        }
        let app = router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        tracing::info!(issuer = %shared.issuer, "Filevine DEMO stand-in listening (not Filevine)");
        Ok(FakeFilevine {
            addr,
            control: FakeControl { shared },
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// The issuer, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn issuer(&self) -> String {
        self.control.shared.issuer.clone()
    }

    /// The gateway base URL, `http://127.0.0.1:PORT/`.
    pub fn gateway_url(&self) -> url::Url {
        url::Url::parse(&format!("{}/", self.control.shared.issuer))
            .expect("issuer built from a socket address is a valid URL")
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle to observe and steer the stand-in.
    pub fn control(&self) -> FakeControl {
        self.control.clone()
    }

    /// Stop accepting, finish in-flight requests, and wait for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeFilevine {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// All routes of the stand-in.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(provider::discovery),
        )
        .route(
            "/.well-known/openid-configuration/jwks",
            get(provider::jwks),
        )
        .route(
            "/connect/authorize",
            get(provider::authorize_page).post(provider::authorize_submit),
        )
        .route("/connect/token", post(provider::token))
        .route(
            "/connect/userinfo",
            get(provider::userinfo).post(provider::userinfo),
        )
        .route("/connect/endsession", get(provider::end_session))
        .route("/connect/revocation", post(provider::revocation))
        .route(
            "/connect/signout",
            get(backchannel::page).post(backchannel::sign_out),
        )
        .route(
            "/fv-app/v2/utils/GetUserOrgsWithToken",
            post(users::user_orgs),
        )
        .route("/fv-app/v2/Users/Me", get(users::users_me))
        .route("/fv-app/v2/Projects", get(gateway::projects))
        .route("/fv-app/v2/ProjectTypes", get(project_types::list))
        .route("/fv-app/v2/Projects/{project_id}", get(gateway::project))
        .route("/fv-app/v2/webhooks/Events", get(webhooks::events))
        .route("/fv-app/v2/webhooks/subscriptions", get(webhooks::list))
        .route("/fv-app/v2/webhooks/subscription", post(webhooks::create))
        .route(
            "/fv-app/v2/webhooks/subscription/{subscription_id}",
            get(webhooks::get_one)
                .put(webhooks::update)
                .delete(webhooks::delete),
        )
        .route("/_fake/stats", get(control_http::stats))
        .route("/_fake/control", post(control_http::control))
        .route(
            "/_fake/projects",
            get(project_page::page).post(project_page::change),
        )
        .route("/_fake/static/fake.css", get(provider::css))
        .route("/", get(provider::home))
        .fallback(contract_guard::not_found)
        .method_not_allowed_fallback(contract_guard::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            contract_guard::validate_answers,
        ))
        .layer(axum::middleware::from_fn(loopback::only_loopback_hosts))
        .with_state(shared)
}

/// Run the stand-in in the foreground (the `fake-filevine` subcommand): print what a partner
/// developer needs to point the app at it, then serve until Ctrl-C.
pub async fn run_standalone(opts: FakeOptions) -> Result<(), FakeError> {
    let fake = FakeFilevine::start(opts).await?;
    let shared = &fake.control.shared;
    println!("Filevine DEMO stand-in — NOT Filevine. Loopback only.");
    println!("  issuer (FV_AUTHORITY):   {}", fake.issuer());
    println!(
        "  discovery:               {}/.well-known/openid-configuration",
        fake.issuer()
    );
    println!("  gateway (FV_GATEWAY_URL): {}", fake.gateway_url());
    println!(
        "  gateway casing:          {:?} (Filevine's published shapes, Identifier ids)",
        shared.wire.casing()
    );
    println!(
        "  user claims:             {}",
        if shared.wire.claims_in_id_token() {
            "in the ID token and at userinfo"
        } else {
            "at userinfo only (IdentityServer's default)"
        }
    );
    for c in &shared.clients {
        println!("  client id:               {}", c.client_id);
        println!("  client secret:           {}", c.client_secret);
        for r in &c.redirect_uris {
            println!("    redirect URI:          {r}");
        }
        for r in &c.post_logout_redirect_uris {
            println!("    post-logout URI:       {r}");
        }
    }
    for (pat, user) in &shared.pats {
        println!("  PAT:                     {} ({})", pat.token, user.email);
    }
    println!(
        "  controls:                {}/_fake/stats, POST {}/_fake/control",
        fake.issuer(),
        fake.issuer()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.map_err(FakeError::Serve)?;
    fake.shutdown().await;
    Ok(())
}
