//! The gateway trusting another provider's access tokens through RFC 7662 token introspection
//! (see [`TrustedIntrospection`]): how the browser end-to-end test lets a real OpenID provider's
//! opaque tokens reach the stand-in's gateway.

use std::time::Duration;

use serde::Deserialize;

use super::data::{self, DemoUser};
use super::options::TrustedIntrospection;
use super::state::unix_now;
use super::FakeError;

/// Asks the trusted provider about tokens. Never logs a token.
pub(crate) struct Introspector {
    config: TrustedIntrospection,
    http: reqwest::Client,
}

/// The fields of an introspection response the gateway looks at.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IntrospectionResponse {
    #[serde(default)]
    active: bool,
    sub: Option<String>,
    scope: Option<String>,
    token_type: Option<String>,
    aud: Option<Audience>,
    exp: Option<u64>,
}

/// `aud` is a string or an array of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Audience::One(a) => a == wanted,
            Audience::Many(all) => all.iter().any(|a| a == wanted),
        }
    }
}

impl Introspector {
    /// Checks the endpoint is on loopback (the stand-in talks to nothing else).
    pub(crate) fn new(config: TrustedIntrospection) -> Result<Self, FakeError> {
        let loopback = match config.url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
        if !loopback {
            return Err(FakeError::Config(format!(
                "the trusted introspection endpoint must be on loopback, not {}",
                config.url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| FakeError::Config(e.to_string()))?;
        Ok(Self { config, http })
    }

    /// The demo user and scope of `token` when the provider says it is a live access token fit
    /// for the gateway; `None` otherwise (also when the provider cannot be reached).
    pub(crate) async fn user_and_scope(&self, token: &str) -> Option<(&'static DemoUser, String)> {
        // RFC 6749 2.3.1: id and secret are form-encoded before HTTP Basic.
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let response = self
            .http
            .post(self.config.url.clone())
            .basic_auth(
                enc(&self.config.client_id),
                Some(enc(&self.config.client_secret)),
            )
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await;
        let body = match response {
            Ok(r) if r.status().is_success() => r.json::<IntrospectionResponse>().await.ok()?,
            Ok(r) => {
                tracing::warn!(status = %r.status(), "trusted provider refused introspection");
                return None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "trusted provider's introspection failed");
                return None;
            }
        };
        accept(&body, self.config.audience.as_deref(), unix_now())
    }
}

/// The pure decision on an introspection response.
pub(crate) fn accept(
    r: &IntrospectionResponse,
    audience: Option<&str>,
    now: u64,
) -> Option<(&'static DemoUser, String)> {
    if !r.active {
        return None;
    }
    if !r
        .token_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
    {
        return None;
    }
    if r.exp.is_some_and(|exp| exp <= now) {
        return None;
    }
    if let Some(wanted) = audience {
        if !r.aud.as_ref().is_some_and(|a| a.contains(wanted)) {
            return None;
        }
    }
    let user = data::user_by_sub(r.sub.as_deref()?)?;
    Some((user, r.scope.clone().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> IntrospectionResponse {
        IntrospectionResponse {
            active: true,
            sub: Some(data::ADA.sub.into()),
            scope: Some("fv.api.gateway.access".into()),
            token_type: Some("Bearer".into()),
            aud: Some(Audience::One("urn:gw".into())),
            exp: Some(200),
        }
    }

    #[test]
    fn a_live_bearer_token_of_a_demo_user_is_accepted() {
        let (user, scope) = accept(&live(), Some("urn:gw"), 100).unwrap();
        assert_eq!(user.sub, data::ADA.sub);
        assert_eq!(scope, "fv.api.gateway.access");
        let many = IntrospectionResponse {
            aud: Some(Audience::Many(vec!["x".into(), "urn:gw".into()])),
            ..live()
        };
        assert!(accept(&many, Some("urn:gw"), 100).is_some());
        assert!(accept(&live(), None, 100).is_some());
    }

    #[test]
    fn inactive_expired_refresh_foreign_audience_or_unknown_users_are_refused() {
        let cases = [
            IntrospectionResponse {
                active: false,
                ..live()
            },
            IntrospectionResponse {
                exp: Some(100),
                ..live()
            },
            // oidc-provider introspects refresh tokens without a token_type.
            IntrospectionResponse {
                token_type: None,
                ..live()
            },
            IntrospectionResponse {
                aud: Some(Audience::One("urn:other".into())),
                ..live()
            },
            IntrospectionResponse {
                aud: None,
                ..live()
            },
            IntrospectionResponse {
                sub: Some("someone-else".into()),
                ..live()
            },
            IntrospectionResponse {
                sub: None,
                ..live()
            },
            IntrospectionResponse::default(),
        ];
        for (i, r) in cases.iter().enumerate() {
            assert!(accept(r, Some("urn:gw"), 100).is_none(), "case {i}: {r:?}");
        }
    }

    #[test]
    fn only_loopback_endpoints_are_allowed() {
        let cfg = |u: &str| TrustedIntrospection {
            url: url::Url::parse(u).unwrap(),
            client_id: "c".into(),
            client_secret: "s".into(),
            audience: None,
        };
        assert!(Introspector::new(cfg("http://127.0.0.1:9/i")).is_ok());
        assert!(Introspector::new(cfg("http://localhost:9/i")).is_ok());
        assert!(Introspector::new(cfg("http://[::1]:9/i")).is_ok());
        assert!(Introspector::new(cfg("http://example.com/i")).is_err());
        assert!(Introspector::new(cfg("http://10.0.0.1/i")).is_err());
    }
}
