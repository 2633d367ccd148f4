//! Configuration tests: `resolve` driven with in-memory sources; the process environment is
//! never changed.

use std::path::PathBuf;

use proptest::prelude::*;
use secrecy::ExposeSecret;

use super::sources::{ALIASES, KEYS};
use super::validate::{BUILT_IN_URLS, EXAMPLE_VALUES};
use super::*;

const HEX_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SECRET: &str = "s3cr3t-Value-that-ends-in-cdef";

fn pairs(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn from_env(vars: &[(&str, &str)]) -> Sources {
    Sources {
        env: pairs(vars),
        ..Sources::default()
    }
}

/// The smallest real (non-demo) configuration, plus `extra`.
fn real(extra: &[(&str, &str)]) -> Sources {
    let mut vars = vec![
        ("FV_CLIENT_ID", "partner-app"),
        ("FV_CLIENT_SECRET", SECRET),
        ("FV_SECRET_KEY", HEX_KEY),
    ];
    vars.extend_from_slice(extra);
    from_env(&vars)
}

fn json(text: &str) -> Option<(PathBuf, String)> {
    Some((PathBuf::from("config.json"), text.to_owned()))
}

fn ok(sources: Sources) -> Settings {
    match resolve(sources) {
        Ok(settings) => settings,
        Err(errors) => panic!("expected valid settings, got:\n{errors}"),
    }
}

fn errors(sources: Sources) -> ConfigErrors {
    match resolve(sources) {
        Ok(settings) => panic!("expected errors, got {settings:?}"),
        Err(errors) => errors,
    }
}

fn keys(errors: &ConfigErrors) -> Vec<&'static str> {
    errors.0.iter().map(|e| e.key).collect()
}

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

const NODE_CONFIG: &str = r#"{
  "port": 3000,
  "sessionSecret": "keyboard cat",
  "somethingElse": {"ignored": true},
  "fvApiGateway": {
    "Url": "https://api.filevineapp.com",
    "Authority": "https://identity.filevine.com",
    "ClientId": "node-client",
    "ClientSecret": "node-secret-0123456789-abcd",
    "RedirectUri": "https://localhost:3000/signin-oidc",
    "PostLogoutRedirectUri": "https://localhost:3000/logout/callback",
    "ClockSkewSeconds": 120,
    "Scopes": ["email", "profile", "openid", "tenant", "offline_access"],
    "Unknown": 1
  }
}"#;

#[test]
fn node_config_json_works_unchanged() {
    let s = ok(Sources {
        json: json(NODE_CONFIG),
        env: pairs(&[("FV_SECRET_KEY", HEX_KEY)]),
        ..Sources::default()
    });
    assert!(!s.demo);
    assert_eq!(s.server.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(s.origins["FV_LISTEN"], Origin::ConfigJson("port"));
    assert_eq!(s.oidc.client_id, "node-client");
    assert_eq!(
        s.oidc.client_secret.expose_secret(),
        "node-secret-0123456789-abcd"
    );
    assert_eq!(s.oidc.redirect_uri.path(), "/signin-oidc");
    assert_eq!(s.oidc.post_logout_redirect_uri.path(), "/logout/callback");
    assert_eq!(s.oidc.clock_skew.as_secs(), 120);
    assert_eq!(
        s.oidc.scopes,
        ["email", "profile", "openid", "tenant", "offline_access"]
    );
    assert_eq!(
        s.origins["FV_CLIENT_ID"],
        Origin::ConfigJson("fvApiGateway.ClientId")
    );
    // The sample registers https://localhost while TLS is off here: worth a warning.
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("https but TLS is off")),
        "{:?}",
        s.warnings
    );
    assert!(ok(Sources {
        json: json(NODE_CONFIG),
        env: pairs(&[("FV_SECRET_KEY", HEX_KEY)]),
        overrides: Overrides {
            tls_self_signed: true,
            ..Overrides::default()
        },
        ..Sources::default()
    })
    .warnings
    .is_empty());
}

#[test]
fn later_source_wins() {
    let layered = |dotenv: Option<&str>, env: Option<&str>, flag: Option<&str>| {
        let mut sources = Sources {
            json: json(NODE_CONFIG),
            env: pairs(&[("FV_SECRET_KEY", HEX_KEY)]),
            ..Sources::default()
        };
        if let Some(v) = dotenv {
            sources.dotenv = pairs(&[("FV_CLIENT_ID", v), ("FV_LISTEN", "127.0.0.1:4000")]);
        }
        if let Some(v) = env {
            sources.env.push(("FV_CLIENT_ID".into(), v.into()));
        }
        sources.overrides.client_id = flag.map(str::to_owned);
        ok(sources)
    };
    assert_eq!(layered(None, None, None).oidc.client_id, "node-client");
    let s = layered(Some("dotenv"), None, None);
    assert_eq!(s.oidc.client_id, "dotenv");
    assert_eq!(
        s.server.listen.port(),
        4000,
        ".env FV_LISTEN beats config.json port"
    );
    assert_eq!(
        layered(Some("dotenv"), Some("env"), None).oidc.client_id,
        "env"
    );
    let s = layered(Some("dotenv"), Some("env"), Some("flag"));
    assert_eq!(s.oidc.client_id, "flag");
    assert_eq!(s.origins["FV_CLIENT_ID"], Origin::Flag("--client-id"));
    // Empty values count as unset.
    assert_eq!(
        layered(Some("dotenv"), Some(""), None).oidc.client_id,
        "dotenv"
    );
}

#[test]
fn python_sample_names_are_aliases() {
    let dotenv = pairs(&[
        ("CLIENT_ID", "py-client"),
        ("CLIENT_SECRET", "py-secret-0123456789"),
        (
            "AUTH_CONFIG",
            "https://identity.filevine.com/.well-known/openid-configuration",
        ),
        ("SCOPES", "openid email offline_access"),
        ("GATEWAY_URL", "https://api.filevineapp.com"),
        ("SECRET_KEY", "django-insecure-key"),
    ]);
    let s = ok(Sources {
        dotenv: dotenv.clone(),
        env: pairs(&[("FV_SECRET_KEY", HEX_KEY)]),
        ..Sources::default()
    });
    assert_eq!(s.oidc.client_id, "py-client");
    assert_eq!(s.oidc.authority.as_str(), "https://identity.filevine.com/");
    assert_eq!(s.oidc.scopes, ["openid", "email", "offline_access"]);
    assert_eq!(s.origins["FV_CLIENT_ID"], Origin::DotEnv("CLIENT_ID"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);

    // SECRET_KEY is Django's, not our key: without FV_SECRET_KEY it is an error that says so.
    let e = errors(Sources {
        dotenv: dotenv.clone(),
        ..Sources::default()
    });
    assert_eq!(keys(&e), ["FV_SECRET_KEY"]);
    assert!(e.to_string().contains("SECRET_KEY in .env is not used"));
    assert!(!e.to_string().contains("django-insecure-key"));

    // An FV_* name beats an alias even from an earlier source.
    let s = ok(Sources {
        dotenv: pairs(&[("FV_CLIENT_ID", "canonical")]),
        env: pairs(&[
            ("CLIENT_ID", "stray"),
            ("CLIENT_SECRET", SECRET),
            ("FV_SECRET_KEY", HEX_KEY),
        ]),
        ..Sources::default()
    });
    assert_eq!(s.oidc.client_id, "canonical");
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
    assert_eq!(s.oidc.authority.as_str(), "https://identity.filevine.ca/");
    assert_eq!(s.gateway.url.as_str(), "https://api.filevineapp.ca/");
    assert_eq!(s.origins["FV_GATEWAY_URL"], Origin::Preset(Region::Ca));
    assert!(s.warnings.iter().any(|w| w.contains("FV_AUTHORITY")));
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
fn secrets_are_masked_in_describe_and_debug() {
    let pat = "pat-0123456789abcdef-wxyz";
    let s = ok(real(&[
        ("FV_PAT", pat),
        ("DATABASE_URL", "postgres://app:hunter2@db/fv"),
    ]));
    let rows = s.describe();
    let value = |name: &str| {
        rows.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no row {name}"))
    };
    assert_eq!(
        value("FV_CLIENT_SECRET"),
        "****cdef (environment FV_CLIENT_SECRET)"
    );
    assert_eq!(value("FV_PAT"), "****wxyz (environment FV_PAT)");
    assert_eq!(
        value("FV_SECRET_KEY"),
        "set (32 bytes) (environment FV_SECRET_KEY)"
    );
    assert!(value("DATABASE_URL").starts_with("postgres://app:****@db/fv"));
    assert!(value("FV_LISTEN").ends_with("(default)"));
    let everything = format!("{rows:?}\n{s:?}");
    for secret in [SECRET, pat, "hunter2", HEX_KEY, "0001020304"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
    // Short secrets show no characters at all.
    let s = ok(real(&[("FV_CLIENT_SECRET", "tiny-secret")]));
    assert!(s.describe().contains(&(
        "FV_CLIENT_SECRET".into(),
        "**** (environment FV_CLIENT_SECRET)".into()
    )));
    // Demo mode describes its placeholders and random key honestly.
    let demo = ok(Sources::default()).describe();
    assert_eq!(
        demo[0].1,
        "demo: the built-in stand-in plays Filevine (default)"
    );
    assert!(demo
        .iter()
        .any(|(n, v)| n == "FV_SECRET_KEY" && v.starts_with("random")));
}

#[test]
fn config_file_problems_never_echo_values() {
    let e = errors(Sources {
        json: json(r#"{"fvApiGateway": {"ClientSecret": "topsecret-value", }"#),
        ..Sources::default()
    });
    assert_eq!(keys(&e), ["config.json"]);
    assert!(!e.to_string().contains("topsecret"));
    let e = errors(Sources {
        json: json(r#"{"port": "http", "fvApiGateway": {"ClientSecret": {"v": 123456789}}}"#),
        ..real(&[])
    });
    assert_eq!(keys(&e), ["config.json", "config.json"], "{e}");
    assert!(!e.to_string().contains("123456789"));
    let e = errors(Sources {
        json: json("[1, 2]"),
        ..Sources::default()
    });
    assert!(e.0[0].problem.contains("not a JSON object"));
}

#[test]
fn example_files_stay_in_step() {
    // config.example.json: the Node shape with placeholders, refused until filled in.
    let e = errors(Sources {
        json: json(include_str!("../../config.example.json")),
        ..Sources::default()
    });
    assert_eq!(
        keys(&e),
        ["FV_CLIENT_ID", "FV_CLIENT_SECRET", "FV_SECRET_KEY"],
        "{e}"
    );
    assert!(e.0[0].problem.contains("example placeholder"));
    let (id, secret) = EXAMPLE_VALUES;
    let example_json = include_str!("../../config.example.json");
    assert!(example_json.contains(id) && example_json.contains(secret));
    // .env.example: every variable documented; as shipped (empty values) it runs the demo.
    let example = include_str!("../../.env.example");
    for key in KEYS {
        assert!(example.contains(&format!("{key}=")), "{key} missing");
    }
    let dotenv = dotenvy::from_read_iter(example.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect(".env.example parses");
    assert!(
        ok(Sources {
            dotenv,
            ..Sources::default()
        })
        .demo
    );
    for url in BUILT_IN_URLS {
        assert!(url::Url::parse(url).is_ok(), "{url}");
    }
}

#[test]
fn load_reads_files_without_echoing_their_lines() {
    let dir = std::env::temp_dir().join(format!("fv-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let env_file = dir.join("bad.env");
    std::fs::write(
        &env_file,
        "# comment\nFV_CLIENT_SECRET=\"unterminated-xyzzy\n",
    )
    .expect("write");
    let e = load(&Overrides {
        config: Some(dir.join("missing.json")),
        env_file: Some(env_file),
        ..Overrides::default()
    })
    .expect_err("bad files");
    let text = e.to_string();
    assert!(text.contains("--config: cannot read"), "{text}");
    assert!(text.contains("cannot parse line 2"), "{text}");
    assert!(!text.contains("xyzzy"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

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

#[test]
fn overrides_flatten_into_a_clap_command() {
    use clap::{CommandFactory, Parser};
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        overrides: Overrides,
    }
    Cli::command().debug_assert();
    let cli = Cli::try_parse_from([
        "fv-partner-app",
        "--listen",
        "0.0.0.0:9000",
        "--demo",
        "--tls-self-signed",
        "--post-logout-redirect-uri",
        "http://localhost:9000/bye",
        "--env-file",
        "other.env",
    ])
    .expect("flags parse");
    assert_eq!(cli.overrides.listen.as_deref(), Some("0.0.0.0:9000"));
    assert!(cli.overrides.demo && cli.overrides.tls_self_signed);
    assert_eq!(cli.overrides.env_file, Some(PathBuf::from("other.env")));
    assert!(Cli::try_parse_from(["fv-partner-app", "--client-secret", "x"]).is_err());
}

/// URL-ish values, with the loopback look-alikes an attacker would try.
fn url_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "(https?|HTTP|ftp|javascript|file|ws):(//)?[a-z0-9.:@\\[\\]%-]{0,30}(/[a-z%.]{0,8})?",
        proptest::sample::select(vec![
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

proptest! {
    /// Whatever `resolve` accepts upholds the rules: provider and gateway over https (plain
    /// http only on loopback), scopes with `openid`, concurrency 1 to 25.
    #[test]
    fn accepted_settings_uphold_the_rules(
        authority in url_like(),
        gateway in url_like(),
        redirect in url_like(),
        concurrency in prop_oneof!["-?[0-9]{1,3}", ".{0,4}"],
        scopes in "[a-z. *]{0,30}",
    ) {
        let mut sources = real(&[]);
        sources.env.extend([
            ("FV_AUTHORITY".to_owned(), authority),
            ("FV_GATEWAY_URL".to_owned(), gateway),
            ("FV_REDIRECT_URI".to_owned(), redirect),
            ("FV_CONCURRENCY".to_owned(), concurrency),
            ("FV_SCOPES".to_owned(), scopes),
        ]);
        if let Ok(s) = resolve(sources) {
            prop_assert!(transport_is_safe(&s.oidc.authority), "authority {}", s.oidc.authority);
            prop_assert!(transport_is_safe(&s.gateway.url), "gateway {}", s.gateway.url);
            prop_assert!(s.oidc.scopes.iter().any(|x| x == "openid"), "{:?}", s.oidc.scopes);
            prop_assert!((1..=25).contains(&s.gateway.concurrency), "{}", s.gateway.concurrency);
            prop_assert!(matches!(s.oidc.redirect_uri.scheme(), "http" | "https"), "{}", s.oidc.redirect_uri);
        }
    }
}
