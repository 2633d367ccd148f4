//! Generated cases: `resolve` never panics, never echoes a secret, and whatever it accepts
//! upholds the rules.

use proptest::prelude::*;

use super::*;
use crate::config::sources::{ALIASES, KEYS};

/// Every name `resolve` reads: canonical names, aliases and the ignored `SECRET_KEY`.
fn names() -> Vec<&'static str> {
    let aliases = ALIASES.iter().map(|(alias, _)| *alias);
    KEYS.iter()
        .copied()
        .chain(aliases)
        .chain(["SECRET_KEY"])
        .collect()
}

fn vars() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(
        (
            proptest::sample::select(names()).prop_map(str::to_owned),
            prop_oneof![
                ".*",
                "[a-z0-9:/.@, _-]{0,40}",
                Just("https://identity.filevine.com".to_owned()),
                Just(HEX_KEY.to_owned()),
            ],
        ),
        0..12,
    )
}

proptest! {
    #[test]
    fn resolve_never_panics(env in vars(), dotenv in vars(), text in ".*", port in ".*") {
        let _ = resolve(Sources { env: env.clone(), dotenv: dotenv.clone(), ..Sources::default() });
        let node = serde_json::json!({
            "port": port,
            "fvApiGateway": { "ClientId": text, "Authority": text, "Scopes": [text], "ClockSkewSeconds": port },
        });
        let _ = resolve(Sources { json: json(&node.to_string()), env, dotenv, ..Sources::default() });
        let _ = resolve(Sources { json: json(&text), ..Sources::default() });
    }

    #[test]
    fn secrets_never_appear_in_errors_or_output(
        secret in "[A-Za-z0-9]{20,40}",
        which in proptest::sample::select(&["FV_CLIENT_SECRET", "FV_SECRET_KEY", "FV_PAT", "CLIENT_SECRET"][..]),
        env in vars(),
    ) {
        let mut env = env;
        env.retain(|(name, _)| !["FV_CLIENT_SECRET", "FV_SECRET_KEY", "FV_PAT", "CLIENT_SECRET"].contains(&name.as_str()));
        env.push((which.to_owned(), secret.clone()));
        let shown = match resolve(Sources { env, ..Sources::default() }) {
            Ok(s) => format!("{s:?} {:?} {:?}", s.describe(), s.warnings),
            Err(e) => format!("{e} {e:?}"),
        };
        prop_assert!(!shown.contains(&secret), "{} leaked: {}", which, shown);
    }
}

/// URL-ish values: mostly well-formed URLs (https anywhere; http on loopback and on hosts that
/// only look like it), then free-form text and the look-alikes an attacker would try. Most
/// well-formed ones are accepted, so the rules below are checked on real accepted settings.
fn url_like() -> impl Strategy<Value = String> {
    let host = proptest::sample::select(vec![
        "localhost",
        "LocalHost",
        "127.0.0.1",
        "127.9.8.7",
        "[::1]",
        "0x7f.0.0.1",
        "2130706433",
        "identity.filevine.com",
        "evil.example",
        "10.0.0.1",
        "0.0.0.0",
        "[::ffff:127.0.0.1]",
        "localhost.evil.example",
        "127.0.0.1.evil.example",
    ]);
    let port = prop_oneof![Just(String::new()), (1u16..).prop_map(|p| format!(":{p}"))];
    let path = prop_oneof![Just(""), Just("/"), Just("/cb"), Just("/auth/callback")];
    let well_formed = (prop_oneof![Just("https"), Just("http")], host, port, path)
        .prop_map(|(scheme, host, port, path)| format!("{scheme}://{host}{port}{path}"));
    prop_oneof![
        6 => well_formed,
        1 => "(https?|HTTP|ftp|javascript|file|ws):(//)?[a-z0-9.:@\\[\\]%-]{0,30}(/[a-z%.]{0,8})?",
        1 => proptest::sample::select(vec![
            "http://localhost:1/",
            "http://localhost.evil.example/",
            "http://127.0.0.1.evil.example/",
            "http://evil.example@127.0.0.1/",
            "http://127.0.0.1@evil.example/",
            "http://127.0.0.1%2eevil.example/",
            "http://[::1]:9/",
            "http://0x7f.0.0.1/",
            "http://2130706433/",
            "http://0.0.0.0/",
            "http://[::ffff:127.0.0.1]/",
            "http:127.0.0.1",
            "http:/evil.example",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Scope lists: most start with `openid`, some leave it out, some are free-form text.
fn scopes() -> impl Strategy<Value = String> {
    let scope = proptest::sample::select(vec![
        "openid",
        "profile",
        "email",
        "offline_access",
        "tenant",
        "filevine.v2.api.*",
    ]);
    let list = proptest::collection::vec(scope, 0..5).prop_map(|v| v.join(" "));
    prop_oneof![
        4 => list.clone().prop_map(|rest| format!("openid {rest}")),
        1 => list,
        1 => "[a-z. *,]{0,30}",
    ]
}

/// Concurrency values: mostly in range, then any number, then any text.
fn concurrency() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1u32..=25).prop_map(|n| n.to_string()),
        1 => "-?[0-9]{1,3}",
        1 => ".{0,4}",
    ]
}

/// Plain http only to a host that really is loopback (after URL parsing, not by string).
fn transport_is_safe(u: &url::Url) -> bool {
    match u.scheme() {
        "https" => u.host_str().is_some(),
        "http" => match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// Generated cases for [`accepted_settings_uphold_the_rules`] and how many of them `resolve`
/// must accept. About one in nine is accepted (some 230); a run accepting fewer than the
/// minimum means the generator drifted away from valid settings and the rules went unchecked.
const CASES: u32 = 2000;
const MIN_ACCEPTED: u32 = 150;

/// Whatever `resolve` accepts upholds the rules: provider, gateway and callback over https
/// (plain http only on loopback), scopes with `openid`, concurrency 1 to 25. Run by hand (not
/// through `proptest!`) to count the accepted cases: a property over zero cases proves nothing.
#[test]
fn accepted_settings_uphold_the_rules() {
    use proptest::test_runner::{Config, TestRunner};
    let accepted = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let inputs = (url_like(), url_like(), url_like(), concurrency(), scopes());
    let result = runner.run(
        &inputs,
        |(authority, gateway, redirect, concurrency, scopes)| {
            let mut sources = real(&[]);
            sources.env.extend([
                ("FV_AUTHORITY".to_owned(), authority),
                ("FV_GATEWAY_URL".to_owned(), gateway),
                ("FV_REDIRECT_URI".to_owned(), redirect),
                ("FV_CONCURRENCY".to_owned(), concurrency),
                ("FV_SCOPES".to_owned(), scopes),
            ]);
            if let Ok(s) = resolve(sources) {
                accepted.set(accepted.get() + 1);
                let (authority, gateway, redirect) =
                    (&s.oidc.authority, &s.gateway.url, &s.oidc.redirect_uri);
                prop_assert!(transport_is_safe(authority), "authority {}", authority);
                prop_assert!(transport_is_safe(gateway), "gateway {}", gateway);
                prop_assert!(transport_is_safe(redirect), "redirect {}", redirect);
                prop_assert!(
                    s.oidc.scopes.iter().any(|x| x == "openid"),
                    "{:?}",
                    s.oidc.scopes
                );
                let concurrency = s.gateway.concurrency;
                prop_assert!((1..=25).contains(&concurrency), "{}", concurrency);
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        accepted.get() >= MIN_ACCEPTED,
        "only {} of {CASES} generated settings were accepted (want {MIN_ACCEPTED}): the property barely ran",
        accepted.get()
    );
}
