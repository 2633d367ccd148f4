//! Who may do what. One place for the rule, so the settings pages, the header's links and
//! anything added later agree.
//!
//! An admin (who may manage the connections, feeds and sessions) is a signed-in user with an
//! email in `FV_ADMIN_EMAILS` (compared case-insensitively) that Filevine vouches for:
//! - the provider's email with `email_verified` (from the ID token, or from userinfo, where
//!   IdentityServer keeps it by default), or
//! - the email of the user record the gateway returns for the user's own token
//!   (GetUserOrgsWithToken), which Filevine's directory owns and firm admins create.
//!
//! An email the provider asserts without verification never counts: it is what someone typed
//! at sign-up, so it could name the admin of another firm. Demo mode names its demo admin in the
//! settings at start-up (`startup::demo`), so no code here knows about demo users.

use super::{oidc::ClaimSource, oidc::UserinfoRead, SessionUser};
use crate::config::ServiceAccountSettings;

/// Whether `user` is an admin, and if a listed user is not, why.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminStatus {
    /// A listed email that Filevine vouches for.
    Admin,
    /// No listed email at all.
    NotListed,
    /// A listed email Filevine did not confirm; `missing` says which sources were missing, for
    /// the log.
    Unconfirmed { email: String, missing: String },
}

/// Whether `user` may manage the connections: see the module doc.
pub fn is_admin(settings: &ServiceAccountSettings, user: &SessionUser) -> bool {
    admin_status(settings, user) == AdminStatus::Admin
}

/// The admin rule with its reason (see the module doc).
pub fn admin_status(settings: &ServiceAccountSettings, user: &SessionUser) -> AdminStatus {
    let listed = |email: &str| {
        settings
            .admin_emails
            .iter()
            .any(|a| a.eq_ignore_ascii_case(email.trim()))
    };
    let identity = &user.identity;
    let provider_email = identity.email.as_deref();
    let vouched = provider_email.filter(|_| identity.email_verified);
    if vouched
        .into_iter()
        .chain(user.fv_email.as_deref())
        .any(listed)
    {
        return AdminStatus::Admin;
    }
    match provider_email.filter(|e| listed(e)) {
        Some(email) => AdminStatus::Unconfirmed {
            email: email.trim().to_owned(),
            missing: missing_sources(user),
        },
        None => AdminStatus::NotListed,
    }
}

/// Which of Filevine's sources did not confirm the user's email, in words for the log.
fn missing_sources(user: &SessionUser) -> String {
    let identity = &user.identity;
    let provider = match identity.email_source {
        ClaimSource::IdToken => "the ID token named the email without email_verified",
        ClaimSource::Userinfo => "userinfo named the email without email_verified",
        ClaimSource::Nowhere => "the provider named no email",
    };
    let userinfo = match identity.userinfo {
        UserinfoRead::Read => "userinfo was read",
        UserinfoRead::Unavailable => "userinfo was unavailable at sign-in",
        UserinfoRead::NotAdvertised => "discovery advertises no userinfo",
    };
    let gateway = match &user.fv_email {
        Some(e) => format!("the gateway's user record has another email ({e})"),
        None => "the gateway returned no user record email".to_owned(),
    };
    format!("{provider}; {userinfo}; {gateway}")
}

/// Whether `user` may see org-wide figures gathered by the service account (the dashboard's
/// per-phase trend, from the scheduled snapshots). The service account sees every project of
/// the org, but Filevine may show a user only the projects they are on; showing them the
/// service account's counts would tell them about matters they cannot open. So org-wide data
/// is for admins, who manage that connection anyway. Everything else a user sees (the table,
/// the summary and its chart, exports) is fetched with their own token and cached per user, so
/// Filevine's own visibility rules apply to it.
pub fn may_see_org_wide_data(settings: &ServiceAccountSettings, user: &SessionUser) -> bool {
    is_admin(settings, user)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{
        auth::Identity,
        config::{resolve, Settings, Sources},
    };

    pub(crate) fn user(email: &str) -> SessionUser {
        let identity = Identity {
            issuer: "http://127.0.0.1".into(),
            subject: "s".into(),
            name: None,
            email: Some(email.into()),
            email_verified: true,
            email_source: crate::auth::oidc::ClaimSource::IdToken,
            userinfo: Default::default(),
            claims: Vec::new(),
            sid: None,
        };
        SessionUser::signed_in(identity, 0)
    }

    pub(crate) fn settings(env: &[(&str, &str)]) -> Settings {
        resolve(Sources {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn configured_admins_are_compared_case_insensitively() {
        let s = settings(&[("FV_ADMIN_EMAILS", "Boss@Firm.com")]);
        assert!(is_admin(&s.service_account, &user("boss@firm.COM")));
        assert!(!is_admin(
            &s.service_account,
            &user("ada@lovelace-law.example")
        ));
    }

    #[test]
    fn an_unverified_email_is_not_an_admin() {
        let s = settings(&[("FV_ADMIN_EMAILS", "boss@firm.com")]);
        let mut u = user("boss@firm.com");
        u.identity.email_verified = false;
        assert!(!is_admin(&s.service_account, &u));
    }

    #[test]
    fn the_gateway_user_record_vouches_when_the_provider_does_not() {
        let s = settings(&[("FV_ADMIN_EMAILS", "boss@firm.com")]);
        // IdentityServer's default: no email claim at all; the gateway's record has it.
        let mut u = user("unused");
        u.identity.email = None;
        u.identity.email_verified = false;
        u.identity.email_source = ClaimSource::Nowhere;
        assert_eq!(admin_status(&s.service_account, &u), AdminStatus::NotListed);
        u.fv_email = Some("Boss@Firm.com".into());
        assert!(is_admin(&s.service_account, &u));
    }

    #[test]
    fn a_listed_unverified_email_says_which_sources_were_missing() {
        let s = settings(&[("FV_ADMIN_EMAILS", "boss@firm.com")]);
        let mut u = user("boss@firm.com");
        u.identity.email_verified = false;
        u.identity.userinfo = UserinfoRead::Unavailable;
        u.fv_email = Some("someone@else.example".into());
        match admin_status(&s.service_account, &u) {
            AdminStatus::Unconfirmed { email, missing } => {
                assert_eq!(email, "boss@firm.com");
                assert!(missing.contains("without email_verified"), "{missing}");
                assert!(missing.contains("userinfo was unavailable"), "{missing}");
                assert!(missing.contains("someone@else.example"), "{missing}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nobody_is_admin_when_none_are_named() {
        let s = settings(&[]);
        assert!(!is_admin(
            &s.service_account,
            &user("ada@lovelace-law.example")
        ));
    }
}
