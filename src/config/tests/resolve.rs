//! What `resolve` makes of one set of values: defaults, ranges, URLs, keys, TLS, errors.

use secrecy::ExposeSecret;

use super::*;

#[test]
fn defaults_run_the_demo() {
    let s = ok(Sources::default());
    assert!(s.demo);
    assert_eq!(s.server.listen.to_string(), "127.0.0.1:7059");
    assert_eq!(s.oidc.scopes.join(" "), DEFAULT_SCOPES);
    assert_eq!(
        s.oidc.redirect_uri.as_str(),
        "http://localhost:7059/auth/callback"
    );
    assert_eq!(
        s.oidc.post_logout_redirect_uri.as_str(),
        "http://localhost:7059/auth/logout/callback"
    );
    assert_eq!(s.db.url, "sqlite://fv-partner-app.db");
    assert_eq!(s.gateway.concurrency, 8);
    assert_eq!(s.oidc.clock_skew.as_secs(), 60);
    assert_eq!(s.session.refresh_margin.as_secs(), 60);
    assert_eq!(s.session.idle_timeout.as_secs(), 120 * 60);
    assert_eq!(s.session.absolute_timeout.as_secs(), 24 * 3600);
    assert_eq!(s.tls, TlsMode::Off);
    assert!(s.service_account.pat.is_none() && s.service_account.admin_emails.is_empty());
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.origins["FV_SECRET_KEY"], Origin::Demo);
    assert_eq!(s.origins["FV_LISTEN"], Origin::Default);
}

#[test]
fn full_environment_is_real() {
    let s = ok(real(&[
        ("FV_LISTEN", "0.0.0.0:8080"),
        ("FV_REDIRECT_URI", "https://app.example.com/signin-oidc"),
        (
            "FV_POST_LOGOUT_REDIRECT_URI",
            "https://app.example.com/logout/callback",
        ),
        ("FV_PAT", "pat-0123456789abcdef-wxyz"),
        ("FV_SERVICE_ACCOUNT_EMAIL", "robot@firm.com"),
        ("FV_ADMIN_EMAILS", "Alice@Firm.com, bob@firm.com,"),
        ("FV_CONCURRENCY", "25"),
        ("DATABASE_URL", "postgres://app@db/fv"),
        ("FV_SESSION_IDLE_MINUTES", "30"),
        ("FV_SESSION_ABSOLUTE_HOURS", "8"),
        ("FV_REFRESH_MARGIN_SECONDS", "120"),
    ]));
    assert!(!s.demo);
    assert_eq!(s.oidc.region, Region::Us);
    assert_eq!(s.oidc.authority.as_str(), "https://identity.filevine.com/");
    assert_eq!(s.gateway.url.as_str(), "https://api.filevineapp.com/");
    assert_eq!(s.origins["FV_AUTHORITY"], Origin::Preset(Region::Us));
    assert_eq!(s.oidc.client_id, "partner-app");
    assert_eq!(s.oidc.client_secret.expose_secret(), SECRET);
    assert_eq!(s.db.secret_key.expose()[31], 0x1f);
    assert_eq!(s.origins["FV_SECRET_KEY"], Origin::Env("FV_SECRET_KEY"));
    assert_eq!(s.server.listen.port(), 8080);
    assert_eq!(
        s.service_account.admin_emails,
        ["alice@firm.com", "bob@firm.com"]
    );
    assert_eq!(s.service_account.email.as_deref(), Some("robot@firm.com"));
    assert_eq!(s.gateway.concurrency, 25);
    assert_eq!(s.session.idle_timeout.as_secs(), 30 * 60);
    assert_eq!(s.session.absolute_timeout.as_secs(), 8 * 3600);
    assert_eq!(s.session.refresh_margin.as_secs(), 120);
    assert!(s.service_account.pat.is_some());
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn partial_configuration_is_an_error_not_the_demo() {
    let e = errors(from_env(&[("FV_CLIENT_ID", "partner-app")]));
    assert_eq!(keys(&e), ["FV_CLIENT_SECRET", "FV_SECRET_KEY"]);
    assert_eq!(
        e.0[0].to_string(),
        "FV_CLIENT_SECRET: missing (FV_CLIENT_ID is set) — set FV_CLIENT_SECRET to the secret Filevine issued with your client id"
    );

    let e = errors(from_env(&[
        ("CLIENT_SECRET", SECRET),
        ("FV_SECRET_KEY", HEX_KEY),
    ]));
    assert_eq!(keys(&e), ["FV_CLIENT_ID"]);
    assert!(e.0[0]
        .problem
        .contains("FV_CLIENT_SECRET is set by environment CLIENT_SECRET"));

    // An authority alone is real configuration too.
    let e = errors(from_env(&[(
        "FV_AUTHORITY",
        "https://identity.filevine.com",
    )]));
    assert_eq!(
        keys(&e),
        ["FV_CLIENT_ID", "FV_CLIENT_SECRET", "FV_SECRET_KEY"]
    );

    let e = errors(from_env(&[("FV_DEMO", "false")]));
    assert!(e.0[0].problem.contains("FV_DEMO is false"), "{e}");
}

#[test]
fn demo_flag_wins_over_real_settings_with_a_warning() {
    let mut sources = real(&[]);
    sources.overrides.demo = true;
    let s = ok(sources);
    assert!(s.demo);
    assert_eq!(s.origins["FV_DEMO"], Origin::Flag("--demo"));
    assert_eq!(s.origins["FV_CLIENT_ID"], Origin::Demo);
    assert!(s
        .warnings
        .iter()
        .any(|w| w.starts_with("FV_CLIENT_ID (from environment FV_CLIENT_ID) is ignored")));
    // The configured key is still used in demo mode.
    assert_eq!(s.db.secret_key.expose()[1], 1);
}

#[test]
fn several_errors_are_reported_together() {
    let e = errors(real(&[
        ("FV_LISTEN", "localhost:7059"),
        ("FV_CONCURRENCY", "100"),
        ("FV_SCOPES", "openid,profile"),
        ("FV_REGION", "eu"),
        ("DATABASE_URL", "mysql://root:hunter2@db/app"),
        ("FV_ADMIN_EMAILS", "alice@firm.com;bob@firm.com"),
        ("FV_CLOCK_SKEW_SECONDS", "-1"),
    ]));
    assert_eq!(
        keys(&e),
        [
            "FV_REGION",
            "FV_SCOPES",
            "FV_CLOCK_SKEW_SECONDS",
            "FV_LISTEN",
            "DATABASE_URL",
            "FV_ADMIN_EMAILS",
            "FV_CONCURRENCY"
        ]
    );
    let text = e.to_string();
    assert_eq!(text.lines().count(), 7, "{text}");
    assert!(text.contains("FV_LISTEN: 'localhost:7059' is not an IP address and port"));
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn plain_http_provider_only_on_loopback() {
    for url in [
        "http://identity.example.com",
        "http://10.0.0.1",
        "ftp://identity.filevine.com",
    ] {
        let e = errors(real(&[("FV_AUTHORITY", url)]));
        assert_eq!(keys(&e), ["FV_AUTHORITY"], "{url}");
        let e = errors(real(&[("FV_GATEWAY_URL", url)]));
        assert_eq!(keys(&e), ["FV_GATEWAY_URL"], "{url}");
    }
    for url in [
        "http://localhost:9000",
        "http://127.0.0.1:9000/",
        "http://127.9.8.7",
        "http://[::1]:9000",
    ] {
        let s = ok(real(&[("FV_AUTHORITY", url), ("FV_GATEWAY_URL", url)]));
        assert_eq!(s.oidc.authority.scheme(), "http");
    }
    let e = errors(real(&[("FV_AUTHORITY", "not a url")]));
    assert!(e.to_string().contains("not an absolute URL"));
    let e = errors(real(&[("FV_REDIRECT_URI", "http://app.example.com/cb")]));
    assert_eq!(keys(&e), ["FV_REDIRECT_URI"]);
    let e = errors(real(&[("FV_REDIRECT_URI", "/auth/callback")]));
    assert_eq!(keys(&e), ["FV_REDIRECT_URI"]);
}

#[test]
fn authority_discovery_url_is_trimmed_with_a_warning() {
    let s = ok(real(&[(
        "FV_AUTHORITY",
        "https://identity.filevine.com/.well-known/openid-configuration",
    )]));
    assert_eq!(s.oidc.authority.as_str(), "https://identity.filevine.com/");
    assert!(s.warnings[0].contains("discovery URL"), "{:?}", s.warnings);
}

#[test]
fn scopes_are_space_separated_and_need_openid() {
    let e = errors(real(&[("FV_SCOPES", "openid, profile")]));
    assert!(e.0[0].fix.contains("scopes are space-separated"), "{e}");
    let e = errors(real(&[("FV_SCOPES", "profile email")]));
    assert!(e.0[0].problem.contains("does not include openid"));
    let s = ok(real(&[("FV_SCOPES", "openid  profile openid")]));
    assert_eq!(s.oidc.scopes, ["openid", "profile"]);
    assert!(s.warnings[0].contains("offline_access"));
    let e = errors(Sources {
        json: json(r#"{"fvApiGateway": {"Scopes": ["openid,email"]}}"#),
        ..real(&[])
    });
    assert_eq!(keys(&e), ["FV_SCOPES"]);
}

#[test]
fn secret_key_accepts_hex_and_base64_and_never_echoes() {
    use base64::Engine as _;
    let bytes: Vec<u8> = (0..32).collect();
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut encodings: Vec<String> = engines.iter().map(|e| e.encode(&bytes)).collect();
    encodings.push(HEX_KEY.to_uppercase());
    for text in encodings {
        let s = ok(real(&[("FV_SECRET_KEY", &text)]));
        assert_eq!(
            s.db.secret_key.expose().as_slice(),
            bytes.as_slice(),
            "{text}"
        );
    }
    let short = &HEX_KEY[..62];
    let too_long = base64::engine::general_purpose::STANDARD.encode([7u8; 33]);
    for (text, says) in [
        (short, "decodes to 31 bytes"),
        (too_long.as_str(), "decodes to 33 bytes"),
        ("not a key at all!", "neither 64 hex characters nor base64"),
    ] {
        let e = errors(real(&[("FV_SECRET_KEY", text)]));
        assert_eq!(keys(&e), ["FV_SECRET_KEY"]);
        let shown = e.to_string();
        assert!(shown.contains(says), "{shown}");
        assert!(!shown.contains(text), "{shown}");
    }
}

#[test]
fn concurrency_and_other_numbers_in_range() {
    for bad in ["0", "26", "eight", "-3"] {
        let e = errors(real(&[("FV_CONCURRENCY", bad)]));
        assert_eq!(keys(&e), ["FV_CONCURRENCY"], "{bad}");
        assert!(e.0[0].problem.contains("from 1 to 25"));
    }
    assert_eq!(ok(real(&[("FV_CONCURRENCY", "1")])).gateway.concurrency, 1);
    let e = errors(real(&[
        ("FV_CLOCK_SKEW_SECONDS", "601"),
        ("FV_SESSION_IDLE_MINUTES", "0"),
        ("FV_SESSION_ABSOLUTE_HOURS", "721"),
        ("FV_REFRESH_MARGIN_SECONDS", "901"),
    ]));
    assert_eq!(e.0.len(), 4, "{e}");
    let s = ok(real(&[
        ("FV_CLOCK_SKEW_SECONDS", "0"),
        ("FV_SESSION_IDLE_MINUTES", "1500"),
    ]));
    assert!(s.oidc.clock_skew.is_zero());
    assert!(s.warnings[0].contains("FV_SESSION_IDLE_MINUTES is longer"));
}

#[test]
fn region_ca_uses_its_presets() {
    let s = ok(real(&[("FV_REGION", "CA")]));
    assert_eq!(s.oidc.region, Region::Ca);
    assert_eq!(
        s.oidc.authority.as_str(),
        "https://identity.filevineapp.ca/"
    );
    assert_eq!(s.gateway.url.as_str(), "https://api.filevineapp.ca/");
    assert_eq!(s.origins["FV_GATEWAY_URL"], Origin::Preset(Region::Ca));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let s = ok(real(&[
        ("FV_REGION", "ca"),
        ("FV_AUTHORITY", "https://identity.filevineapp.ca"),
    ]));
    assert_eq!(s.oidc.authority.host_str(), Some("identity.filevineapp.ca"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn tls_needs_both_files() {
    let here = env!("CARGO_MANIFEST_DIR");
    let cert = format!("{here}/Cargo.toml");
    let key = format!("{here}/Cargo.lock");
    let e = errors(real(&[("FV_TLS_CERT", &cert)]));
    assert_eq!(keys(&e), ["FV_TLS_KEY"]);
    assert!(e.0[0].problem.contains("FV_TLS_CERT is set"));
    let e = errors(real(&[("FV_TLS_KEY", &key)]));
    assert_eq!(keys(&e), ["FV_TLS_CERT"]);
    let e = errors(real(&[
        ("FV_TLS_CERT", "/nonexistent/cert.pem"),
        ("FV_TLS_KEY", "/nonexistent/key.pem"),
    ]));
    assert_eq!(keys(&e), ["FV_TLS_CERT", "FV_TLS_KEY"]);

    let mut sources = real(&[("FV_REDIRECT_URI", "https://localhost:7059/auth/callback")]);
    sources.overrides.tls_cert = Some(cert.clone().into());
    sources.overrides.tls_key = Some(key.clone().into());
    let s = ok(sources);
    assert_eq!(
        s.tls,
        TlsMode::Files {
            cert: cert.into(),
            key: key.into()
        }
    );
    // The default post-logout URI is http while the server speaks TLS: warned.
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);

    let s = ok(real(&[("FV_TLS_SELF_SIGNED", "1")]));
    assert_eq!(s.tls, TlsMode::SelfSigned);
}

#[test]
fn redirect_uris_checked_against_listen_and_each_other() {
    let s = ok(real(&[("FV_LISTEN", "127.0.0.1:8000")]));
    assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
    assert!(s.warnings[0].contains("port 7059"));
    // Port 0 (tests) says nothing.
    assert!(ok(real(&[("FV_LISTEN", "127.0.0.1:0")]))
        .warnings
        .is_empty());
    let e = errors(real(&[(
        "FV_POST_LOGOUT_REDIRECT_URI",
        "http://localhost:7059/auth/callback",
    )]));
    assert_eq!(keys(&e), ["FV_POST_LOGOUT_REDIRECT_URI"]);
}

#[test]
fn region_us_by_name_and_emails_need_both_halves() {
    let s = ok(real(&[("FV_REGION", "US")]));
    assert_eq!(s.oidc.region, Region::Us);
    assert_eq!(s.origins["FV_AUTHORITY"], Origin::Preset(Region::Us));
    for bad in [
        "@firm.com",
        "robot@",
        "ro bot@firm.com",
        "robot@fi rm.com",
        "robot",
    ] {
        let e = errors(real(&[("FV_SERVICE_ACCOUNT_EMAIL", bad)]));
        assert_eq!(keys(&e), ["FV_SERVICE_ACCOUNT_EMAIL"], "{bad}");
        let e = errors(real(&[("FV_ADMIN_EMAILS", bad)]));
        assert_eq!(keys(&e), ["FV_ADMIN_EMAILS"], "{bad}");
    }
}
