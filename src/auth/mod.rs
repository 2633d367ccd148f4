//! Login with Filevine: the OpenID Connect client, the typed session and the token vault.

pub mod account;
pub mod environments;
pub mod error;
pub mod flow;
pub mod oidc;
pub mod policy;
pub mod return_to;
pub mod session;
pub mod session_tokens;
pub mod sessions;
pub mod tokens;
pub mod vault;

pub use environments::{Environment, Environments};
pub use error::{LoginError, RefreshError};
pub use oidc::{Identity, OidcProvider};
pub use return_to::ReturnTo;
pub use session::{OrgRef, SessionUser};
pub use session_tokens::SessionTokens;
pub use tokens::TokenSet;
pub use vault::{TokenVault, VaultError, VaultOwner, CONNECTION_ID_PREFIX};
