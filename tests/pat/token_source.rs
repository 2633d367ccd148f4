//! The PAT token source: one exchange for many calls, renewal, single flight, refusals
//! remembered, bounded retries, the gateway scope.

use super::*;

#[tokio::test]
async fn one_exchange_serves_many_calls_and_a_new_one_follows_expiry() {
    capture_logs();
    let app = spawn_app(TestOptions {
        access_token_ttl: Duration::from_secs(300),
        ..Default::default()
    })
    .await;
    let source = client_of(&app).source(SecretString::from(DEMO_PAT));
    let first = source.token().await.unwrap();
    for _ in 0..20 {
        let t = source.token().await.unwrap();
        assert_eq!(t.secret(), first.secret());
    }
    assert_eq!(app.control().token_calls(PAT_GRANT), 1);
    assert_eq!(first.lifetime, Duration::from_secs(300));
    assert!(first.missing_scopes.is_empty(), "{first:?}");
    // Renewed 30 s (a tenth of the lifetime) before expiry, by the app's clock: at 260 s the
    // token is still handed out, at 275 s a new one is minted.
    app.advance_clock(Duration::from_secs(260));
    assert_eq!(source.token().await.unwrap().secret(), first.secret());
    assert_eq!(app.control().token_calls(PAT_GRANT), 1);
    app.advance_clock(Duration::from_secs(15));
    let second = source.token().await.unwrap();
    assert_ne!(second.secret(), first.secret());
    assert_eq!(app.control().token_calls(PAT_GRANT), 2);
    // The new token works at the gateway.
    let who = app
        .state
        .environments
        .default_env()
        .gateway
        .user_orgs(second.secret())
        .await
        .unwrap();
    assert_eq!(who.user.email.as_deref(), Some(BOT_EMAIL));
}

#[tokio::test]
async fn a_gateway_401_mints_one_new_token_and_retries_once() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let source = client_of(&app).source(SecretString::from(DEMO_PAT));
    source.token().await.unwrap();
    app.control().expire_access_tokens();
    let gw = fv_partner_app::filevine::AuthedGateway::new(
        app.state.environments.default_env().gateway.clone(),
        source,
    );
    let who = gw.user_orgs().await.unwrap();
    assert_eq!(who.user.email.as_deref(), Some(BOT_EMAIL));
    assert_eq!(app.control().token_calls(PAT_GRANT), 2);
}

#[tokio::test]
async fn fifty_concurrent_callers_cause_one_exchange() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let source = client_of(&app).source(SecretString::from(DEMO_PAT));
    let calls = (0..50).map(|_| {
        let s = source.clone();
        async move { s.token().await.map(|t| t.secret().to_owned()) }
    });
    let tokens = futures::future::join_all(calls).await;
    let first = tokens[0].as_ref().unwrap().clone();
    assert!(tokens.iter().all(|t| t.as_ref().ok() == Some(&first)));
    assert_eq!(app.control().token_calls(PAT_GRANT), 1);
}

#[tokio::test]
async fn refused_pat_is_explained_and_not_asked_again() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let source = client_of(&app).source(SecretString::from(WRONG_PAT));
    let e = source.token().await.unwrap_err();
    assert!(matches!(e, PatError::Rejected), "{e:?}");
    let msg = e.to_string();
    for word in ["revoked", "mistyped", "activated"] {
        assert!(msg.contains(word), "{msg}");
    }
    assert!(!msg.contains(WRONG_PAT));
    let again = source.token().await.unwrap_err();
    assert!(matches!(again, PatError::Rejected));
    assert_eq!(
        app.control().token_calls(PAT_GRANT),
        1,
        "remembered, not retried"
    );
    // Concurrent callers after a refusal do not reach the provider either.
    let many = (0..10).map(|_| source.token());
    assert!(futures::future::join_all(many)
        .await
        .iter()
        .all(|r| r.is_err()));
    assert_eq!(app.control().token_calls(PAT_GRANT), 1);
    assert!(!logs_text().contains(WRONG_PAT), "PAT in the logs");
    // The refusal is remembered for 5 minutes by the app's clock, then asked again.
    app.advance_clock(Duration::from_secs(295));
    assert!(source.token().await.is_err());
    assert_eq!(app.control().token_calls(PAT_GRANT), 1, "4:55 later");
    app.advance_clock(Duration::from_secs(10));
    assert!(source.token().await.is_err());
    assert_eq!(app.control().token_calls(PAT_GRANT), 2, "5:05 later");
}

#[tokio::test]
async fn provider_outage_is_retried_a_bounded_number_of_times() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let source = client_of(&app).source(SecretString::from(DEMO_PAT));
    app.control().set_token_endpoint_down(true);
    let e = source.token().await.unwrap_err();
    assert!(matches!(e, PatError::Unavailable(_)), "{e:?}");
    assert_eq!(app.control().token_calls(PAT_GRANT), 3, "three attempts");
    app.control().set_token_endpoint_down(false);
    assert!(source.token().await.is_ok(), "an outage is not remembered");
    assert_eq!(app.control().token_calls(PAT_GRANT), 4);
}

#[tokio::test]
async fn a_token_without_the_gateway_scope_is_refused() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let no_gateway = client_of(&app)
        .with_scopes(vec!["openid".into(), "email".into()])
        .source(SecretString::from(DEMO_PAT));
    // The stand-in grants exactly what is asked: asking without the gateway scope means it is
    // not granted.
    let e = no_gateway.token().await.unwrap_err();
    assert!(matches!(e, PatError::MissingGatewayScope { .. }), "{e:?}");
    assert!(e.to_string().contains("fv.api.gateway.access"));
}
