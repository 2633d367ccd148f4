//! What a [`super::FakeFilevine`] is configured with: clients, PATs, lifetimes and latency.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The personal access token of the demo service account ([`super::data::REPORTING_BOT`]).
/// It is public on purpose: the stand-in only ever listens on loopback.
pub const DEMO_PAT: &str = "fvpat_demo_reporting_bot_0123456789abcdef";

/// Client id of the demo confidential client registered by [`FakeClient::demo`].
pub const DEMO_CLIENT_ID: &str = "fv-demo-client";

/// Client secret of the demo confidential client registered by [`FakeClient::demo`].
pub const DEMO_CLIENT_SECRET: &str = "fv-demo-secret-not-a-real-secret";

/// How the stand-in behaves. Every field has a demo-friendly default, so
/// `FakeOptions::default()` gives a working provider with the demo client and the demo PAT.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// Where to listen. Must be a loopback address: `start` refuses anything else.
    pub listen: SocketAddr,
    /// The registered confidential clients.
    pub clients: Vec<FakeClient>,
    /// Lifetime of access tokens issued (changeable later through the control handle).
    pub access_token_ttl: Duration,
    /// Whether a refresh token is single-use (a new one is returned on every refresh).
    pub refresh_token_rotation: bool,
    /// Signing algorithm of ID tokens: RS256, RS384 or RS512.
    pub id_token_alg: jsonwebtoken::Algorithm,
    /// Delay added to every gateway call (changeable later through the control handle).
    pub gateway_latency: Duration,
    /// How many projects each org has (at least 1000 are recommended so paging is exercised).
    pub projects_per_org: usize,
    /// The "now" the projects' dates are generated back from (`None`: the fixed
    /// [`super::data::anchor`]). Same anchor, same projects; a test of reports that reads the
    /// app's clock sets it to that clock's now so the stale bands are all populated.
    pub anchor: Option<time::OffsetDateTime>,
    /// Personal access tokens the token endpoint accepts.
    pub pats: Vec<FakePat>,
    /// Also trust access tokens of another OpenID provider, checked at its introspection
    /// endpoint (the browser end-to-end test runs a real provider). `None`: only the stand-in's
    /// own tokens are accepted.
    pub trusted_introspection: Option<TrustedIntrospection>,
    /// Additional keys (same algorithm, never used to sign) published in the JWKS next to the
    /// signing key, for the RP certification cases with several keys.
    pub extra_jwks_keys: usize,
    /// Whether discovery advertises RFC 9207 (`authorization_response_iss_parameter_supported`).
    /// The authorization response carries `iss` either way.
    pub advertise_iss_parameter: bool,
    /// Whether discovery advertises the RFC 7009 `revocation_endpoint` (the endpoint answers
    /// either way): `false` plays a provider without revocation.
    pub advertise_revocation: bool,
    /// Keep the issued refresh tokens in this file (read at start, rewritten on every change)
    /// so a restart signs nobody out: demo mode, whose sessions live in a database file.
    /// `None`: in memory only.
    pub keep_refresh_tokens: Option<std::path::PathBuf>,
    /// Key casing of gateway answers: camelCase as Filevine's samples read the live gateway,
    /// or the published export's PascalCase (changeable later through the control handle).
    pub casing: super::contract::Casing,
    /// Whether ID tokens carry `name`, `email` and `email_verified` as well as userinfo.
    /// `false` is IdentityServer's default for the code flow, and so the likely behaviour of
    /// Filevine Identity.
    pub user_claims_in_id_token: bool,
    /// Whether a few projects carry attack names (`=HYPERLINK(...)`, `<script>`, markup, a line
    /// break: [`super::generate::HOSTILE_PROJECTS`]). On for tests, which prove them harmless;
    /// demo mode and the `fake-filevine` command turn it off so a visitor sees a law firm.
    pub hostile_names: bool,
    /// Whether each gateway answer is validated against Filevine's published schema, a
    /// departure remembered for [`super::FakeControl::answer_problems`]. On for tests, which
    /// hold every flow to the contract; demo mode and the `fake-filevine` command turn it off:
    /// reading back a page of 1,000 projects costs tens of milliseconds, and the benchmarks
    /// measure the app against an instant stand-in.
    pub check_answers: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            clients: vec![FakeClient::demo()],
            access_token_ttl: Duration::from_secs(1200),
            refresh_token_rotation: true,
            id_token_alg: jsonwebtoken::Algorithm::RS256,
            gateway_latency: Duration::ZERO,
            projects_per_org: 1250,
            anchor: None,
            pats: vec![FakePat::demo()],
            trusted_introspection: None,
            extra_jwks_keys: 0,
            advertise_iss_parameter: true,
            advertise_revocation: true,
            keep_refresh_tokens: None,
            casing: super::contract::Casing::Camel,
            user_claims_in_id_token: false,
            hostile_names: true,
            check_answers: true,
        }
    }
}

/// A confidential client as Filevine provisions it: id, secret and the exact redirect URIs.
#[derive(Clone, Debug)]
pub struct FakeClient {
    pub client_id: String,
    pub client_secret: String,
    /// Compared character for character with the `redirect_uri` of a request.
    pub redirect_uris: Vec<String>,
    /// Compared character for character with `post_logout_redirect_uri` at end_session.
    pub post_logout_redirect_uris: Vec<String>,
}

impl FakeClient {
    /// The demo client ([`DEMO_CLIENT_ID`], [`DEMO_CLIENT_SECRET`]) registered for the app's
    /// default callback and logout landing on port 7059, for both `localhost` and `127.0.0.1`.
    pub fn demo() -> Self {
        let hosts = ["localhost", "127.0.0.1"];
        FakeClient {
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: DEMO_CLIENT_SECRET.to_owned(),
            redirect_uris: hosts
                .iter()
                .map(|h| format!("http://{h}:7059/auth/callback"))
                .collect(),
            post_logout_redirect_uris: hosts
                .iter()
                .map(|h| format!("http://{h}:7059/auth/logout/callback"))
                .collect(),
        }
    }

    /// The demo client id and secret registered for the given callback and logout landing
    /// (handy when the app listens on a port chosen at run time).
    pub fn demo_for(
        redirect_uri: impl Into<String>,
        post_logout_redirect_uri: impl Into<String>,
    ) -> Self {
        FakeClient {
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: DEMO_CLIENT_SECRET.to_owned(),
            redirect_uris: vec![redirect_uri.into()],
            post_logout_redirect_uris: vec![post_logout_redirect_uri.into()],
        }
    }
}

/// A personal access token and the demo user (by email) it belongs to.
#[derive(Clone, Debug)]
pub struct FakePat {
    pub token: String,
    /// Must be the email of one of [`super::data::DEMO_USERS`].
    pub user_email: String,
}

impl FakePat {
    /// [`DEMO_PAT`] of the reporting bot service account.
    pub fn demo() -> Self {
        FakePat {
            token: DEMO_PAT.to_owned(),
            user_email: super::data::REPORTING_BOT.email.to_owned(),
        }
    }
}

/// Another OpenID provider whose access tokens the gateway accepts, as a resource server does:
/// it asks the provider (RFC 7662 token introspection, client_secret_basic) about each token it
/// did not issue itself. The token must be `active`, of `token_type` Bearer (so a refresh token
/// is no access token), name `audience` when that is set, and carry the gateway scope; its `sub`
/// must be the `sub` of a demo user, whose orgs and projects the gateway then serves.
/// The URL must be on loopback, like the stand-in itself.
#[derive(Clone, Debug)]
pub struct TrustedIntrospection {
    /// The provider's introspection endpoint.
    pub url: url::Url,
    /// The credentials the gateway introspects with.
    pub client_id: String,
    pub client_secret: String,
    /// The audience (resource indicator) the provider issues gateway tokens for, if checked.
    pub audience: Option<String>,
}
