//! Keeps the bearer token between console runs, one file per server, readable only by the
//! user (0600) in the user's cache directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSession {
    pub server: String,
    pub username: String,
    pub token: crate::api::Secret,
    pub expires_at: String,
}

#[derive(Debug, Clone)]
pub struct TokenStore {
    dir: PathBuf,
}

impl TokenStore {
    pub fn new(dir: impl Into<PathBuf>) -> TokenStore {
        TokenStore { dir: dir.into() }
    }

    /// `<cache>/backroom/sessions`.
    pub fn in_user_cache() -> Option<TokenStore> {
        directories::ProjectDirs::from("", "", "backroom")
            .map(|d| TokenStore::new(d.cache_dir().join("sessions")))
    }

    fn path(&self, server: &str) -> PathBuf {
        let name: String = server
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    /// A stored session for this server; a missing or unreadable file is simply none.
    pub fn load(&self, server: &str) -> Option<StoredSession> {
        let text = std::fs::read_to_string(self.path(server)).ok()?;
        serde_json::from_str::<StoredSession>(&text)
            .ok()
            .filter(|s| s.server == server)
    }

    pub fn save(&self, session: &StoredSession) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        restrict_dir(&self.dir)?;
        let path = self.path(&session.server);
        let tmp = path.with_extension("json.tmp");
        {
            let mut file = create_private(&tmp)?;
            file.write_all(serde_json::to_string_pretty(session)?.as_bytes())?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }

    pub fn forget(&self, server: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(server)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

#[cfg(unix)]
fn restrict_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn restrict_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(server: &str) -> StoredSession {
        StoredSession {
            server: server.into(),
            username: "mei".into(),
            token: "secret".into(),
            expires_at: "2030-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn saves_private_loads_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("sessions"));
        let path = store.save(&session("http://127.0.0.1:8080")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            store.load("http://127.0.0.1:8080"),
            Some(session("http://127.0.0.1:8080"))
        );
        assert_eq!(store.load("http://other:1"), None);
        store.forget("http://127.0.0.1:8080").unwrap();
        assert_eq!(store.load("http://127.0.0.1:8080"), None);
        store.forget("http://127.0.0.1:8080").unwrap();
    }

    #[test]
    fn a_corrupt_file_is_no_session() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        std::fs::write(store.path("http://h:1"), "{not json").unwrap();
        assert_eq!(store.load("http://h:1"), None);
    }
}
