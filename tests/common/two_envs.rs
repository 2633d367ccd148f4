//! Two environments served at once (`FV_ENVIRONMENTS=us,ca`): a stand-in on loopback plays
//! each (own issuer, keys, client and gateway), and the app is configured only by the
//! prefixed `FV_US_*` / `FV_CA_*` variables, as an operator would.

use super::*;

/// Client ids of the two environments (each stand-in knows only its own).
pub const US_CLIENT: &str = "us-client";
pub const CA_CLIENT: &str = "ca-client";
const US_SECRET: &str = "us-client-secret-0123456789";
const CA_SECRET: &str = "ca-client-secret-0123456789";

/// The app serving both, and the two stand-ins.
pub struct TwoEnvs {
    /// `app.fake` is the US stand-in.
    pub app: TestApp,
    pub us: Arc<FakeFilevine>,
    pub ca: Arc<FakeFilevine>,
}

impl TwoEnvs {
    /// The stand-in of environment `env` (`us` or `ca`).
    pub fn fake(&self, env: &str) -> &FakeFilevine {
        match env {
            "us" => &self.us,
            "ca" => &self.ca,
            other => panic!("no stand-in for {other}"),
        }
    }

    /// Signs `b` in as `sub` in environment `env` through the chooser's link; returns where
    /// the callback sent the browser.
    pub async fn login(&self, b: &Browser, env: &str, sub: &str) -> String {
        let mut url = self.app.url("/auth/login");
        url.query_pairs_mut().append_pair("env", env);
        let r = b.get(&url).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {env}");
        let authorize = location(&r);
        let callback = b.provider_choose(&authorize, Choice::User(sub)).await;
        let r = b.get(&callback).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "callback of {env}");
        r.headers()[header::LOCATION].to_str().unwrap().to_owned()
    }
}

fn client(id: &str, secret: &str, port: u16) -> FakeClient {
    FakeClient {
        client_id: id.into(),
        client_secret: secret.into(),
        redirect_uris: vec![format!("http://localhost:{port}/auth/callback")],
        post_logout_redirect_uris: vec![format!("http://localhost:{port}/auth/logout/callback")],
    }
}

/// Starts both stand-ins (`opts` for each: called twice) and the app, with `extra` variables.
pub async fn spawn_two_envs(opts: impl Fn() -> FakeOptions, extra: &[(&str, &str)]) -> TwoEnvs {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let start = |id: &str, secret: &str| {
        let mut o = opts();
        o.clients = vec![client(id, secret, port)];
        FakeFilevine::start(o)
    };
    let us = Arc::new(start(US_CLIENT, US_SECRET).await.expect("US stand-in"));
    let ca = Arc::new(start(CA_CLIENT, CA_SECRET).await.expect("CA stand-in"));
    let db_dir = Arc::new(tempfile::tempdir().unwrap());
    let db_path = db_dir.path().join("app.db");
    let mut env: Vec<(String, String)> = vec![
        ("FV_ENVIRONMENTS".into(), "us,ca".into()),
        ("FV_US_AUTHORITY".into(), us.issuer()),
        ("FV_US_GATEWAY_URL".into(), us.gateway_url().to_string()),
        ("FV_US_CLIENT_ID".into(), US_CLIENT.into()),
        ("FV_US_CLIENT_SECRET".into(), US_SECRET.into()),
        ("FV_CA_AUTHORITY".into(), ca.issuer()),
        ("FV_CA_GATEWAY_URL".into(), ca.gateway_url().to_string()),
        ("FV_CA_CLIENT_ID".into(), CA_CLIENT.into()),
        ("FV_CA_CLIENT_SECRET".into(), CA_SECRET.into()),
        ("FV_SECRET_KEY".into(), SECRET_KEY_HEX.into()),
        (
            "FV_REDIRECT_URI".into(),
            format!("http://localhost:{port}/auth/callback"),
        ),
        (
            "FV_POST_LOGOUT_REDIRECT_URI".into(),
            format!("http://localhost:{port}/auth/logout/callback"),
        ),
        ("FV_LISTEN".into(), format!("127.0.0.1:{port}")),
        (
            "DATABASE_URL".into(),
            format!("sqlite://{}", db_path.display()),
        ),
        ("FV_RATE_LIMIT_PER_MINUTE".into(), "100000".into()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = config::resolve(Sources {
        env,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("two-environment settings invalid:\n{e}"));
    let clock = fv_partner_app::util::Clock::system();
    let app = Application::build_with_clock(settings.clone(), listener, clock.clone())
        .await
        .expect("the app builds with both environments");
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TwoEnvs {
        app: TestApp {
            base: Url::parse(&format!("http://localhost:{port}/")).unwrap(),
            port,
            fake: us.clone(),
            settings,
            db_dir,
            db_path,
            state,
            clock,
        },
        us,
        ca,
    }
}
