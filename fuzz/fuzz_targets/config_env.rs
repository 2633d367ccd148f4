//! `config::resolve` never panics on any environment, and never echoes the client secret.
#![no_main]

use fv_partner_app::config::{self, Sources};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-client-secret-3f9a1c";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // One `NAME=value` per line, as an environment or a `.env` file would give them.
    let mut env: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    env.push(("FV_CLIENT_SECRET".to_owned(), SECRET.to_owned()));
    let shown = match config::resolve(Sources {
        env,
        ..Default::default()
    }) {
        Ok(s) => format!("{s:?} {:?}", s.warnings),
        Err(e) => format!("{e} {e:?}"),
    };
    assert!(!shown.contains(SECRET), "secret echoed");
});
