//! OpenID Connect Back-Channel Logout 1.0, provider side: the stand-in remembers the `sid` it
//! put in each ID token and each client's back-channel logout URI, and when a demo user signs
//! out at the stand-in ("Sign out of Filevine" on its pages) or a test asks, it posts a logout
//! token to every registered URI, server to server, as a real provider would.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde_json::{json, Value};

use super::data::DEMO_USERS;
use super::hostile::{self, Tamper};
use super::state::{lock, random_token, Shared};
use super::FakeError;

/// The event a logout token carries (Back-Channel Logout 1.0, section 2.4).
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Who is signed in where, and where to tell clients.
#[derive(Default)]
pub(crate) struct Registry {
    /// Per client id: its `backchannel_logout_uri`.
    uris: HashMap<String, String>,
    /// `(sub, sid, client_id)` of every ID token issued at a login, until signed out.
    sessions: Vec<(String, String, String)>,
}

impl Registry {
    /// A fresh `sid` for a login of `sub` at `client_id`.
    pub(crate) fn new_sid(&mut self, sub: &str, client_id: &str) -> String {
        let sid = random_token("sid_");
        self.sessions
            .push((sub.to_owned(), sid.clone(), client_id.to_owned()));
        sid
    }
}

impl Shared {
    /// Valid logout-token claims for `sub` (and `sid`) addressed to `client_id`.
    pub(crate) fn logout_claims(&self, client_id: &str, sub: &str, sid: Option<&str>) -> Value {
        let mut claims = json!({
            "iss": self.issuer,
            "aud": client_id,
            "iat": self.unix_now(),
            "exp": self.unix_now() + 120,
            "jti": random_token("jti_"),
            "sub": sub,
            "events": { BACKCHANNEL_EVENT: {} },
        });
        if let Some(sid) = sid {
            claims["sid"] = Value::String(sid.to_owned());
        }
        claims
    }

    /// Signs `claims` with the provider's signing key (`typ: logout+jwt` is not set: the
    /// spec allows its absence), broken at the signature level when `tamper` says so.
    pub(crate) fn sign_logout_token(
        &self,
        claims: &Value,
        tamper: Option<Tamper>,
    ) -> Result<String, FakeError> {
        let key = lock(&self.keys).signing.clone();
        let secret = self
            .clients
            .first()
            .map(|c| c.client_secret.clone())
            .unwrap_or_default();
        hostile::sign(&key, claims, tamper, &secret)
    }

    /// Ends every stand-in session of `sub`: posts a logout token per session to its client's
    /// back-channel URI. Returns the HTTP status of each post (0 when it could not be sent).
    pub(crate) async fn sign_out_user(&self, sub: &str) -> Vec<u16> {
        let targets: Vec<(String, String, Option<String>)> = {
            let mut reg = lock(&self.backchannel);
            let (gone, kept) = std::mem::take(&mut reg.sessions)
                .into_iter()
                .partition::<Vec<_>, _>(|(s, _, _)| s == sub);
            reg.sessions = kept;
            gone.into_iter()
                .map(|(_, sid, client)| {
                    let uri = reg.uris.get(&client).cloned();
                    (client, sid, uri)
                })
                .collect()
        };
        let http = reqwest::Client::new();
        let mut statuses = Vec::new();
        for (client, sid, uri) in targets {
            let Some(uri) = uri else { continue };
            let claims = self.logout_claims(&client, sub, Some(&sid));
            let Ok(token) = self.sign_logout_token(&claims, None) else {
                continue;
            };
            let status = match http
                .post(&uri)
                .form(&[("logout_token", token)])
                .send()
                .await
            {
                Ok(r) => r.status().as_u16(),
                Err(e) => {
                    tracing::warn!(error = %e, "back-channel logout post failed");
                    0
                }
            };
            statuses.push(status);
        }
        statuses
    }
}

impl super::FakeControl {
    /// Records `client_id`'s back-channel logout URI (what a client registers with Filevine).
    pub fn set_backchannel_logout_uri(&self, client_id: &str, uri: &str) {
        lock(&self.shared.backchannel)
            .uris
            .insert(client_id.to_owned(), uri.to_owned());
    }

    /// The `sid`s of `sub`'s stand-in sessions (one per login), oldest first.
    pub fn sids_of(&self, sub: &str) -> Vec<String> {
        lock(&self.shared.backchannel)
            .sessions
            .iter()
            .filter(|(s, _, _)| s == sub)
            .map(|(_, sid, _)| sid.clone())
            .collect()
    }

    /// Valid logout-token claims (fresh `jti`) for tests to break one at a time.
    pub fn logout_claims(&self, client_id: &str, sub: &str, sid: Option<&str>) -> Value {
        self.shared.logout_claims(client_id, sub, sid)
    }

    /// Signs logout-token `claims` with the provider's key (or breaks the signature as
    /// `tamper` says: [`Tamper::BadSignature`], [`Tamper::AlgNone`],
    /// [`Tamper::HmacWithClientSecret`], [`Tamper::NoKid`]).
    pub fn sign_logout_token(&self, claims: &Value, tamper: Option<Tamper>) -> String {
        self.shared
            .sign_logout_token(claims, tamper)
            .expect("the stand-in's key signs")
    }

    /// Signs `sub` out at the stand-in, as the "Sign out of Filevine" page does: a logout
    /// token per session to the registered URIs. Returns the status of each post.
    pub async fn sign_out_at_provider(&self, sub: &str) -> Vec<u16> {
        self.shared.sign_out_user(sub).await
    }
}

struct SignedInUser {
    sub: &'static str,
    name: String,
    sessions: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "fake/signout.html")]
struct SignOutPage {
    users: Vec<SignedInUser>,
}

/// `GET /connect/signout`: a button per demo user with stand-in sessions.
pub(crate) async fn page(State(shared): State<Arc<Shared>>) -> Response {
    let reg = lock(&shared.backchannel);
    let users = DEMO_USERS
        .iter()
        .map(|u| SignedInUser {
            sub: u.sub,
            name: u.name(),
            sessions: reg.sessions.iter().filter(|(s, _, _)| s == u.sub).count(),
        })
        .filter(|u| u.sessions > 0)
        .collect();
    drop(reg);
    super::provider::html_page(StatusCode::OK, SignOutPage { users })
}

#[derive(serde::Deserialize)]
pub(crate) struct SignOutForm {
    user: String,
}

/// `POST /connect/signout`: ends the user's stand-in sessions and tells every client.
pub(crate) async fn sign_out(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<SignOutForm>,
) -> Response {
    let told = shared.sign_out_user(&form.user).await;
    let ok = told.iter().filter(|s| **s == 200).count();
    super::provider::html_message(
        StatusCode::OK,
        "Signed out of Filevine",
        format!(
            "You are signed out of the stand-in; {ok} of {} app session(s) confirmed the back-channel logout.",
            told.len()
        ),
    )
}
