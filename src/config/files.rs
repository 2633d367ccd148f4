//! Reading the configuration's files and the process environment into memory, the only part
//! of configuration that does I/O; everything after it ([`super::resolve`]) is pure.

use std::path::{Path, PathBuf};

use super::sources::{intern, is_env_key, known_name, IGNORED_SECRET_KEY};
use super::ConfigError;

/// Reads the config file: the given path (an error when missing) or `config.json` when present.
pub(super) fn read_config_file(
    path: Option<&Path>,
    errors: &mut Vec<ConfigError>,
) -> Option<(PathBuf, String)> {
    let path = chosen_file(path, "config.json")?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Some((path, text)),
        Err(e) => {
            errors.push(ConfigError::new(
                "--config",
                format!("cannot read {}: {e}", path.display()),
                "point --config at a readable file in the Node sample's shape",
            ));
            None
        }
    }
}

/// Reads the dotenv file (the given path, or `.env` when present) into a list, without
/// setting anything in the process environment. A parse error names the line number only:
/// dotenvy's own message quotes the line, which may hold a secret.
pub(super) fn read_dotenv_file(
    path: Option<&Path>,
    errors: &mut Vec<ConfigError>,
) -> Vec<(String, String)> {
    let Some(path) = chosen_file(path, ".env") else {
        return Vec::new();
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            errors.push(ConfigError::new(
                "--env-file",
                format!("cannot read {}: {e}", path.display()),
                "point --env-file at a readable dotenv file",
            ));
            return Vec::new();
        }
    };
    let mut vars = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok(pair) => vars.push(pair),
            Err(e) => {
                let place = match &e {
                    dotenvy::Error::LineParse(line, _) => line
                        .lines()
                        .next()
                        .and_then(|first| text.lines().position(|l| l == first))
                        .map_or_else(|| "a line".to_owned(), |n| format!("line {}", n + 1)),
                    _ => "a line".to_owned(),
                };
                errors.push(ConfigError::new(
                    "--env-file",
                    format!("{}: cannot parse {place}", path.display()),
                    "write NAME=value, quoting values that hold spaces or #",
                ));
                break;
            }
        }
    }
    vars
}

/// Our variables (and `SECRET_KEY`, only to say it is ignored) from the process environment.
/// A variable of ours that is not UTF-8 is an error; anything else is none of our business.
pub(super) fn read_process_env(errors: &mut Vec<ConfigError>) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Ok(name) = name.into_string() else {
            continue;
        };
        let ours = known_name(&name)
            .or((name == IGNORED_SECRET_KEY).then_some(IGNORED_SECRET_KEY))
            .or_else(|| is_env_key(&name).then(|| intern(&name)));
        match (value.into_string(), ours) {
            (Ok(value), Some(_)) => vars.push((name, value)),
            (Err(_), Some(known)) => errors.push(ConfigError::new(
                known,
                "not valid UTF-8".to_owned(),
                "set it to plain text",
            )),
            _ => {}
        }
    }
    vars
}

/// The explicitly given file, or the default name when that exists in the working directory.
fn chosen_file(given: Option<&Path>, default: &str) -> Option<PathBuf> {
    match given {
        Some(path) => Some(path.to_owned()),
        None => Some(PathBuf::from(default)).filter(|p| p.is_file()),
    }
}
