//! What is shown of secrets: `check`'s rows, `Debug`, error messages.

use super::*;

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
    assert!(value("FV_PUBLIC_URL").starts_with("none (live updates cannot be turned on)"));
    let live = ok(real(&[(
        "FV_PUBLIC_URL",
        "https://reports.example-firm.com",
    )]));
    assert!(live
        .describe()
        .iter()
        .any(|(n, v)| n == "FV_PUBLIC_URL" && v.starts_with("https://reports.example-firm.com/")));
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
fn provider_urls_with_any_credentials_are_refused() {
    for url in [
        "https://user@identity.example.com",
        "https://:pw@identity.example.com",
        "https://user:pw@identity.example.com",
    ] {
        let e = errors(real(&[("FV_AUTHORITY", url)]));
        assert_eq!(keys(&e), ["FV_AUTHORITY"], "{url}");
        assert!(e.0[0].problem.contains("holds credentials"), "{e}");
        assert!(!e.to_string().contains(":pw@"), "{e}");
    }
}

#[test]
fn a_database_url_that_is_not_a_url_is_hidden_when_it_may_hold_a_password() {
    let e = errors(real(&[("DATABASE_URL", "//app:hunter2@db.internal/fv")]));
    assert_eq!(keys(&e), ["DATABASE_URL"]);
    let text = e.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("hidden: not a URL"), "{text}");
    // Without an '@' there is no password to hide: the value is shown to help fix it.
    let e = errors(real(&[("DATABASE_URL", "fv-partner-app.db")]));
    assert!(e.to_string().contains("'fv-partner-app.db'"), "{e}");
}
