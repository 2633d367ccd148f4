//! Demo mode's at-rest key, kept next to the demo's SQLite file. Demo mode used to make a new
//! random key at every start while keeping the database, so after each restart the saved PAT
//! "could not be decrypted with the current FV_SECRET_KEY" (a variable the demo user never set)
//! and every session ended. Now the first start writes `<database>.key` (created new, mode
//! 0600) and later starts read it back. An operator's own `FV_SECRET_KEY` always wins, and an
//! in-memory database needs no key file.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use crate::config::{Origin, SecretKey, Settings};

/// Replaces a demo's throwaway key by the one kept next to its database (written on the first
/// start). A key file that cannot be read or holds something else is an error naming the file.
pub(super) fn keep_demo_key(settings: &mut Settings) -> Result<(), String> {
    if settings.origins.get("FV_SECRET_KEY") != Some(&Origin::Demo) {
        return Ok(());
    }
    let Some(path) = beside_database(&settings.db.url, "key") else {
        return Ok(());
    };
    settings.db.secret_key = read_or_create(&path, &settings.db.secret_key)?;
    Ok(())
}

/// `<file>.<suffix>` for a SQLite database file (the demo's key, the stand-in's kept refresh
/// tokens); `None` for PostgreSQL and in-memory SQLite, whose demo data does not outlive the
/// process anyway.
pub(super) fn beside_database(database_url: &str, suffix: &str) -> Option<PathBuf> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return None;
    }
    Some(PathBuf::from(format!("{file}.{suffix}")))
}

fn read_or_create(path: &Path, fresh: &SecretKey) -> Result<SecretKey, String> {
    let broken = |why: String| {
        format!(
            "the demo's key file {} {why}; delete it (demo sessions and the saved demo PAT are then forgotten) or set FV_SECRET_KEY",
            path.display()
        )
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| broken("does not hold a 64-hex-digit key".into()))?;
            Ok(SecretKey::from_bytes(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .map_err(|e| broken(format!("cannot be created ({e})")))?;
            writeln!(file, "{}", hex::encode(fresh.expose()))
                .map_err(|e| broken(format!("cannot be written ({e})")))?;
            Ok(fresh.clone())
        }
        Err(e) => Err(broken(format!("cannot be read ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_path(url: &str) -> Option<PathBuf> {
        beside_database(url, "key")
    }

    #[test]
    fn only_sqlite_files_get_a_key_file() {
        assert_eq!(
            key_path("sqlite://fv-partner-app.db"),
            Some(PathBuf::from("fv-partner-app.db.key"))
        );
        assert_eq!(
            key_path("sqlite:data/app.db?mode=rwc"),
            Some(PathBuf::from("data/app.db.key"))
        );
        assert_eq!(key_path("sqlite::memory:"), None);
        assert_eq!(key_path("postgres://u@h/db"), None);
    }

    #[test]
    fn the_first_start_writes_a_private_key_and_later_starts_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db.key");
        let first = read_or_create(&path, &SecretKey::random()).unwrap();
        let again = read_or_create(&path, &SecretKey::random()).unwrap();
        assert_eq!(first.expose(), again.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let err = read_or_create(&path, &SecretKey::random()).err().unwrap();
        assert!(
            err.contains("demo.db.key") && err.contains("FV_SECRET_KEY"),
            "{err}"
        );
    }
}
