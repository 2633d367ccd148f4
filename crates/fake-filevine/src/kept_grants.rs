//! Refresh tokens kept in a file, for demo mode: the demo keeps its sessions in its database
//! across a restart, so the stand-in must still know the refresh tokens it issued, or every
//! demo user would be signed out by a restart. Access tokens are not kept: the app's first
//! call after a restart gets a 401 and refreshes, as it would with the real Filevine.
//!
//! The file (created 0600, replaced atomically) holds demo tokens that only this stand-in
//! accepts. A missing or unreadable file starts empty, with a warning: demo data.

use std::{
    collections::HashMap,
    io::Write,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{data::DEMO_USERS, state::RefreshGrant};

#[derive(Serialize, Deserialize)]
struct Kept {
    client_id: String,
    sub: String,
    scope: String,
    auth_time: u64,
    family: u64,
}

/// The refresh tokens kept at `path` (empty when there is none yet, or it cannot be read).
pub(crate) fn load(path: &Path) -> HashMap<String, RefreshGrant> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return HashMap::new(),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot read the stand-in's kept tokens; starting without them");
            return HashMap::new();
        }
    };
    let kept: HashMap<String, Kept> = serde_json::from_str(&text).unwrap_or_else(|e| {
        tracing::warn!(file = %path.display(), error = %e, "the stand-in's kept tokens do not parse; starting without them");
        HashMap::new()
    });
    kept.into_iter()
        .filter_map(|(token, k)| {
            let user = DEMO_USERS.iter().find(|u| u.sub == k.sub)?;
            Some((
                token,
                RefreshGrant {
                    client_id: k.client_id,
                    user,
                    scope: k.scope,
                    auth_time: k.auth_time,
                    family: k.family,
                },
            ))
        })
        .collect()
}

/// Writes `refresh` to `path`: a new private file renamed over the old one, so a crash mid-way
/// leaves the previous set.
pub(crate) fn save(path: &Path, refresh: &HashMap<String, RefreshGrant>) {
    let kept: HashMap<&str, Kept> = refresh
        .iter()
        .map(|(token, g)| {
            (
                token.as_str(),
                Kept {
                    client_id: g.client_id.clone(),
                    sub: g.user.sub.to_owned(),
                    scope: g.scope.clone(),
                    auth_time: g.auth_time,
                    family: g.family,
                },
            )
        })
        .collect();
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let written = (|| -> std::io::Result<()> {
        let _ = std::fs::remove_file(&partial);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&partial)?;
        file.write_all(&serde_json::to_vec(&kept).map_err(std::io::Error::other)?)?;
        file.sync_all()?;
        std::fs::rename(&partial, path)
    })();
    if let Err(e) = written {
        tracing::warn!(file = %path.display(), error = %e, "cannot keep the stand-in's refresh tokens");
    }
}
