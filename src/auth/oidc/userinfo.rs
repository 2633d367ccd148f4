//! Userinfo at sign-in (OpenID Connect Core 5.3). Filevine Identity is an IdentityServer, whose
//! default for the code flow leaves `name`, `email` and `email_verified` out of the ID token and
//! serves them here; so the app asks, checks that the answer is about the same user (5.3.2: its
//! `sub` must be the ID token's), and fills in what the ID token left out. A userinfo that is
//! down or slow costs only those claims: the verified ID token already says who signed in.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use url::Url;

use super::Identity;
use crate::{auth::error::LoginError, util::error_chain};

/// How long sign-in waits for userinfo before going on without it.
pub const USERINFO_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the identity's email and its verification came from: logged when a listed admin is
/// refused, so an operator sees which of Filevine's sources left it out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub enum ClaimSource {
    /// Neither the ID token nor userinfo carried an email.
    #[default]
    Nowhere,
    IdToken,
    Userinfo,
}

/// What became of userinfo at sign-in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub enum UserinfoRead {
    /// Discovery advertises no userinfo endpoint.
    #[default]
    NotAdvertised,
    Read,
    /// It did not answer in time, or not with JSON.
    Unavailable,
}

/// The claims of a userinfo answer the app uses.
#[derive(Debug, Deserialize)]
pub struct UserinfoClaims {
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// A boolean, or (some providers) the string `"true"`.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub email_verified: bool,
}

impl UserinfoClaims {
    fn display_name(&self) -> Option<String> {
        self.name.clone().or_else(|| {
            let given = self.given_name.as_deref()?;
            Some(match self.family_name.as_deref() {
                Some(f) => format!("{given} {f}"),
                None => given.to_owned(),
            })
        })
    }
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<B>::deserialize(d)? {
        Some(B::Bool(b)) => b,
        Some(B::Text(t)) => t.eq_ignore_ascii_case("true"),
        None => false,
    })
}

/// Asks `endpoint` who `access_token` belongs to. Transport failures, a slow answer, a non-2xx
/// status or an unreadable body are [`LoginError::Userinfo`], which the caller logs and
/// tolerates.
pub(super) async fn fetch(
    http: &reqwest::Client,
    endpoint: &Url,
    access_token: &str,
) -> Result<UserinfoClaims, LoginError> {
    let request = http
        .get(endpoint.clone())
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(USERINFO_TIMEOUT)
        .send();
    let response = request
        .await
        .map_err(|e| LoginError::Userinfo(format!("request failed: {}", error_chain(&e))))?;
    let status = response.status();
    if !status.is_success() {
        return Err(LoginError::Userinfo(format!("status {status}")));
    }
    response
        .json()
        .await
        .map_err(|_| LoginError::Userinfo("answer is not JSON with a sub".into()))
}

impl Identity {
    /// Adds what userinfo says to what the ID token said, the ID token winning where it spoke:
    /// a name and an email only when the ID token had none; `email_verified` from userinfo
    /// only for the same address, and only when the ID token did not say (`id_token_verified`
    /// is the ID token's own `email_verified`, absent or not). A different `sub` refuses the
    /// sign-in: the answer is about someone else.
    pub(super) fn merge_userinfo(
        &mut self,
        info: UserinfoClaims,
        id_token_verified: Option<bool>,
    ) -> Result<(), LoginError> {
        if info.sub != self.subject {
            return Err(LoginError::UserinfoSubjectMismatch);
        }
        self.userinfo = UserinfoRead::Read;
        if self.name.is_none() {
            self.name = info.display_name();
        }
        let same_address = |theirs: &str| {
            self.email
                .as_deref()
                .is_some_and(|mine| mine.trim().eq_ignore_ascii_case(theirs.trim()))
        };
        match info.email {
            Some(email) if self.email.is_none() => {
                self.email = Some(email);
                self.email_verified = info.email_verified;
                self.email_source = ClaimSource::Userinfo;
            }
            Some(email)
                if id_token_verified.is_none() && info.email_verified && same_address(&email) =>
            {
                self.email_verified = true;
                self.email_source = ClaimSource::Userinfo;
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "userinfo_tests.rs"]
mod tests;
