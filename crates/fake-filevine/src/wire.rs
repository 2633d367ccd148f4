//! How the stand-in speaks: the key casing of its gateway answers, where its provider puts user
//! claims, the requests it refused for leaving Filevine's published contract, and its own
//! answers that departed from it (see `contract_guard`).
//!
//! Filevine's samples read the live gateway in camelCase while the published export is
//! PascalCase; both are served so an app is tested against each. Filevine Identity is an
//! IdentityServer, whose default for the code flow leaves `name`, `email` and `email_verified`
//! out of the ID token and serves them at userinfo: the stand-in does the same unless told
//! otherwise, so an app that reads them from the ID token alone fails here as it would there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde_json::Value;

use super::contract::Casing;
use super::control::FakeControl;
use super::state::lock;

/// The stand-in's current speech (see the module doc).
#[derive(Default)]
pub(crate) struct Wire {
    pub(crate) casing: Mutex<Casing>,
    pub(crate) claims_in_id_token: AtomicBool,
    pub(crate) violations: Mutex<Vec<String>>,
    /// Answers of the stand-in's own that departed from the published schema.
    pub(crate) answer_problems: Mutex<Vec<String>>,
}

impl Wire {
    pub(crate) fn new(casing: Casing, claims_in_id_token: bool) -> Self {
        Wire {
            casing: Mutex::new(casing),
            claims_in_id_token: AtomicBool::new(claims_in_id_token),
            violations: Mutex::new(Vec::new()),
            answer_problems: Mutex::new(Vec::new()),
        }
    }

    /// `value` (built in camelCase) in the current casing.
    pub(crate) fn cased(&self, value: Value) -> Value {
        match *lock(&self.casing) {
            Casing::Camel => value,
            pascal => pascal.apply(value),
        }
    }

    pub(crate) fn casing(&self) -> Casing {
        *lock(&self.casing)
    }

    pub(crate) fn claims_in_id_token(&self) -> bool {
        self.claims_in_id_token.load(Ordering::SeqCst)
    }
}

impl FakeControl {
    /// Answer the gateway in `casing` from now on.
    pub fn set_casing(&self, casing: Casing) {
        *lock(&self.shared.wire.casing) = casing;
    }

    /// Put `name`, `email` and `email_verified` in ID tokens too (`false`: at userinfo only,
    /// IdentityServer's default).
    pub fn set_user_claims_in_id_token(&self, include: bool) {
        self.shared
            .wire
            .claims_in_id_token
            .store(include, Ordering::SeqCst);
    }

    /// Every request the gateway refused for leaving the published contract (an unpublished
    /// path, method or parameter, a missing tenant header, a body outside its schema), with why.
    pub fn contract_violations(&self) -> Vec<String> {
        lock(&self.shared.wire.violations).clone()
    }

    /// Every successful answer the gateway gave that departs from its operation's published
    /// schema, with where: a mistake of the stand-in, never of the app.
    pub fn answer_problems(&self) -> Vec<String> {
        lock(&self.shared.wire.answer_problems).clone()
    }
}
