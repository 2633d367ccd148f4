//! Unit tests of the PAT exchange (kept apart so the client file stays readable).
use super::*;
use crate::service_account::token_source::*;

#[test]
fn margin_is_a_minute_or_a_tenth() {
    assert_eq!(
        effective_margin(Duration::from_secs(1200)),
        Duration::from_secs(60)
    );
    assert_eq!(
        effective_margin(Duration::from_secs(5)),
        Duration::from_millis(500)
    );
}

#[test]
fn last4_hides_short_secrets() {
    assert_eq!(last4(&SecretString::from("abcdefghijkl-wxyz")), "wxyz");
    assert_eq!(last4(&SecretString::from("short")), "");
}

fn client() -> PatClient {
    PatClient::new(
        reqwest::Client::new(),
        Url::parse("http://127.0.0.1:9/connect/token").unwrap(),
        "id".into(),
        SecretString::from("secret"),
    )
}

fn ok(scope: Option<&str>) -> TokenOk {
    TokenOk {
        access_token: "at".into(),
        token_type: "Bearer".into(),
        expires_in: Some(1200),
        scope: scope.map(str::to_owned),
    }
}

#[test]
fn missing_scopes_are_named_and_the_gateway_scope_is_required() {
    let t = client()
        .accept(ok(Some("fv.api.gateway.access openid")))
        .unwrap();
    assert_eq!(
        t.missing_scopes,
        [
            "tenant",
            "filevine.v2.api.*",
            "email",
            "fv.auth.tenant.read"
        ]
    );
    assert!(t.scope_warning().unwrap().contains("filevine.v2.api.*"));
    assert!(client().accept(ok(None)).unwrap().missing_scopes.is_empty());
    assert!(matches!(
        client().accept(ok(Some("openid email"))),
        Err(PatError::MissingGatewayScope { .. })
    ));
    assert!(!format!("{t:?}").contains("\"at\""));
}

#[test]
fn errors_never_need_the_pat() {
    let msg = PatError::Rejected.to_string();
    assert!(msg.contains("revoked"));
    assert!(msg.contains("mistyped"));
    assert!(msg.contains("activated"));
}
