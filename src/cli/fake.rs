//! `fv-partner-app fake-filevine`: the stand-in for Filevine alone, for partner developers who
//! point their own client at it. Only in builds with the `demo` feature.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use fake_filevine::{self as fake, FakeClient, FakeOptions};

/// Options of the stand-in.
#[derive(clap::Args, Debug)]
pub(crate) struct FakeArgs {
    /// Loopback address to listen on.
    #[arg(long = "fake-listen", default_value = "127.0.0.1:7060")]
    listen: SocketAddr,
    /// Client id to register.
    #[arg(long = "fake-client-id", default_value = fake::DEMO_CLIENT_ID)]
    client_id: String,
    /// Client secret to register.
    #[arg(
        long = "fake-client-secret",
        env = "FV_FAKE_CLIENT_SECRET",
        default_value = "demo-secret-change-me"
    )]
    client_secret: String,
    /// Registered redirect URIs (repeatable).
    #[arg(long = "fake-redirect-uri", default_values_t = ["http://localhost:7059/auth/callback".to_string(), "https://localhost:7059/signin-oidc".to_string()])]
    redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs (repeatable).
    #[arg(long = "fake-post-logout-redirect-uri", default_values_t = ["http://localhost:7059/auth/logout/callback".to_string(), "https://localhost:7059/signout-callback-oidc".to_string()])]
    post_logout_uris: Vec<String>,
    /// Access token lifetime in seconds.
    #[arg(long = "fake-token-ttl", default_value_t = 1200)]
    token_ttl: u64,
    /// Added latency of every gateway call, in milliseconds.
    #[arg(long = "fake-latency-ms", default_value_t = 0)]
    latency_ms: u64,
    /// Projects per organization.
    #[arg(long = "fake-projects", default_value_t = 1250)]
    projects: usize,
    /// Answer the gateway in the published export's PascalCase instead of the camelCase
    /// Filevine's samples read from the live gateway (a client should read both).
    #[arg(long = "fake-pascal-case")]
    pascal_case: bool,
    /// Put `name`, `email` and `email_verified` in ID tokens too. Off, like IdentityServer's
    /// default: they are served at userinfo only.
    #[arg(long = "fake-claims-in-id-token")]
    claims_in_id_token: bool,
}

/// Serves the stand-in until Ctrl-C; exits 1 when it cannot start (its port taken, say).
pub(crate) async fn run(args: FakeArgs) -> ExitCode {
    let options = FakeOptions {
        listen: args.listen,
        clients: vec![FakeClient {
            client_id: args.client_id,
            client_secret: args.client_secret,
            redirect_uris: args.redirect_uris,
            post_logout_redirect_uris: args.post_logout_uris,
        }],
        access_token_ttl: Duration::from_secs(args.token_ttl),
        gateway_latency: Duration::from_millis(args.latency_ms),
        projects_per_org: args.projects,
        casing: if args.pascal_case {
            fake::Casing::Pascal
        } else {
            fake::Casing::Camel
        },
        user_claims_in_id_token: args.claims_in_id_token,
        // A visitor sees a law firm; the attack names are for tests.
        hostile_names: false,
        // Its answers stay instant (the benchmarks run against it); the tests hold the
        // stand-in's answers to the contract.
        check_answers: false,
        ..FakeOptions::default()
    };
    match fake::run_standalone(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-filevine: {e}");
            ExitCode::FAILURE
        }
    }
}
