//! Where values come from: config.json, .env, the environment, aliases, flags, the example files.

use secrecy::ExposeSecret;

use super::*;
use crate::config::sources::KEYS;
use crate::config::validate::{BUILT_IN_URLS, EXAMPLE_VALUES};

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
        json: json(include_str!("../../../config.example.json")),
        ..Sources::default()
    });
    assert_eq!(
        keys(&e),
        ["FV_CLIENT_ID", "FV_CLIENT_SECRET", "FV_SECRET_KEY"],
        "{e}"
    );
    assert!(e.0[0].problem.contains("example placeholder"));
    let (id, secret) = EXAMPLE_VALUES;
    let example_json = include_str!("../../../config.example.json");
    assert!(example_json.contains(id) && example_json.contains(secret));
    // .env.example: every variable documented; as shipped (empty values) it runs the demo.
    let example = include_str!("../../../.env.example");
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

#[test]
fn demo_mode_does_not_warn_about_ports_it_follows() {
    let with = |vars: &[(&str, &str)]| ok(from_env(vars)).warnings;
    // Demo mode on another port: its URIs follow the port it binds.
    let demo = with(&[("FV_LISTEN", "127.0.0.1:7071")]);
    assert!(demo.iter().all(|w| !w.contains("FV_LISTEN is")), "{demo:?}");
    // A real client on another port than its registered redirect: worth a warning.
    let real = with(&[
        ("FV_LISTEN", "127.0.0.1:7071"),
        ("FV_CLIENT_ID", "c"),
        ("FV_CLIENT_SECRET", "s"),
        ("FV_SECRET_KEY", HEX_KEY),
    ]);
    assert!(real.iter().any(|w| w.contains("FV_LISTEN is")), "{real:?}");
}
