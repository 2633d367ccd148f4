//! The health and alert settings: defaults, accepted channels, and every bad value a one-line
//! error naming its key, with no password or webhook path quoted back.

use secrecy::ExposeSecret;

use super::*;

const ADMINS: (&str, &str) = ("FV_ADMIN_EMAILS", "ada@firm.example");
const FROM: (&str, &str) = ("FV_ALERT_FROM", "Alerts <alerts@firm.example>");

#[test]
fn health_checks_every_5_minutes_and_alerts_are_off_by_default() {
    let s = ok(real(&[]));
    assert_eq!(s.alerts.health_every, std::time::Duration::from_secs(300));
    assert!(s.alerts.smtp.is_none() && s.alerts.webhook.is_none());
    assert!(s.alerts.client_secret_expires.is_none());
    let dated = ok(real(&[("FV_CLIENT_SECRET_EXPIRES", "2027-06-30")]));
    let date = dated.alerts.client_secret_expires.map(|d| d.to_string());
    assert_eq!(date.as_deref(), Some("2027-06-30"));
    let check = format!("{:?}", s.describe());
    assert!(
        check.contains("alert email") && check.contains("off"),
        "{check}"
    );
}

#[test]
fn encrypted_smtp_anywhere_plain_only_to_loopback_and_check_masks_the_password() {
    for url in [
        "smtps://bot:hunter2-pw@mail.firm.example:465",
        "smtp://bot:hunter2-pw@mail.firm.example:587?tls=required",
        "smtp://127.0.0.1:2525",
        "smtp://localhost:25",
    ] {
        let s = ok(real(&[("FV_SMTP_URL", url), FROM, ADMINS]));
        let smtp = s.alerts.smtp.as_ref().expect("email on");
        assert_eq!(smtp.url.expose_secret(), url);
        assert_eq!(smtp.to, ["ada@firm.example"]);
        let shown = format!("{:?} {s:?}", s.describe());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("alert email") && shown.contains("on: smtp"),
            "{shown}"
        );
    }
    let hook = "https://hooks.slack.example/services/T0/B0/very-secret-path";
    let s = ok(real(&[("FV_ALERT_WEBHOOK_URL", hook)]));
    let shown = format!("{:?} {s:?}", s.describe());
    assert!(
        shown.contains("on: https://hooks.slack.example/****"),
        "{shown}"
    );
    assert!(!shown.contains("very-secret-path"), "{shown}");
}

#[test]
fn every_bad_value_is_one_line_naming_its_key() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("FV_HEALTH_MINUTES", "0")], "FV_HEALTH_MINUTES"),
        (&[("FV_HEALTH_MINUTES", "1441")], "FV_HEALTH_MINUTES"),
        (&[("FV_HEALTH_MINUTES", "five")], "FV_HEALTH_MINUTES"),
        (
            &[
                ("FV_SMTP_URL", "smtp://bot:hunter2@mail.firm.example"),
                FROM,
                ADMINS,
            ],
            "FV_SMTP_URL",
        ),
        (
            &[
                (
                    "FV_SMTP_URL",
                    "smtp://bot:hunter2@mail.firm.example?tls=opportunistic",
                ),
                FROM,
                ADMINS,
            ],
            "FV_SMTP_URL",
        ),
        (
            &[
                (
                    "FV_SMTP_URL",
                    "smtps://bot:hunter2@mail.firm.example?tls=never",
                ),
                FROM,
                ADMINS,
            ],
            "FV_SMTP_URL",
        ),
        (
            &[
                ("FV_SMTP_URL", "https://bot:hunter2@mail.firm.example"),
                FROM,
                ADMINS,
            ],
            "FV_SMTP_URL",
        ),
        (
            &[("FV_SMTP_URL", "not a url hunter2"), FROM, ADMINS],
            "FV_SMTP_URL",
        ),
        (
            &[("FV_SMTP_URL", "smtps://mail.firm.example"), ADMINS],
            "FV_ALERT_FROM",
        ),
        (
            &[("FV_SMTP_URL", "smtps://mail.firm.example"), FROM],
            "FV_SMTP_URL",
        ),
        (&[("FV_ALERT_FROM", "not an address")], "FV_ALERT_FROM"),
        (
            &[(
                "FV_ALERT_WEBHOOK_URL",
                "http://hooks.slack.example/T0/hunter2",
            )],
            "FV_ALERT_WEBHOOK_URL",
        ),
        (
            &[("FV_ALERT_WEBHOOK_URL", "ftp://127.0.0.1/hunter2")],
            "FV_ALERT_WEBHOOK_URL",
        ),
        (
            &[("FV_ALERT_WEBHOOK_URL", "hunter2")],
            "FV_ALERT_WEBHOOK_URL",
        ),
    ];
    for (vars, key) in cases {
        let e = errors(real(vars));
        assert_eq!(keys(&e), [*key], "{vars:?}: {e}");
        let line = e.to_string();
        assert_eq!(line.trim_end().lines().count(), 1, "{line}");
        assert!(!line.contains("hunter2"), "a secret in {line}");
    }
}
