//! Configuration tests: `resolve` driven with in-memory sources; the process environment is
//! never changed. Split by subject: the resolved values (`resolve`), where values come from
//! (`layering`), what is shown of secrets (`masking`) and the generated cases (`property`).

use std::path::PathBuf;

use super::*;

mod alerts;
mod environments;
mod layering;
mod masking;
mod property;
mod resolve;

const HEX_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SECRET: &str = "s3cr3t-Value-that-ends-in-cdef";

fn pairs(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn from_env(vars: &[(&str, &str)]) -> Sources {
    Sources {
        env: pairs(vars),
        ..Sources::default()
    }
}

/// The smallest real (non-demo) configuration, plus `extra`.
fn real(extra: &[(&str, &str)]) -> Sources {
    let mut vars = vec![
        ("FV_CLIENT_ID", "partner-app"),
        ("FV_CLIENT_SECRET", SECRET),
        ("FV_SECRET_KEY", HEX_KEY),
    ];
    vars.extend_from_slice(extra);
    from_env(&vars)
}

fn json(text: &str) -> Option<(PathBuf, String)> {
    Some((PathBuf::from("config.json"), text.to_owned()))
}

fn ok(sources: Sources) -> Settings {
    match resolve(sources) {
        Ok(settings) => settings,
        Err(errors) => panic!("expected valid settings, got:\n{errors}"),
    }
}

fn errors(sources: Sources) -> ConfigErrors {
    match resolve(sources) {
        Ok(settings) => panic!("expected errors, got {settings:?}"),
        Err(errors) => errors,
    }
}

fn keys(errors: &ConfigErrors) -> Vec<&'static str> {
    errors.0.iter().map(|e| e.key).collect()
}
