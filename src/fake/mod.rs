//! (placeholder until the stand-in lands from its branch)
use std::{net::SocketAddr, time::Duration};
pub struct FakeOptions {
    pub listen: SocketAddr,
    pub clients: Vec<FakeClient>,
    pub access_token_ttl: Duration,
}
impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            listen: ([127, 0, 0, 1], 0).into(),
            clients: vec![],
            access_token_ttl: Duration::from_secs(1200),
        }
    }
}
#[derive(Clone, Debug)]
pub struct FakeClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
}
#[derive(Debug, thiserror::Error)]
#[error("not built")]
pub struct FakeError;
pub struct FakeFilevine;
impl FakeFilevine {
    pub async fn start(_: FakeOptions) -> Result<Self, FakeError> {
        Err(FakeError)
    }
    pub fn issuer(&self) -> String {
        String::new()
    }
    pub fn gateway_url(&self) -> url::Url {
        url::Url::parse("http://127.0.0.1/").unwrap()
    }
    pub async fn shutdown(self) {}
}
