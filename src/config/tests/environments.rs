//! `FV_ENVIRONMENTS` and each environment's `FV_<E>_*` variables: presets for `us` and `ca`, a
//! custom environment needing its own URLs, the unprefixed client variables refused beside it,
//! `config.json`'s `environments`, and every problem naming its variable.

use super::*;

const US: &[(&str, &str)] = &[
    ("FV_US_CLIENT_ID", "us-client"),
    ("FV_US_CLIENT_SECRET", SECRET),
];
const CA: &[(&str, &str)] = &[
    ("FV_CA_CLIENT_ID", "ca-client"),
    ("FV_CA_CLIENT_SECRET", SECRET),
];

/// `FV_ENVIRONMENTS=list`, the key, and `extra`.
fn several(list: &str, extra: &[&[(&str, &str)]]) -> Sources {
    let mut vars = vec![("FV_ENVIRONMENTS", list), ("FV_SECRET_KEY", HEX_KEY)];
    for part in extra {
        vars.extend_from_slice(part);
    }
    from_env(&vars)
}

fn keys(e: &ConfigErrors) -> Vec<&'static str> {
    e.0.iter().map(|e| e.key).collect()
}

#[test]
fn us_and_ca_side_by_side_from_their_presets() {
    let s = ok(several("us, CA", &[US, CA]));
    assert!(!s.demo);
    assert_eq!(s.environment_names(), ["us", "ca"]);
    let ca = &s.environments[1];
    assert_eq!(ca.preset, Some(Region::Ca));
    assert_eq!(ca.authority.as_str(), "https://identity.filevineapp.ca/");
    assert_eq!(ca.gateway_url.as_str(), "https://api.filevineapp.ca/");
    assert_eq!(ca.client_id, "ca-client");
    // Redirect URIs default to the unprefixed ones, shared by every environment.
    assert_eq!(ca.redirect_uri.path(), "/auth/callback");
    // The first environment is also the app's default one.
    assert_eq!(s.oidc.client_id, "us-client");
    assert_eq!(s.gateway.url.as_str(), "https://api.filevineapp.com/");
    assert_eq!(s.origins["FV_CA_AUTHORITY"], Origin::Preset(Region::Ca));
    assert!(
        s.warnings.iter().all(|w| !w.contains("FV_ENVIRONMENTS")),
        "both are served now, nothing to warn of: {:?}",
        s.warnings
    );
    // Each is served with its own client, sharing scopes and leeway.
    let served = s.served_environments();
    let names: Vec<&str> = served.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["us", "ca"]);
    assert_eq!(served[1].oidc.client_id, "ca-client");
    assert_eq!(
        served[1].oidc.authority.host_str(),
        Some("identity.filevineapp.ca")
    );
    assert_eq!(served[1].gateway_url.host_str(), Some("api.filevineapp.ca"));
    assert_eq!(served[1].oidc.scopes, s.oidc.scopes);
}

#[test]
fn an_environments_own_callback_path_is_checked_against_the_routes_naming_its_variable() {
    let own = [("FV_CA_REDIRECT_URI", "http://localhost:7059/projects")];
    let s = ok(several("us,ca", &[US, CA, &own]));
    let served = s.served_environments();
    assert_eq!(served[1].oidc.redirect_uri.path(), "/projects");
    assert_eq!(served[0].oidc.redirect_uri.path(), "/auth/callback");
    let e = crate::config::check_route_paths(&s, &["/projects", "/auth/login"]).unwrap_err();
    assert_eq!(keys(&e), ["FV_CA_REDIRECT_URI"], "{e}");
    // Its landing may not be another environment's callback either.
    let clash = [(
        "FV_CA_POST_LOGOUT_REDIRECT_URI",
        "http://localhost:7059/auth/callback",
    )];
    let s = ok(several("us,ca", &[US, CA, &clash]));
    let e = crate::config::check_route_paths(&s, &["/projects"]).unwrap_err();
    assert_eq!(keys(&e), ["FV_CA_POST_LOGOUT_REDIRECT_URI"], "{e}");
    assert!(e.to_string().contains("also FV_REDIRECT_URI's path"), "{e}");
}

#[test]
fn without_fv_environments_the_single_region_is_unchanged() {
    let s = ok(real(&[]));
    assert!(s.environments.is_empty());
    assert_eq!(s.environment_names(), ["us"]);
}

#[test]
fn prefixed_client_variables_are_real_configuration() {
    // No demo fallback: a missing secret is an error naming the prefixed variable.
    let e = errors(several("ca", &[&[("FV_CA_CLIENT_ID", "ca-client")]]));
    assert_eq!(keys(&e), ["FV_CA_CLIENT_SECRET"], "{e}");
    // A prefixed variable without FV_ENVIRONMENTS is not silently ignored (and not the demo).
    let e = errors(from_env(&[
        ("FV_CA_CLIENT_ID", "ca-client"),
        ("FV_SECRET_KEY", HEX_KEY),
    ]));
    assert!(keys(&e).contains(&"FV_CA_CLIENT_ID"), "{e}");
    assert!(e.to_string().contains("FV_ENVIRONMENTS"), "{e}");
}

#[test]
fn unprefixed_client_variables_beside_fv_environments_are_refused_naming_the_prefixed_ones() {
    let e = errors(several(
        "us,ca",
        &[
            US,
            CA,
            &[
                ("FV_CLIENT_ID", "which-one"),
                ("FV_GATEWAY_URL", "https://api.filevineapp.com"),
            ],
        ],
    ));
    assert_eq!(keys(&e), ["FV_CLIENT_ID", "FV_GATEWAY_URL"], "{e}");
    let text = e.to_string();
    assert!(text.contains("FV_US_CLIENT_ID, FV_CA_CLIENT_ID"), "{text}");
    assert!(
        text.contains("FV_US_GATEWAY_URL, FV_CA_GATEWAY_URL"),
        "{text}"
    );
}

#[test]
fn a_custom_environment_needs_its_authority_and_gateway() {
    let dev = &[
        ("FV_DEV_CLIENT_ID", "dev-client"),
        ("FV_DEV_CLIENT_SECRET", SECRET),
    ][..];
    let e = errors(several("us,dev", &[US, dev]));
    assert_eq!(keys(&e), ["FV_DEV_AUTHORITY", "FV_DEV_GATEWAY_URL"], "{e}");
    let urls = &[
        ("FV_DEV_AUTHORITY", "https://identity.sandbox.example"),
        ("FV_DEV_GATEWAY_URL", "https://api.sandbox.example"),
        ("FV_DEV_REDIRECT_URI", "http://localhost:7059/signin-oidc"),
    ][..];
    let s = ok(several("us,dev", &[US, dev, urls]));
    let dev = &s.environments[1];
    assert_eq!((dev.name.as_str(), dev.preset), ("dev", None));
    assert_eq!(dev.authority.host_str(), Some("identity.sandbox.example"));
    assert_eq!(dev.redirect_uri.path(), "/signin-oidc");
}

#[test]
fn bad_lists_and_strays_name_their_variable() {
    for list in ["us,,ca", "us,us", "u s", "US_CA", "1x"] {
        let e = errors(several(list, &[US, CA]));
        assert!(keys(&e).contains(&"FV_ENVIRONMENTS"), "{list}: {e}");
    }
    let stray = &[("FV_DEV_CLIENT_ID", "x")][..];
    let e = errors(several("us", &[US, stray]));
    assert_eq!(keys(&e), ["FV_DEV_CLIENT_ID"], "{e}");
    let bad_url = &[("FV_CA_AUTHORITY", "not a url")][..];
    let e = errors(several("us,ca", &[US, CA, bad_url]));
    assert_eq!(keys(&e), ["FV_CA_AUTHORITY"], "{e}");
}

#[test]
fn config_json_environments_are_read_and_the_environment_wins() {
    let json = r#"{"environments": {"ca": {"ClientId": "from-json", "ClientSecret": "json-secret-0123456789"}}}"#;
    let mut sources = several("ca", &[&[("FV_CA_CLIENT_SECRET", SECRET)]]);
    sources.json = Some((PathBuf::from("config.json"), json.into()));
    let s = ok(sources);
    assert_eq!(s.environments[0].client_id, "from-json");
    assert_eq!(
        s.origins["FV_CA_CLIENT_ID"],
        Origin::ConfigJson("environments.ca.ClientId")
    );
    assert_eq!(
        s.origins["FV_CA_CLIENT_SECRET"],
        Origin::Env("FV_CA_CLIENT_SECRET")
    );
}

#[test]
fn check_lists_every_environment_with_its_secret_masked() {
    let s = ok(several("us,ca", &[US, CA]));
    let rows = s.describe();
    let ca_id = rows.iter().find(|(k, _)| k == "FV_CA_CLIENT_ID").unwrap();
    assert!(
        ca_id
            .1
            .starts_with("ca-client (environment FV_CA_CLIENT_ID)"),
        "{ca_id:?}"
    );
    let ca_authority = rows.iter().find(|(k, _)| k == "FV_CA_AUTHORITY").unwrap();
    assert!(
        ca_authority.1.contains("identity.filevineapp.ca"),
        "{ca_authority:?}"
    );
    assert!(rows
        .iter()
        .any(|(k, v)| k == "FV_ENVIRONMENTS" && v.starts_with("us,ca")));
    let shown: String = rows.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    assert!(!shown.contains(SECRET), "a client secret shown:\n{shown}");
}
