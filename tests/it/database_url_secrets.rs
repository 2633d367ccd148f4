//! A database password given as a query parameter of `DATABASE_URL` (`?password=`,
//! `?sslpassword=`, both understood by PostgreSQL's own clients) is never printed: not in
//! `check`'s report, and not in the log of a command that opens the database, at any log level
//! (the database driver warns about a parameter it does not know, with its value).

use crate::common;

use std::process::Output;

use common::*;

const PASSWORD: &str = "s3cret-q-password";
const SSL_PASSWORD: &str = "x9y8z7-sslpassword";

/// The test database's URL with both password parameters added.
fn url_with_passwords() -> String {
    let mut url = url::Url::parse(&postgres_url()).unwrap();
    url.query_pairs_mut()
        .append_pair("sslmode", "disable")
        .append_pair("password", PASSWORD)
        .append_pair("sslpassword", SSL_PASSWORD);
    url.to_string()
}

/// Runs the binary with `args` on that URL, every target logging at trace level.
async fn run(app: &TestApp, args: &[&str]) -> (Output, String) {
    let mut c = app.command(args);
    c.env("DATABASE_URL", url_with_passwords())
        .env("RUST_LOG", "trace");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

#[tokio::test]
async fn passwords_in_the_database_urls_query_are_never_printed() {
    let app = spawn_app(TestOptions::default()).await;

    let (out, text) = run(&app, &["check"]).await;
    assert!(out.status.success(), "{text}");
    assert!(text.contains("sslmode=disable"), "the URL is shown: {text}");

    let (out, logs) = run(&app, &["connections", "list"]).await;
    assert!(out.status.success(), "the database opened: {logs}");

    for (what, shown) in [("check", &text), ("connections list", &logs)] {
        for secret in [PASSWORD, SSL_PASSWORD] {
            assert!(
                !shown.contains(secret),
                "{secret} in {what}'s output: {shown}"
            );
        }
    }
}
