//! Home, profile and the organization chooser.

use std::collections::HashMap;

use axum::{
    extract::{rejection::FormRejection, Query, State},
    http::Uri,
    response::{IntoResponse, Redirect, Response},
    Form,
};

use super::{
    extract::SignedIn,
    gateway_call::with_token,
    templates::{ChooseOrgPage, Chrome, HomePage, ProfilePage},
};
use crate::{
    auth::{flow::apply_user_orgs, ReturnTo},
    error::AppError,
    filevine::{models::user_type_name, OrgContext},
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
    mut signed: SignedIn,
    uri: Uri,
) -> Result<ProfilePage, AppError> {
    let here = ReturnTo::parse_or_root(uri.path_and_query().map(|p| p.as_str()));
    let gw = state.gateway.clone();
    let info = with_token(&state, &signed, &here, |t| {
        let gw = gw.clone();
        async move { gw.user_orgs(&t).await }
    })
    .await?;
    let username = info.user.username.clone();
    let email = info.user.email.clone();
    let before = (signed.user.orgs.clone(), signed.user.fv_user_id);
    apply_user_orgs(&mut signed.user, info);
    if before != (signed.user.orgs.clone(), signed.user.fv_user_id) {
        signed.save().await?;
    }

    let mut gateway_warning = None;
    let mut org_user_id = None;
    if let (Some(org), Some(uid)) = (signed.user.current_org, signed.user.fv_user_id) {
        let ctx = OrgContext {
            org_id: org,
            user_id: uid,
        };
        match with_token(&state, &signed, &here, |t| {
            let gw = gw.clone();
            async move { gw.me(&t, ctx).await }
        })
        .await
        {
            Ok(me) => org_user_id = me.org_user_id,
            Err(AppError::Gateway(e)) => {
                tracing::warn!(error = %e, "Users/Me failed");
                gateway_warning = Some(format!(
                    "Filevine's Users/Me call failed: {}",
                    e.user_message().0
                ));
            }
            Err(e) => return Err(e),
        }
    } else if signed.user.orgs.len() > 1 {
        gateway_warning =
            Some("Choose an organization at the top of the page to see your org user.".into());
    }

    let tokens = state
        .vault
        .load(&signed.user)
        .await
        .map_err(|e| AppError::from_vault(e, here.clone()))?;
    let (token_expires, has_refresh) = tokens
        .map(|t| {
            let at = time::OffsetDateTime::from_unix_timestamp(t.expires_at)
                .ok()
                .and_then(|d| {
                    d.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            (at, t.refresh_token.is_some())
        })
        .unwrap_or_default();

    let user = &signed.user;
    Ok(ProfilePage {
        chrome: Chrome::new(&state.settings, Some(user)),
        display_name: user.display_name(),
        email: email.or_else(|| user.identity.email.clone()),
        username,
        user_id: user.fv_user_id,
        user_type: user.user_type.map(|t| user_type_name(t).to_owned()),
        current_org: user.current_org().cloned(),
        org_user_id,
        other_orgs: user
            .orgs
            .iter()
            .filter(|o| Some(o.id) != user.current_org)
            .cloned()
            .collect(),
        claims: user.identity.claims.clone(),
        token_expires,
        has_refresh,
        gateway_warning,
    })
}

/// `GET /org`: the chooser for users in several organizations.
pub async fn choose_org(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> ChooseOrgPage {
    ChooseOrgPage {
        chrome: Chrome::new(&state.settings, Some(&signed.user)),
        csrf: signed.user.csrf.clone(),
        return_to: ReturnTo::parse_or_root(q.get("return_to").map(String::as_str)).to_string(),
        orgs: signed.user.orgs.clone(),
    }
}

/// The chooser's and the header switcher's form.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub return_to: Option<String>,
}

/// `POST /org`: sets the current organization (one of the user's own).
pub async fn set_org(
    mut signed: SignedIn,
    form: Result<Form<OrgForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(form) = form.map_err(|_| AppError::BadRequest("The form could not be read."))?;
    if !signed.user.csrf_matches(&form.csrf) {
        return Err(AppError::Csrf);
    }
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
    tracing::info!(sub = %signed.user.identity.subject, org_id, "organization chosen");
    let target = ReturnTo::parse_or_root(form.return_to.as_deref());
    Ok(Redirect::to(target.as_str()).into_response())
}
