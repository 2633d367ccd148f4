//! Who may do what. One place for the rule, so the settings pages, the header's links and
//! anything added later agree.
//!
//! An admin (who may manage the service-account connection) is a signed-in user whose email is
//! in `FV_ADMIN_EMAILS`, compared case-insensitively, and verified by the provider
//! (`email_verified: true` in the ID token). Demo mode names its demo admin in the
//! settings at start-up (`startup::demo`), so no code here knows about demo users.

use super::SessionUser;
use crate::config::ServiceAccountSettings;

/// Whether `user` may manage the service-account connection: their email is listed and the
/// provider says it is verified (`email_verified` in the ID token). An unverified email is only
/// what someone typed at sign-up, so it could name the admin of another firm.
pub fn is_admin(settings: &ServiceAccountSettings, user: &SessionUser) -> bool {
    if !user.identity.email_verified {
        return false;
    }
    let Some(email) = user.identity.email.as_deref().map(str::trim) else {
        return false;
    };
    settings
        .admin_emails
        .iter()
        .any(|a| a.eq_ignore_ascii_case(email))
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
    fn nobody_is_admin_when_none_are_named() {
        let s = settings(&[]);
        assert!(!is_admin(
            &s.service_account,
            &user("ada@lovelace-law.example")
        ));
    }
}
