//! What `/settings/connections` shows, and the session state behind it: the flash message
//! after a redirect, and the verified PAT waiting (sealed, bound to the admin's vault id)
//! for Save. No view field ever holds a secret: PATs appear as their last four characters.

use askama::Template;
use askama_web::WebTemplate;
use axum::{response::IntoResponse, response::Response};
use serde::{Deserialize, Serialize};

pub use super::settings_flash::{flash, take_flash, Flash};
use super::{extract::SignedIn, templates::Chrome};
use crate::web::error::AppError;
use crate::{
    connections::{AuthKind, Connection, Draft, VerifiedDraft, DEFAULT_CONCURRENCY},
    service_account::Verified,
    state::AppState,
    store::LiveSubscriptionRow,
    util::dates::{Shown, Zone},
};

const PENDING_KEY: &str = "fv.connection_pending";
const PENDING_PURPOSE: &str = "connection-pending";
/// How long a verified PAT waits in the session for Save.
const PENDING_TTL_SECS: i64 = 900;
/// Audit entries shown.
const AUDIT_SHOWN: i64 = 20;

/// A verified PAT waiting for Save, sealed in the session.
#[derive(Serialize, Deserialize)]
pub struct PendingPat {
    pub draft: Draft,
    pub pat: String,
    pub verified: Verified,
    pub verified_at: i64,
}

/// The fields as typed, and the rule they broke: shown again after a refusal.
pub struct Typed {
    pub draft: Draft,
    pub field: &'static str,
    pub message: String,
}

/// One connection's card.
pub struct ConnectionView {
    pub name: String,
    pub environment: String,
    pub auth: String,
    pub concurrency: u8,
    pub borrow_from: String,
    pub pool: String,
    pub email: String,
    pub last4: String,
    pub verified_name: Option<String>,
    pub status: String,
    pub needs_authorization: bool,
    pub last_success: Option<Shown>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Shown>,
    /// The last error came before the last success: it is history, not the state now.
    pub error_resolved: bool,
    pub updated_by: String,
    pub read_only: bool,
    pub has_secret: bool,
    /// Its scheduled health checks.
    pub health: Option<super::settings_health::HealthCard>,
    /// Live updates (webhooks) through this connection.
    pub live: super::settings_live::LiveView,
}

/// A verification waiting for Save.
pub struct PendingView {
    pub draft: Draft,
    pub name: String,
    pub user_type: String,
    pub orgs: Vec<String>,
    pub token_valid_until: Shown,
    pub scopes: String,
    pub warnings: Vec<String>,
}

/// One line of the audit log.
pub struct AuditView {
    pub at: Shown,
    pub who: String,
    pub connection: String,
    pub what: String,
}

/// The page.
#[derive(Template, WebTemplate)]
#[template(path = "settings_connections.html")]
pub struct ConnectionsPage {
    pub chrome: Chrome,
    pub csrf: String,
    /// Demo mode made the demo user admin because `FV_ADMIN_EMAILS` is empty.
    pub demo_admin: bool,
    /// Demo mode: the stand-in's service-account PAT and email, demo data shown so they can
    /// be pasted into the form (`None` outside demo mode, where a PAT is never shown).
    pub demo_account: Option<(String, String)>,
    pub connections: Vec<ConnectionView>,
    pub environments: Vec<String>,
    pub pending: Option<PendingView>,
    pub audit: Vec<AuditView>,
    /// The alert channels that are on (`email`, `webhook`).
    pub alert_channels: Vec<&'static str>,
    /// Credentials expiring within 30 days, in words.
    pub expiry_banners: Vec<String>,
    pub flash: Option<Flash>,
    /// The refusal, and the field it concerns.
    pub error: Option<String>,
    pub error_field: &'static str,
    /// The new-connection form's values (as typed after a refusal).
    pub form: Draft,
}

impl ConnectionsPage {
    /// The refused field as its form labels it, for the error line (a firm admin knows the
    /// form's words, not its field names).
    pub fn error_label(&self) -> &'static str {
        match self.error_field {
            "name" => "Name",
            "environment" => "Environment",
            "auth" => "Authentication",
            "pat" => "Personal access token",
            "pat_expires" => "PAT expires on",
            "email" => "Service account email",
            "concurrency" => "Concurrency",
            "borrow_from" => "Borrow concurrency from",
            _ => "",
        }
    }
}

impl ConnectionsPage {
    /// Whether the create form's environment select picks `e`.
    pub fn env_selected(&self, e: &str) -> bool {
        self.form.environment == e
            || (self.form.environment.is_empty()
                && self.environments.first().is_some_and(|f| f == e))
    }
}

fn view_of(c: Connection, zone: &Zone, live: &[LiveSubscriptionRow]) -> ConnectionView {
    let email = c.email.clone();
    ConnectionView {
        live: super::settings_live::LiveView::of(&c.id, live, zone),
        error_resolved: c.last_error.is_some()
            && matches!((c.last_success_at, c.last_error_at), (Some(ok), Some(failed)) if ok >= failed),
        needs_authorization: c.needs_authorization(),
        pool: c.pool().to_string(),
        name: c.name.to_string(),
        environment: c.environment,
        auth: c.auth.as_str().to_owned(),
        concurrency: c.concurrency,
        borrow_from: c.borrow_from.map(|b| b.to_string()).unwrap_or_default(),
        email: c.email,
        last4: c.last4,
        // A refresh-token connection acts as its user, whose name is their email: once is enough.
        verified_name: c.verified_name.filter(|n| !n.eq_ignore_ascii_case(&email)),
        status: c.status.as_str().to_owned(),
        last_success: c.last_success_at.map(|t| zone.moment(t)),
        last_error: c.last_error,
        last_error_at: c.last_error_at.map(|t| zone.moment(t)),
        updated_by: c.updated_by,
        read_only: c.read_only,
        has_secret: c.has_secret,
        health: None,
    }
}

/// Renders the page; `typed` is a refusal to show with the fields as typed.
pub async fn render(
    state: &AppState,
    signed: &SignedIn,
    flash: Option<Flash>,
    typed: Option<Typed>,
) -> Result<ConnectionsPage, AppError> {
    let settings = &state.settings;
    let live = state.connections.live_rows().await?;
    let mut connections: Vec<ConnectionView> = (state.connections.list().await?)
        .into_iter()
        .map(|c| view_of(c, &settings.time_zone, &live))
        .collect();
    for c in &mut connections {
        let zone = &settings.time_zone;
        c.health = Some(super::settings_health::card(state, &c.name, zone).await?);
    }
    let audit = state.connections.audit_log(AUDIT_SHOWN).await?;
    let pending = load_pending(state, signed).await?.map(|p| PendingView {
        user_type: p.verified.user_type_name().to_owned(),
        name: p.verified.name,
        orgs: p
            .verified
            .orgs
            .iter()
            .map(|(id, name)| format!("{name} (#{id})"))
            .collect(),
        token_valid_until: settings.time_zone.moment(p.verified.token_valid_until),
        scopes: p.verified.granted_scopes.join(" "),
        warnings: p.verified.warnings,
        draft: p.draft,
    });
    let (form, error, error_field) = match typed {
        Some(t) => (t.draft, Some(t.message), t.field),
        None => (
            Draft {
                auth: AuthKind::Pat.as_str().into(),
                concurrency: DEFAULT_CONCURRENCY.to_string(),
                ..Draft::default()
            },
            None,
            "",
        ),
    };
    Ok(ConnectionsPage {
        chrome: Chrome::new(settings, Some(&signed.user)),
        csrf: signed.user.csrf.clone(),
        demo_admin: settings.demo
            && !settings
                .origins
                .get("FV_ADMIN_EMAILS")
                .is_some_and(|o| o.is_explicit()),
        demo_account: demo_account(settings),
        connections,
        alert_channels: super::settings_health::channels(state),
        expiry_banners: state.health.expiry_banners().await?,
        environments: state.connections.environments().to_vec(),
        pending,
        audit: audit
            .into_iter()
            .map(|a| AuditView {
                at: settings.time_zone.moment(a.at),
                who: a.who,
                connection: a.connection,
                what: a.what,
            })
            .collect(),
        flash,
        error,
        error_field,
        form,
    })
}

/// Keeps a verified PAT in the session, sealed, for Save.
pub async fn keep_pending(
    state: &AppState,
    signed: &SignedIn,
    v: &VerifiedDraft,
) -> Result<(), AppError> {
    use secrecy::ExposeSecret;
    let pending = PendingPat {
        draft: v.draft.clone(),
        pat: v.pat.expose_secret().to_owned(),
        verified: v.verified.clone(),
        verified_at: v.verified_at,
    };
    let sealed = state
        .cipher
        .seal_json(PENDING_PURPOSE, &[&signed.user.vault_id], &pending);
    signed.session.insert(PENDING_KEY, sealed).await?;
    Ok(())
}

/// The verified PAT waiting in the session, if it is still fresh and opens with our key.
pub async fn load_pending(
    state: &AppState,
    signed: &SignedIn,
) -> Result<Option<PendingPat>, AppError> {
    let sealed: Option<String> = signed.session.get(PENDING_KEY).await?;
    Ok(sealed
        .and_then(|s| {
            state
                .cipher
                .open_json::<PendingPat>(PENDING_PURPOSE, &[&signed.user.vault_id], &s)
                .ok()
        })
        .filter(|p| state.clock.now_unix() - p.verified_at <= PENDING_TTL_SECS))
}

pub async fn remove_pending(signed: &SignedIn) -> Result<(), AppError> {
    signed.session.remove::<String>(PENDING_KEY).await?;
    Ok(())
}

/// The page the Save & authorize window ends on.
#[derive(Template, WebTemplate)]
#[template(path = "connected.html")]
pub struct ConnectedPage {
    pub chrome: Chrome,
    pub name: String,
    /// Why the tokens were not stored, if they were not.
    pub problem: Option<String>,
}

/// The callback of a connection authorization (Save & authorize): only the admin whose
/// browser started it (the pending login is this browser's) and who is still an admin may
/// complete it; the tokens go onto the connection, sealed, and nobody is signed in.
pub async fn authorized(
    state: &AppState,
    session: &tower_sessions::Session,
    done: &crate::auth::flow::ConnectionAuthorization,
) -> Result<Response, AppError> {
    let (name, tokens, identity) = (done.name.as_str(), &done.tokens, &done.identity);
    let admin = crate::auth::session::current_user(session)
        .await?
        .filter(|u| crate::auth::policy::is_admin(&state.settings.service_account, u));
    let Some(admin) = admin else {
        tracing::warn!(
            connection = name,
            "a connection authorization completed in a browser that is no admin's; tokens dropped"
        );
        return Err(AppError::BadRequest(
            "Only a signed-in administrator can authorize a connection.",
        ));
    };
    let by = admin.audit_name();
    let problem = match state
        .connections
        .store_authorization(name, tokens, identity, &by)
        .await
    {
        Ok(()) => None,
        Err(crate::connections::ConnectionError::Db(e)) => return Err(e.into()),
        Err(e) => Some(e.to_string()),
    };
    let page = ConnectedPage {
        chrome: Chrome::new(&state.settings, Some(&admin)),
        name: name.to_owned(),
        problem,
    };
    Ok(page.into_response())
}

/// The demo PAT and its email, in demo mode only.
fn demo_account(settings: &crate::config::Settings) -> Option<(String, String)> {
    use secrecy::ExposeSecret;
    if !settings.demo {
        return None;
    }
    let sa = &settings.service_account;
    let pat = sa.demo_pat.as_ref()?.expose_secret().to_owned();
    Some((pat, sa.demo_email.clone().unwrap_or_default()))
}

#[cfg(test)]
mod demo_account_tests {
    use super::*;
    use crate::auth::policy::tests::settings;
    use secrecy::SecretString;

    #[test]
    fn the_demo_pat_is_shown_in_demo_mode_only() {
        let mut demo = settings(&[]);
        assert!(demo.demo);
        demo.service_account.demo_pat = Some(SecretString::from("fvpat_demo"));
        demo.service_account.demo_email = Some("bot@example".into());
        assert_eq!(
            demo_account(&demo),
            Some(("fvpat_demo".to_owned(), "bot@example".to_owned()))
        );
        let mut real = demo.clone();
        real.demo = false;
        assert_eq!(demo_account(&real), None, "a PAT shown outside demo mode");
    }
}
