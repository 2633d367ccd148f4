//! Home, profile and the organization chooser.

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};

use super::{
    csrf_form::CsrfForm,
    extract::SignedIn,
    gateway::UserApi,
    templates::{ChooseOrgPage, Chrome, HomePage, ProfilePage},
};
use crate::web::error::AppError;
use crate::{
    auth::{account, flow, ReturnTo},
    filevine::models::user_type_name,
    state::AppState,
};

/// `GET /`.
pub async fn home(State(state): State<AppState>, signed: Option<SignedIn>) -> HomePage {
    let user = signed.as_ref().map(|s| &s.user);
    HomePage {
        chrome: Chrome::new(&state.settings, user),
        org_name: user.and_then(|u| u.current_org()).map(|o| o.name.clone()),
    }
}

/// `GET /profile` (alias `/userinfo`): what the samples show, from GetUserOrgsWithToken and
/// Users/Me, plus the verified ID token claims. Never a token.
pub async fn profile(
    State(state): State<AppState>,
    mut api: UserApi,
) -> Result<ProfilePage, AppError> {
    let loaded = account::load(&api.gw, &state.vault, &mut api.signed.user).await;
    let account = loaded.map_err(|e| api.error(e))?;
    if account.user_changed {
        api.signed.save().await?;
    }
    let user = &api.signed.user;
    Ok(ProfilePage {
        chrome: Chrome::new(&state.settings, Some(user)),
        display_name: user.display_name(),
        email: account.email.or_else(|| user.identity.email.clone()),
        username: account.username,
        user_id: user.fv_user_id,
        user_type: user.user_type.map(|t| user_type_name(t).to_owned()),
        current_org: user.current_org().cloned(),
        org_user_id: account.org_user_id,
        access_level: account.access_level,
        other_orgs: user
            .orgs
            .iter()
            .filter(|o| Some(o.id) != user.current_org)
            .cloned()
            .collect(),
        org_unchosen: user.current_org().is_none() && user.orgs.len() > 1,
        claims: user
            .identity
            .claims
            .iter()
            .map(|(name, value)| {
                let shown = match name.as_str() {
                    "iat" | "exp" | "auth_time" => state.settings.time_zone.day(Some(value)),
                    _ => crate::util::dates::Shown::plain(value),
                };
                (name.clone(), shown)
            })
            .collect(),
        token_expires: account
            .token_expires_at
            .map(|t| state.settings.time_zone.moment(t))
            .unwrap_or_default(),
        has_refresh: account.has_refresh_token,
        gateway_warning: account.gateway_warning,
    })
}

/// `GET /org`: the chooser for users in several organizations.
pub async fn choose_org(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> ChooseOrgPage {
    let return_to = ReturnTo::parse_or_root(q.get("return_to").map(String::as_str)).to_string();
    // The header's switcher on the chooser goes where the chooser goes, not back to it.
    let mut chrome = Chrome::new(&state.settings, Some(&signed.user));
    chrome.here = return_to.clone();
    ChooseOrgPage {
        chrome,
        csrf: signed.user.csrf.clone(),
        return_to,
        orgs: signed.user.orgs.clone(),
    }
}

/// The chooser's and the header switcher's form.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub return_to: Option<String>,
}

/// `POST /org`: sets the current organization (one of the user's own).
pub async fn set_org(
    State(state): State<AppState>,
    mut signed: SignedIn,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Result<Response, AppError> {
    let org_id: i64 = form
        .org_id
        .parse()
        .map_err(|_| AppError::BadRequest("Pick one of your organizations."))?;
    if !signed.user.orgs.iter().any(|o| o.id == org_id) {
        return Err(AppError::BadRequest(
            "That organization is not one of yours.",
        ));
    }
    signed.user.current_org = Some(org_id);
    signed.save().await?;
    let now = state.clock.now_unix();
    flow::remember_org_choice(&state.db, &signed.user, org_id, now).await;
    tracing::info!(sub = %signed.user.identity.subject, org_id, "organization chosen");
    let target = ReturnTo::parse_or_root(form.return_to.as_deref());
    Ok(Redirect::to(target.as_str()).into_response())
}
