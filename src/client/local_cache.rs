//! The console's local cache: one SQLite file per server and user. Its outbox keeps every
//! change the console makes before it is sent, until the server has answered; a change
//! the server refuses is set aside, with the reason, for a person to look at. Because each
//! keeps its UUIDv7 id (the server's idempotency key), sending one again after a crash or
//! a lost answer applies it once. It also keeps the server's latest answer to each read,
//! so the console shows something at once on start and while the server is away, with the
//! changes still waiting laid over it as it is read.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use super::catalogue::Catalogue;
use super::local_view::{KnownProduct, apply, may_be_touched, may_touch};
use super::lookup::Loaded;
use super::mutation::Mutation;
use crate::api::{CatalogChanges, CatalogProduct};
use crate::domain::barcode::Gtin;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("local cache {path}: {message}")]
    Sqlite { path: String, message: String },
    #[error("local cache {path}: a kept change cannot be read ({message})")]
    Unreadable { path: String, message: String },
}

/// Each migration takes the file one version up; `PRAGMA user_version` says where it is.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE outbox (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT NOT NULL UNIQUE,
        change     TEXT NOT NULL,
        queued_at  TEXT NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE TABLE needs_attention (
        id        TEXT PRIMARY KEY,
        change    TEXT NOT NULL,
        reason    TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        set_aside TEXT NOT NULL
    );",
    "CREATE TABLE answers (
        key TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        at   TEXT NOT NULL
    );
    CREATE TABLE signed_in (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        me   TEXT NOT NULL
    );",
    "CREATE TABLE products (
        sku      TEXT PRIMARY KEY,
        name     TEXT NOT NULL,
        category TEXT NOT NULL,
        barcode  TEXT,
        active   INTEGER NOT NULL
    );
    CREATE TABLE locations (
        code TEXT PRIMARY KEY,
        id   TEXT NOT NULL,
        zone TEXT NOT NULL,
        kind TEXT NOT NULL
    );
    CREATE TABLE cursors (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );",
    // A kept answer is the server's with the changes queued up to `laid_through` (an
    // outbox `seq`) applied; those after it are laid over it when it is read. Before this
    // version each change was applied to the kept answers as it was queued, so each holds
    // every change queued so far.
    "ALTER TABLE answers ADD COLUMN laid_through INTEGER NOT NULL DEFAULT 0;
    UPDATE answers SET laid_through =
        coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0);",
];

/// Statements kept prepared per connection: every one this file runs, so that the ones a
/// scan runs are never pushed out (parsing SQL was a sixth of a queued change's time).
const STATEMENTS_KEPT: usize = 32;

/// A WAL this long is checkpointed by [`LocalCache::flush`]: well before SQLite's own
/// checkpoint (at 1,000 pages) would run inside a commit a scan waits for.
const CHECKPOINT_PAST: u64 = 1 << 20;

/// The catalogue feed's cursor, and the event stream's last event id.
const CATALOG_CURSOR: &str = "catalog";
const EVENT_CURSOR: &str = "events";

/// How many reads' answers are kept: what a day's screens need, not every search typed.
const ANSWERS_KEPT: usize = 500;

/// A change the server refused, kept with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub mutation: Mutation,
    pub reason: String,
    pub queued_at: String,
    pub set_aside: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheCounts {
    pub pending: usize,
    pub attention: usize,
}

pub struct LocalCache {
    conn: Mutex<Connection>,
    label: String,
    /// The WAL that [`LocalCache::flush`] puts on the disk; `None` for one in memory.
    wal: Option<PathBuf>,
}

impl std::fmt::Debug for LocalCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCache")
            .field("at", &self.label)
            .finish()
    }
}

/// A name safe in a file name: letters, digits, dot and dash; anything else an underscore.
fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A server URL as it appears in a file name: `127.0.0.1_8080` for `http://127.0.0.1:8080/`.
fn server_part(server: &str) -> String {
    file_safe(
        server
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/'),
    )
}

/// Creates the cache file 0600 before SQLite opens it, and tightens it and its journals
/// where an older console left them readable by other users: kept answers hold customers'
/// names and addresses. SQLite gives the `-wal` and `-shm` it creates the mode of the file,
/// but leaves the mode of those that exist.
#[cfg(unix)]
fn keep_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        // The umask may have taken the owner's bits as well; 0600 whatever it is.
        Ok(file) => file.set_permissions(std::fs::Permissions::from_mode(0o600))?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let was = meta.permissions().mode() & 0o777;
        if !meta.is_file() || was & 0o077 == 0 {
            continue;
        }
        // A cache that cannot be tightened still opens: the changes it keeps must be sent.
        match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(was & 0o700)) {
            Ok(()) => tracing::info!(
                file = %file.display(),
                was = format_args!("{was:o}"),
                "local cache made private"
            ),
            Err(e) => tracing::warn!(
                file = %file.display(),
                mode = format_args!("{was:o}"),
                error = %e,
                "local cache is readable by other users and could not be made private"
            ),
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

fn now_text() -> String {
    jiff::Timestamp::now().to_string()
}

impl LocalCache {
    /// `<cache>/backroom/local`, where the console keeps one file per server and user.
    pub fn user_cache_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "backroom").map(|d| d.cache_dir().join("local"))
    }

    /// The file for `user` on `server` under `dir`.
    pub fn path_for(dir: &Path, server: &str, user: &str) -> PathBuf {
        dir.join(format!(
            "{}@{}.sqlite",
            file_safe(user),
            server_part(server)
        ))
    }

    /// Whether an outbox file (named by `path_for`) is for `server`, whoever the user.
    pub fn is_for_server(path: &Path, server: &str) -> bool {
        path.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .ends_with(&format!("@{}.sqlite", server_part(server)))
        })
    }

    /// The outbox files under `dir` (one per server and user), by name; none if there is
    /// no such directory.
    pub fn files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "sqlite"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    /// Removes an outbox file with its journal files.
    pub fn remove(path: &Path) -> std::io::Result<()> {
        for suffix in ["-wal", "-shm"] {
            let mut journal = path.as_os_str().to_owned();
            journal.push(suffix);
            match std::fs::remove_file(PathBuf::from(journal)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        std::fs::remove_file(path)
    }

    /// Opens (or creates) the file and brings it to this version. A file from a newer
    /// console, or one that is not a cache at all, is moved aside (never deleted: it may
    /// hold changes) and a fresh one started, so the console always starts.
    pub fn open(path: &Path) -> Result<LocalCache, CacheError> {
        let label = path.display().to_string();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CacheError::Sqlite {
                path: label.clone(),
                message: e.to_string(),
            })?;
        }
        match LocalCache::open_at(path, &label) {
            Ok(outbox) => Ok(outbox),
            Err(first) => {
                let aside = path.with_extension(format!(
                    "unusable-{}.sqlite",
                    jiff::Timestamp::now().as_second()
                ));
                tracing::warn!(error = %first, aside = %aside.display(), "local cache moved aside");
                std::fs::rename(path, &aside).map_err(|e| CacheError::Sqlite {
                    path: label.clone(),
                    message: format!("{first}; and it could not be moved aside: {e}"),
                })?;
                LocalCache::open_at(path, &label)
            }
        }
    }

    fn open_at(path: &Path, label: &str) -> Result<LocalCache, CacheError> {
        keep_private(path).map_err(|e| CacheError::Sqlite {
            path: label.to_string(),
            message: e.to_string(),
        })?;
        let conn = Connection::open(path).map_err(|e| CacheError::Sqlite {
            path: label.to_string(),
            message: e.to_string(),
        })?;
        LocalCache::prepare(conn, label)
    }

    /// An outbox that lives only as long as the process (tests, or no cache directory).
    pub fn in_memory() -> LocalCache {
        let conn = Connection::open_in_memory().expect("an in-memory SQLite database");
        LocalCache::prepare(conn, ":memory:").expect("a fresh in-memory outbox")
    }

    fn prepare(mut conn: Connection, label: &str) -> Result<LocalCache, CacheError> {
        let sqlite = |e: rusqlite::Error| CacheError::Sqlite {
            path: label.to_string(),
            message: e.to_string(),
        };
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        // A commit is in the file when it returns, so the console crashing or being killed
        // loses nothing; it is on the disk itself once `flush` returns, which the console
        // calls for a kept change right after its cue (DESIGN.md: the cue comes at once).
        // The rest kept here is a cache or the server's already: a power cut takes back at
        // most its latest commits, each whole.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sqlite)?;
        if version > MIGRATIONS.len() as i64 || version < 0 {
            return Err(CacheError::Sqlite {
                path: label.to_string(),
                message: format!(
                    "written by a newer console (schema {version}, this one knows {})",
                    MIGRATIONS.len()
                ),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction().map_err(sqlite)?;
            tx.execute_batch(sql).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        }
        let wal = conn
            .path()
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(format!("{p}-wal")));
        Ok(LocalCache {
            conn: Mutex::new(conn),
            label: label.to_string(),
            wal,
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, CacheError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|e| CacheError::Sqlite {
            path: self.label.clone(),
            message: e.to_string(),
        })
    }

    fn decode(&self, text: &str) -> Result<Mutation, CacheError> {
        serde_json::from_str(text).map_err(|e| CacheError::Unreadable {
            path: self.label.clone(),
            message: e.to_string(),
        })
    }

    /// Keeps a change to be sent; once this returns, it is in the file (a console that
    /// crashes or is killed finds it when it starts again), and [`LocalCache::flush`] puts
    /// it on the disk itself. It is one small row and nothing else, as a scan waits for it:
    /// the kept answers it touches are not rewritten, the change is laid over them when
    /// they are read (`recall`) until the server has it (`done`).
    pub fn enqueue(&self, mutation: &Mutation) -> Result<(), CacheError> {
        let text = serde_json::to_string(mutation).map_err(|e| CacheError::Unreadable {
            path: self.label.clone(),
            message: e.to_string(),
        })?;
        let (id, queued_at) = (mutation.id.to_string(), now_text());
        self.with(|c| {
            c.prepare_cached(
                "INSERT OR IGNORE INTO outbox (id, change, queued_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, text, queued_at])
            .map(|_| ())
        })
    }

    /// Puts every change kept so far on the disk itself, so a power cut cannot take it
    /// back: the kernel's copy of the WAL, whichever descriptor wrote it, is synced. A WAL
    /// grown past [`CHECKPOINT_PAST`] is then copied into the file here, after the cue,
    /// rather than by SQLite inside the commit of some later scan.
    pub fn flush(&self) -> Result<(), CacheError> {
        let Some(wal) = &self.wal else {
            return Ok(());
        };
        let synced = std::fs::File::open(wal).and_then(|f| {
            f.sync_data()?;
            f.metadata()
        });
        let grown = synced
            .map_err(|e| CacheError::Sqlite {
                path: self.label.clone(),
                message: format!("syncing {}: {e}", wal.display()),
            })?
            .len()
            > CHECKPOINT_PAST;
        if grown {
            self.with(|c| c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())))?;
        }
        Ok(())
    }

    /// Lays the changes still waiting over a fresh answer from the server, so it shows what
    /// this terminal has done and the server has not heard yet.
    pub fn overlay_pending(&self, key: &str, loaded: &mut Loaded) -> Result<(), CacheError> {
        if !may_be_touched(key) {
            return Ok(());
        }
        let waiting = self.pending()?;
        self.with(|c| {
            let known = |code: &str| known_product(c, code);
            for mutation in waiting.iter().filter(|m| may_touch(&m.change, key)) {
                apply(&mutation.change, loaded, &known);
            }
            Ok(())
        })
    }

    pub fn catalog_cursor(&self) -> Result<i64, CacheError> {
        self.cursor(CATALOG_CURSOR)
    }

    /// The id of the last event this terminal saw, to resume the stream after a restart.
    pub fn last_event(&self) -> Result<Option<i64>, CacheError> {
        Ok(Some(self.cursor(EVENT_CURSOR)?).filter(|id| *id > 0))
    }

    pub fn keep_last_event(&self, id: i64) -> Result<(), CacheError> {
        self.with(|c| set_cursor(c, EVENT_CURSOR, id))
    }

    fn cursor(&self, name: &str) -> Result<i64, CacheError> {
        self.with(|c| {
            c.query_row("SELECT value FROM cursors WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map(Option::unwrap_or_default)
        })
    }

    /// Keeps a page of the catalogue feed and its cursor, in one transaction.
    pub fn keep_catalog(&self, changes: &CatalogChanges) -> Result<(), CacheError> {
        self.with(|c| {
            let tx = c.transaction()?;
            for p in &changes.products {
                tx.execute(
                    "INSERT OR REPLACE INTO products (sku, name, category, barcode, active)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![p.sku, p.name, p.category, p.barcode, p.active],
                )?;
            }
            for l in &changes.locations {
                tx.execute(
                    "INSERT OR REPLACE INTO locations (code, id, zone, kind) VALUES (?1, ?2, ?3, ?4)",
                    params![l.code, l.id, l.zone, l.kind],
                )?;
            }
            set_cursor(&tx, CATALOG_CURSOR, changes.cursor)?;
            tx.commit()
        })
    }

    /// The catalogue as kept: active products and every location.
    pub fn catalogue(&self) -> Result<Catalogue, CacheError> {
        // Indexed after the connection is free again: a start reads its first screen from
        // this cache while the catalogue is read.
        let (products, locations) = self.with(|c| {
            let products = c
                .prepare("SELECT sku, name, category, barcode FROM products WHERE active = 1")?
                .query_map([], |r| {
                    Ok(CatalogProduct {
                        sku: r.get(0)?,
                        name: r.get(1)?,
                        category: r.get(2)?,
                        barcode: r.get(3)?,
                        active: true,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let locations = c
                .prepare("SELECT code FROM locations")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok((products, locations))
        })?;
        Ok(Catalogue::new(products, locations))
    }

    /// The oldest `most` changes not yet answered, oldest first.
    pub fn oldest(&self, most: usize) -> Result<Vec<Mutation>, CacheError> {
        let texts: Vec<String> = self.with(|c| {
            c.prepare_cached("SELECT change FROM outbox ORDER BY seq LIMIT ?1")?
                .query_map([most as i64], |r| r.get(0))?
                .collect()
        })?;
        texts.iter().map(|t| self.decode(t)).collect()
    }

    /// Every change waiting, oldest first.
    pub fn pending(&self) -> Result<Vec<Mutation>, CacheError> {
        let texts: Vec<String> = self.with(|c| {
            c.prepare_cached("SELECT change FROM outbox ORDER BY seq")?
                .query_map([], |r| r.get(0))?
                .collect()
        })?;
        texts.iter().map(|t| self.decode(t)).collect()
    }

    /// The server applied them: they leave the outbox, in one commit however many. The
    /// kept answers read before the server had them take them in first, in the same
    /// commit, so they still show them offline until the server's next answer.
    pub fn done(&self, ids: &[Uuid]) -> Result<(), CacheError> {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut last = None;
            {
                let mut seq = tx.prepare_cached("SELECT seq FROM outbox WHERE id = ?1")?;
                for id in &ids {
                    let found: Option<i64> = seq.query_row([id], |r| r.get(0)).optional()?;
                    last = last.max(found);
                }
            }
            if let Some(last) = last {
                lay_into_kept_answers(&tx, last)?;
            }
            {
                let mut delete = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
                for id in &ids {
                    delete.execute([id])?;
                }
            }
            tx.commit()
        })
    }

    /// A try that did not reach the server; the change stays, first in line.
    pub fn failed_attempt(&self, id: Uuid, error: &str) -> Result<(), CacheError> {
        self.with(|c| {
            c.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            )?
            .execute(params![id.to_string(), error])
            .map(|_| ())
        })
    }

    /// The server refused it: out of the line, into the list that needs a person. The kept
    /// answers stop showing it, as the server's do.
    pub fn set_aside(&self, id: Uuid, reason: &str) -> Result<(), CacheError> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO needs_attention (id, change, reason, queued_at, set_aside)
                 SELECT id, change, ?2, queued_at, ?3 FROM outbox WHERE id = ?1",
                params![id.to_string(), reason, now_text()],
            )?;
            tx.execute("DELETE FROM outbox WHERE id = ?1", [id.to_string()])?;
            tx.commit()
        })
    }

    /// What the server refused, newest first.
    pub fn attention(&self) -> Result<Vec<SetAside>, CacheError> {
        let rows: Vec<(String, String, String, String)> = self.with(|c| {
            c.prepare(
                "SELECT change, reason, queued_at, set_aside FROM needs_attention
                 ORDER BY set_aside DESC, id DESC",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect()
        })?;
        rows.into_iter()
            .map(|(change, reason, queued_at, set_aside)| {
                Ok(SetAside {
                    mutation: self.decode(&change)?,
                    reason,
                    queued_at,
                    set_aside,
                })
            })
            .collect()
    }

    /// A person has seen a refused change and lets it go.
    pub fn dismiss(&self, id: Uuid) -> Result<(), CacheError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM needs_attention WHERE id = ?1",
                [id.to_string()],
            )
            .map(|_| ())
        })
    }

    /// Keeps the server's answer to a read (`key` says which read), replacing the last. It
    /// is kept as the server gave it, without this terminal's waiting changes: it holds
    /// those before the first still waiting (the server had them), and `recall` lays the
    /// rest over it.
    pub fn remember(&self, key: &str, body: &str) -> Result<(), CacheError> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.prepare_cached(
                "INSERT OR REPLACE INTO answers (key, body, at, laid_through) VALUES (?1, ?2, ?3,
                    coalesce((SELECT min(seq) FROM outbox) - 1,
                             (SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0))",
            )?
            .execute(params![key, body, now_text()])?;
            tx.prepare_cached(
                "DELETE FROM answers WHERE key NOT IN (SELECT key FROM answers ORDER BY at DESC LIMIT ?1)",
            )?
            .execute([ANSWERS_KEPT as i64])?;
            tx.commit()
        })
    }

    /// Keeps who signed in (as JSON), for a start without the server.
    pub fn keep_signed_in(&self, me: &str) -> Result<(), CacheError> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO signed_in (only, me) VALUES (1, ?1)",
                [me],
            )
            .map(|_| ())
        })
    }

    pub fn signed_in(&self) -> Result<Option<String>, CacheError> {
        self.with(|c| {
            c.query_row("SELECT me FROM signed_in WHERE only = 1", [], |r| r.get(0))
                .optional()
        })
    }

    /// The last answer kept for a read, if any, with the changes waiting since it was kept
    /// laid over it: what this terminal last showed for it.
    pub fn recall(&self, key: &str) -> Result<Option<String>, CacheError> {
        let kept = self.with(|c| {
            // One snapshot: a sync that lays a change into the answer as it leaves the
            // outbox is seen whole or not at all.
            let tx = c.transaction()?;
            let Some((body, laid)) = tx
                .prepare_cached("SELECT body, laid_through FROM answers WHERE key = ?1")?
                .query_row([key], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .optional()?
            else {
                return Ok(None);
            };
            let waiting: Vec<String> = if may_be_touched(key) {
                tx.prepare_cached("SELECT change FROM outbox WHERE seq > ?1 ORDER BY seq")?
                    .query_map([laid], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            } else {
                Vec::new()
            };
            Ok(Some((body, waiting)))
        })?;
        let Some((body, waiting)) = kept else {
            return Ok(None);
        };
        let waiting: Vec<Mutation> = waiting
            .iter()
            .filter_map(|text| readable(text))
            .filter(|m| may_touch(&m.change, key))
            .collect();
        // One this console cannot read goes back as it is: the caller says what it makes of it.
        let Some(mut loaded) = (!waiting.is_empty())
            .then(|| serde_json::from_str::<Loaded>(&body).ok())
            .flatten()
        else {
            return Ok(Some(body));
        };
        let changed = self.with(|c| {
            let known = |code: &str| known_product(c, code);
            Ok(waiting.iter().fold(false, |changed, m| {
                apply(&m.change, &mut loaded, &known) | changed
            }))
        })?;
        if !changed {
            return Ok(Some(body));
        }
        serde_json::to_string(&loaded)
            .map(Some)
            .map_err(|e| CacheError::Unreadable {
                path: self.label.clone(),
                message: e.to_string(),
            })
    }

    pub fn counts(&self) -> Result<CacheCounts, CacheError> {
        self.with(|c| {
            let pending: i64 = c.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
            let attention: i64 =
                c.query_row("SELECT count(*) FROM needs_attention", [], |r| r.get(0))?;
            Ok(CacheCounts {
                pending: pending as usize,
                attention: attention as usize,
            })
        })
    }
}

/// A product by SKU, or by its GTIN in any form the catalogue may have written it.
fn known_product(c: &Connection, code: &str) -> Option<KnownProduct> {
    let gtin = Gtin::parse(code).ok();
    let forms = gtin.as_ref().map(Gtin::catalogue_forms).unwrap_or_default();
    let mut find = c
        .prepare_cached("SELECT sku, name, barcode FROM products WHERE sku = ?1 OR barcode = ?1")
        .ok()?;
    std::iter::once(code).chain(forms).find_map(|wanted| {
        find.query_row([wanted], |r| {
            Ok(KnownProduct {
                sku: r.get(0)?,
                name: r.get(1)?,
                barcode: r.get(2)?,
            })
        })
        .ok()
    })
}

/// A kept change to lay over an answer; one that cannot be read (the sync worker reports
/// it) is left out rather than hide the whole answer.
fn readable(text: &str) -> Option<Mutation> {
    serde_json::from_str(text).ok()
}

/// Brings the kept answers up to date with the changes queued up to `last` (by outbox
/// `seq`), those the server has just applied and any still waiting before them, in the
/// order they were made; each answer then holds every change up to `last`, and only the
/// later ones are laid over it when read.
fn lay_into_kept_answers(c: &Connection, last: i64) -> rusqlite::Result<()> {
    let behind: Vec<(String, i64)> = c
        .prepare_cached("SELECT key, laid_through FROM answers WHERE laid_through < ?1")?
        .query_map([last], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let known = |code: &str| known_product(c, code);
    for (key, laid) in behind.into_iter().filter(|(key, _)| may_be_touched(key)) {
        let changes: Vec<Mutation> = c
            .prepare_cached("SELECT change FROM outbox WHERE seq > ?1 AND seq <= ?2 ORDER BY seq")?
            .query_map([laid, last], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .iter()
            .filter_map(|text| readable(text))
            .filter(|m| may_touch(&m.change, &key))
            .collect();
        if changes.is_empty() {
            continue;
        }
        let body: String = c
            .prepare_cached("SELECT body FROM answers WHERE key = ?1")?
            .query_row([&key], |r| r.get(0))?;
        let Ok(mut loaded) = serde_json::from_str::<Loaded>(&body) else {
            continue;
        };
        for m in &changes {
            apply(&m.change, &mut loaded, &known);
        }
        if let Ok(body) = serde_json::to_string(&loaded) {
            c.prepare_cached("UPDATE answers SET body = ?2, laid_through = ?3 WHERE key = ?1")?
                .execute(params![key, body, last])?;
        }
    }
    Ok(())
}

fn set_cursor(c: &Connection, name: &str, value: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO cursors (name, value) VALUES (?1, ?2)",
        params![name, value],
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::mutation::{Change, CountChange};

    fn count(n: i64) -> Mutation {
        Mutation::new(Change::Count(CountChange::Count {
            stocktake: "ST-000001".into(),
            location: "A-01-01".into(),
            product: "TEA-1001".into(),
            qty: n,
            set: false,
        }))
    }

    #[test]
    fn a_kept_change_is_in_the_file_before_any_flush_and_a_flush_says_when_the_disk_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = LocalCache::path_for(dir.path(), "http://127.0.0.1:8080/", "mei.lin");
        let outbox = LocalCache::open(&path).unwrap();
        let kept = count(4);
        outbox.enqueue(&kept).unwrap();
        // What a console started after this one crashed finds, before any flush.
        let after_a_crash = LocalCache::open(&path).unwrap();
        assert_eq!(after_a_crash.pending().unwrap(), vec![kept.clone()]);
        drop(after_a_crash);
        outbox.flush().expect("the WAL synced");
        LocalCache::in_memory().flush().expect("nothing to sync");

        // A WAL grown long is copied into the file by the flush: the next commit starts
        // it again from the top instead of making it longer.
        let answer = "x".repeat(CHECKPOINT_PAST as usize);
        outbox.remember("a long answer", &answer).unwrap();
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let grown = std::fs::metadata(&wal).unwrap().len();
        assert!(grown > CHECKPOINT_PAST, "{grown}");
        outbox.flush().expect("synced and copied");
        outbox.enqueue(&count(6)).unwrap();
        assert_eq!(
            std::fs::metadata(&wal).unwrap().len(),
            grown,
            "started again"
        );

        // The files gone from under it: the change stays in the outbox, the flush fails.
        std::fs::remove_dir_all(dir.path()).unwrap();
        outbox.enqueue(&count(5)).unwrap();
        let failed = outbox.flush();
        assert!(
            matches!(&failed, Err(CacheError::Sqlite { message, .. }) if message.contains("syncing")),
            "{failed:?}"
        );
        assert_eq!(outbox.counts().unwrap().pending, 3);
    }

    #[test]
    fn changes_leave_in_order_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = LocalCache::path_for(dir.path(), "http://127.0.0.1:8080/", "mei.lin");
        assert!(path.ends_with("mei.lin@127.0.0.1_8080.sqlite"), "{path:?}");
        assert!(LocalCache::is_for_server(&path, "http://127.0.0.1:8080"));
        assert!(!LocalCache::is_for_server(&path, "http://127.0.0.1:9090"));
        let (a, b, c) = (count(1), count(2), count(3));
        {
            let outbox = LocalCache::open(&path).unwrap();
            for m in [&a, &b, &c] {
                outbox.enqueue(m).unwrap();
            }
            // Kept twice (a retry of the same effect) is kept once.
            outbox.enqueue(&a).unwrap();
            outbox.done(&[a.id]).unwrap();
        }
        let outbox = LocalCache::open(&path).unwrap();
        assert_eq!(outbox.oldest(1).unwrap(), vec![b.clone()]);
        assert_eq!(outbox.pending().unwrap(), vec![b.clone(), c.clone()]);
        outbox
            .failed_attempt(b.id, "cannot reach the server")
            .unwrap();
        assert_eq!(
            outbox.oldest(5).unwrap(),
            vec![b.clone(), c.clone()],
            "still first in line"
        );
        outbox.set_aside(b.id, "ST-000001 is closed").unwrap();
        assert_eq!(outbox.pending().unwrap(), vec![c]);
        let aside = outbox.attention().unwrap();
        assert_eq!(aside.len(), 1);
        assert_eq!(aside[0].mutation, b);
        assert_eq!(aside[0].reason, "ST-000001 is closed");
        assert_eq!(
            outbox.counts().unwrap(),
            CacheCounts {
                pending: 1,
                attention: 1
            }
        );
        outbox.dismiss(b.id).unwrap();
        assert_eq!(outbox.counts().unwrap().attention, 0);
    }

    #[test]
    fn a_file_the_console_cannot_use_is_moved_aside_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        std::fs::write(&path, b"this is not a database, it is a shopping list").unwrap();
        let outbox = LocalCache::open(&path).expect("a fresh cache");
        assert_eq!(outbox.counts().unwrap(), CacheCounts::default());
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("unusable"))
            .collect();
        assert_eq!(aside.len(), 1, "the old file is kept");

        // A newer console's file is kept too.
        drop(outbox);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(LocalCache::open(&path).is_ok());
    }

    #[test]
    fn an_older_file_is_brought_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        // A file from before the outbox existed: version 0, no tables.
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE unrelated (x)")
            .unwrap();
        let outbox = LocalCache::open(&path).unwrap();
        outbox.enqueue(&count(1)).unwrap();
        assert_eq!(outbox.counts().unwrap().pending, 1);
    }

    fn counted(loaded: &Loaded) -> i64 {
        match loaded {
            Loaded::Stocktakes(list) => list[0].lines.iter().map(|l| l.counted).sum(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_kept_change_shows_in_the_kept_answers_and_over_the_servers_next_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = LocalCache::path_for(dir.path(), "http://127.0.0.1:8080", "mei.lin");
        let key = r#"lookup {"Stocktakes":{"mine":true}}"#;
        let fresh = Loaded::Stocktakes(vec![crate::client::local_view::fixtures::stocktake()]);
        let (a, b) = (count(1), count(2));
        {
            let cache = LocalCache::open(&path).unwrap();
            cache
                .keep_catalog(&CatalogChanges {
                    cursor: 42,
                    ..tea_catalogue()
                })
                .unwrap();
            cache
                .remember(key, &serde_json::to_string(&fresh).unwrap())
                .unwrap();
            cache.enqueue(&a).unwrap();
            cache.enqueue(&b).unwrap();
            // A retry of one already kept is not counted again.
            cache.enqueue(&a).unwrap();
            cache.keep_last_event(7).unwrap();
        }
        let cache = LocalCache::open(&path).unwrap();
        let kept: Loaded = serde_json::from_str(&cache.recall(key).unwrap().unwrap()).unwrap();
        assert_eq!(counted(&kept), 3, "on disk with the changes");
        if let Loaded::Stocktakes(list) = &kept {
            assert_eq!(list[0].lines[0].name, "Sencha", "named from the catalogue");
        }
        // The server has heard of the first only: its answer shows both.
        cache.done(&[a.id]).unwrap();
        let mut answer = fresh.clone();
        if let Loaded::Stocktakes(list) = &mut answer {
            list[0].lines.push(crate::api::CountLine {
                counted: 1,
                ..match &kept {
                    Loaded::Stocktakes(k) => k[0].lines[0].clone(),
                    _ => unreachable!(),
                }
            });
        }
        cache.overlay_pending(key, &mut answer).unwrap();
        assert_eq!(counted(&answer), 3);
        assert_eq!(cache.catalog_cursor().unwrap(), 42);
        assert_eq!(cache.catalogue().unwrap().len(), 1);
        assert_eq!(cache.last_event().unwrap(), Some(7));
    }
    fn tea_catalogue() -> CatalogChanges {
        CatalogChanges {
            products: vec![CatalogProduct {
                sku: "TEA-1001".into(),
                name: "Sencha".into(),
                category: "tea".into(),
                barcode: Some("4712345000008".into()),
                active: true,
            }],
            locations: Vec::new(),
            cursor: 1,
            more: false,
        }
    }

    fn recalled(cache: &LocalCache, key: &str) -> i64 {
        counted(&serde_json::from_str(&cache.recall(key).unwrap().unwrap()).unwrap())
    }

    /// The server's answer once it has counted `n`: its one line, as the server names it.
    fn server_counted(n: i64) -> String {
        let mut st = crate::client::local_view::fixtures::stocktake();
        st.lines.push(crate::api::CountLine::counting(
            "A-01-01".into(),
            "TEA-1001".into(),
            "Sencha".into(),
            Some("4712345000008".into()),
            n,
        ));
        serde_json::to_string(&Loaded::Stocktakes(vec![st])).unwrap()
    }

    #[test]
    fn a_kept_answer_shows_each_change_once_offline_after_a_restart_after_the_sync_and_over_the_servers_next_answer()
     {
        let dir = tempfile::tempdir().unwrap();
        let path = LocalCache::path_for(dir.path(), "http://127.0.0.1:8080", "mei.lin");
        let key = r#"lookup {"Stocktakes":{"mine":true}}"#;
        let (a, b, c, d) = (count(1), count(2), count(4), count(8));
        {
            let cache = LocalCache::open(&path).unwrap();
            cache.keep_catalog(&tea_catalogue()).unwrap();
            cache.remember(key, &server_counted(0)).unwrap();
            cache.enqueue(&a).unwrap();
            cache.enqueue(&b).unwrap();
            assert_eq!(recalled(&cache, key), 3);
        }
        // Started again without the server: as it was left.
        let cache = LocalCache::open(&path).unwrap();
        assert_eq!(recalled(&cache, key), 3);
        // The server has the first: it leaves the outbox, and the kept answer keeps it.
        cache.done(&[a.id]).unwrap();
        assert_eq!(recalled(&cache, key), 3);
        // Refused: the kept answer stops showing it, as the server's answer would.
        cache.enqueue(&c).unwrap();
        assert_eq!(recalled(&cache, key), 7);
        cache.set_aside(c.id, "closed").unwrap();
        assert_eq!(recalled(&cache, key), 3);
        cache.done(&[b.id]).unwrap();
        assert_eq!(cache.counts().unwrap().pending, 0);
        drop(cache);
        let cache = LocalCache::open(&path).unwrap();
        assert_eq!(
            recalled(&cache, key),
            3,
            "no change waits; both are in the answer"
        );
        // The server's next answer has both already: neither is laid over it again.
        cache.remember(key, &server_counted(3)).unwrap();
        assert_eq!(recalled(&cache, key), 3);
        // An answer read while a change waits gets it once, before and after the sync.
        cache.enqueue(&d).unwrap();
        cache.remember(key, &server_counted(3)).unwrap();
        assert_eq!(recalled(&cache, key), 11);
        cache.done(&[d.id]).unwrap();
        assert_eq!(recalled(&cache, key), 11);
        cache.remember(key, &server_counted(11)).unwrap();
        assert_eq!(recalled(&cache, key), 11);
        // Reads no change can touch are handed back as kept.
        cache.remember("orders page", "[1, 2]").unwrap();
        cache.enqueue(&count(1)).unwrap();
        assert_eq!(
            cache.recall("orders page").unwrap().as_deref(),
            Some("[1, 2]")
        );
    }

    #[test]
    fn answers_kept_by_an_older_console_already_hold_its_changes_and_get_none_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("before.sqlite");
        let key = r#"lookup {"Stocktakes":{"mine":true}}"#;
        let (a, b) = (count(1), count(2));
        {
            // A file at the version before: each change was applied to the kept answers
            // as it was queued.
            let mut conn = Connection::open(&path).unwrap();
            let tx = conn.transaction().unwrap();
            for sql in &MIGRATIONS[..3] {
                tx.execute_batch(sql).unwrap();
            }
            tx.pragma_update(None, "user_version", 3).unwrap();
            for m in [&a, &b] {
                tx.execute(
                    "INSERT INTO outbox (id, change, queued_at) VALUES (?1, ?2, 'then')",
                    params![m.id.to_string(), serde_json::to_string(m).unwrap()],
                )
                .unwrap();
            }
            tx.execute(
                "INSERT INTO answers (key, body, at) VALUES (?1, ?2, 'then')",
                params![key, server_counted(3)],
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let cache = LocalCache::open(&path).unwrap();
        assert_eq!(recalled(&cache, key), 3);
        cache.done(&[a.id, b.id]).unwrap();
        assert_eq!(recalled(&cache, key), 3);
    }
}
