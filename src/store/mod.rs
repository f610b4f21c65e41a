//! Persistence. All SQL lives here. SQLite through rusqlite: WAL, `busy_timeout`,
//! `foreign_keys=ON`, one writer whose transactions are `IMMEDIATE` and group-committed.
//!
//! Methods are synchronous and use-case shaped; async callers run them on a blocking thread.

mod audit;
mod catalog;
mod events;
mod intake;
mod inventory;
mod ledger;
mod migrate;
mod order_status;
mod orders;
mod packing;
mod picking;
mod readiness;
mod receiving;
mod refunds;
mod replenishment;
mod reply_book;
mod returns;
mod routing_facts;
pub mod seed;
mod seed_desk;
mod sessions_seen;
mod shipments;
mod stocktake;
mod tickets;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags};

pub use writer::LaterCommits;
use writer::Transaction;
use writer::Writer;

pub use audit::{AuditRecord, AuditWrite, hex};
pub use catalog::{
    CatalogChangeRows, CatalogProductRow, LocationRow, ProductRow, ProductSearch, StockFilter,
    StockRow, StockTotalRow,
};
pub use events::EventRow;
pub use intake::{CustomerIn, IdempotencyKey, Idempotent, NewOrder, Placed};
pub use inventory::{Adjustment, LedgerGap, MovementFilter, MovementRow, StockMove};
pub use migrate::SCHEMA_VERSION;
pub use orders::{
    OrderCursor, OrderDetailRow, OrderFilter, OrderLineRow, OrderRow, StatusChangeRow,
};
pub use packing::{PackItemRow, PackOrderRow, PackTaskRow, PackWrite, ParcelRow};
pub use picking::{PickLineRow, PickListOrderRow, PickListRow, PickWrite, PickedLot};
pub use readiness::{DiskFault, WriteFault};
pub use receiving::{ReceiptLineRow, ReceiptRow, ReceivedItem};
pub use refunds::{RefundAsk, RefundRow};
pub use replenishment::{AlertDecision, AlertRow, PurchaseRequestRow, RequestStep};
pub use reply_book::Versioned;
pub use returns::{ReturnLineRow, ReturnRow, ReturnedItem};
pub use routing_facts::RoutedOrder;
pub use shipments::{ShipmentRow, Tracked, TrackingIn, TrackingRow};
pub use stocktake::{
    Approver, CountEntry, CountLineRow, CountLocationRow, LedgerLineRow, LineKeys, NewStocktake,
    StocktakeReport, StocktakeRow,
};
pub use tickets::{
    Agent, AutoReply, CsatAnswer, CsatRow, DeskRules, IncomingMessage, MessageOutcome,
    MessageTaken, TicketChange, TicketCursor, TicketDetail, TicketFilter, TicketMessageRow,
    TicketRow, TicketView,
};
pub use users::{NewUser, User};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "{path} was written by a newer backroom (schema version {found}; this binary knows up to {supported}); upgrade backroom or use another database file"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("cannot open database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Not for this person, whatever their role: e.g. approving one's own refund.
    #[error("{0}")]
    NotAllowed(String),
    /// The one asking did the work being checked, so someone else must decide: e.g.
    /// approving one's own count.
    #[error("{0}")]
    SecondPersonRequired(String),
    /// Allowed to this person only with a reason on record, and none was given: e.g. an
    /// admin approving their own count while nobody else can.
    #[error("{0}")]
    ReasonRequired(String),
    /// The request itself cannot be right, whatever the state of things.
    #[error("{0}")]
    Invalid(String),
    /// The group commit this change was part of failed: nothing of it was stored. `fault`
    /// keeps what SQLite's error code said of the disk, which the words alone would lose.
    #[error("the change was not saved: {why}")]
    NotSaved {
        why: String,
        fault: Option<DiskFault>,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
    Refused(Vec<crate::domain::intake::Refusal>),
    #[error(transparent)]
    Transition(#[from] crate::domain::lifecycle::TransitionError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Read connections open at most at once; further readers wait for one to come back.
/// Opening one costs a schema parse, so they are kept, and bounded so that a burst of
/// requests cannot open a file handle and a page cache each.
const READERS: usize = 16;

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Writer,
    readers: Mutex<Readers>,
    reader_back: Condvar,
    sessions_seen: sessions_seen::SessionsSeen,
}

struct Readers {
    idle: Vec<Connection>,
    open: usize,
}

impl Store {
    /// Opens (creating if new) and migrates the database at `path`. Refuses a database
    /// written by a newer schema.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                reason: format!("directory {} does not exist", dir.display()),
            });
        }
        keep_private(path, true)?;
        let mut writer = open_connection(path, true)?;
        migrate::migrate(&mut writer, path)?;
        Store::with_writer(path, writer)
    }

    fn with_writer(path: &Path, writer: Connection) -> Result<Store> {
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                // Whatever moved stock, the alerts follow in the same commit: reviewed once
                // per group, so a product many of its orders touch is reviewed once.
                writer: Writer::new(writer, |tx| {
                    replenishment::review_touched(tx, Timestamp::now())
                })?,
                readers: Mutex::new(Readers {
                    idle: Vec::new(),
                    open: 0,
                }),
                reader_back: Condvar::new(),
                sessions_seen: Default::default(),
            }),
        })
    }

    /// Opens a database that must exist and be up to date, creating and migrating nothing:
    /// for tools that promise to change nothing.
    pub fn open_existing(path: &Path) -> Result<Store> {
        // Not a change to what it holds; and the journals SQLite creates for this tool
        // would take the database's mode.
        keep_private(path, false)?;
        let writer = open_connection(path, false)?;
        let version = migrate::schema_version(&writer)?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                reason: format!(
                    "schema version {version}, this backroom needs {SCHEMA_VERSION}; open it with `backroom serve` first"
                ),
            });
        }
        Store::with_writer(path, writer)
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Changes committed through this store so far, as a count that only grows: an answer
    /// read after it showed `n` is still true while it shows `n`, unless another process
    /// wrote to the file.
    pub fn commits(&self) -> u64 {
        self.inner.writer.commits()
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.read(migrate::schema_version)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.take_reader()?;
        // One read transaction: everything `f` reads comes from the same snapshot.
        conn.unchecked_transaction()
            .map_err(StoreError::from)
            .and_then(|tx| {
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })
    }

    fn take_reader(&self) -> Result<LentReader<'_>> {
        let mut readers = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = readers.idle.pop() {
                return Ok(LentReader {
                    conn: Some(conn),
                    inner: &self.inner,
                });
            }
            if readers.open < READERS {
                readers.open += 1;
                drop(readers);
                let opened = open_connection(&self.inner.path, false);
                if opened.is_err() {
                    self.inner
                        .readers
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .open -= 1;
                    self.inner.reader_back.notify_one();
                }
                return opened.map(|conn| LentReader {
                    conn: Some(conn),
                    inner: &self.inner,
                });
            }
            readers = self
                .inner
                .reader_back
                .wait(readers)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Runs `f` as one atomic change (see `writer`: it may share its durable commit with
    /// others); returns once that commit is on disk. An `Err` from `f` undoes all of `f`.
    fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.inner.writer.write(f)
    }

    /// Like [`Store::write`], in two steps: `check` only reads and may refuse, `apply`
    /// writes what `check` found and should not fail (see `Writer::write_checked`: if it
    /// does, the other changes sharing its commit are undone with it).
    fn write_checked<P, T>(
        &self,
        check: impl FnOnce(&Transaction) -> Result<P>,
        apply: impl FnOnce(&Transaction, P) -> Result<T>,
    ) -> Result<T> {
        self.inner.writer.write_checked(check, apply)
    }

    /// Runs `f` (a batch of changes) with the writes it makes on this thread not waiting for
    /// their commits one by one: they share as few commits as they can, and
    /// [`Store::wait_for_commits`] waits for them once, before any is answered.
    pub fn committing_later<T>(&self, later: &LaterCommits, f: impl FnOnce(&Store) -> T) -> T {
        Writer::committing_later(later, || f(self))
    }

    /// Returns once every write made under `later` is durable, or with the failure of the
    /// first commit that was not (then none of its writes may be reported as done).
    pub fn wait_for_commits(&self, later: &LaterCommits) -> Result<()> {
        self.inner.writer.wait_for_later(later)
    }

    /// Runs `f` as a write and undoes it: what it would do, with nothing changed.
    fn rehearse<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.inner.writer.rehearse(f)
    }
}

const STATEMENTS_KEPT: usize = 256;

/// A read connection out of the pool; it goes back when dropped, also on a panic, so the
/// pool never shrinks.
struct LentReader<'s> {
    conn: Option<Connection>,
    inner: &'s Inner,
}

impl std::ops::Deref for LentReader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a lent reader holds its connection until dropped")
    }
}

impl Drop for LentReader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.inner
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .idle
                .push(conn);
            self.inner.reader_back.notify_one();
        }
    }
}

/// Makes the database file (created first if `create`) and any journals beside it readable
/// and writable by their owner alone: they hold every customer's name and address. SQLite
/// creates `-wal` and `-shm` with the mode of the database file but leaves the mode of those
/// that exist, so a new file is created 0600 before SQLite opens it, and files an older
/// backroom left readable by others are tightened, with a warning in the log. A `file:` URI
/// is left as it is.
#[cfg(unix)]
fn keep_private(path: &Path, create: bool) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if path.to_str().is_some_and(|p| p.starts_with("file:")) {
        return Ok(());
    }
    let failed = |e: std::io::Error| StoreError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if create {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            // The umask may have taken the owner's bits as well; 0600 whatever it is.
            Ok(file) => file
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(failed)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(failed(e)),
        }
    }
    for file in [
        path.to_path_buf(),
        journal(path, "-wal"),
        journal(path, "-shm"),
    ] {
        let was = match std::fs::metadata(&file) {
            Ok(meta) if meta.is_file() => meta.permissions().mode() & 0o777,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(failed(e)),
        };
        if was & 0o077 == 0 {
            continue;
        }
        let now = was & 0o700;
        match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(now)) {
            Ok(()) => tracing::warn!(
                file = %file.display(),
                was = format_args!("{was:o}"),
                now = format_args!("{now:o}"),
                "database file was readable by other users; now its owner's alone"
            ),
            // Someone else's file (a shared group, say) still opens; the warning says why
            // it is not private.
            Err(e) => tracing::warn!(
                file = %file.display(),
                mode = format_args!("{was:o}"),
                error = %e,
                "database file is readable by other users and could not be made private"
            ),
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_private(_path: &Path, _create: bool) -> Result<()> {
    Ok(())
}

/// `shop.db-wal` for `shop.db` and `-wal`.
#[cfg(unix)]
fn journal(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn open_connection(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // A file that is not SQLite fails here, not on first use.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| StoreError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Open {
            path: path.to_path_buf(),
            reason: format!("could not switch to WAL journal (got {mode})"),
        });
    }
    // FULL: an acknowledged commit survives power loss, not just a process crash. The
    // writer makes the same promise by syncing the WAL itself, outside `COMMIT` (writer.rs).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Each request in a group runs in a savepoint, whose undo copies of the pages it
    // changes went to a temp file past 64 KiB: a `pwrite` per page, a quarter of an
    // order's cost. In memory they are a few pages per request, gone at its release.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Room for every statement of a busy path (an order touches some 30), so repeats skip
    // the parse.
    conn.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
    // Without it, a kept statement whose LIMIT (or other planner input) is a bound value is
    // parsed again on every run: SQLite replans it for each binding. Our plans do not
    // depend on values, so one plan per statement is what we want.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(conn)
}

/// The next human-facing number of a table of numbered papers (orders, pick lists, …),
/// inside the write transaction that uses it, so two writers never get the same.
fn next_number(tx: &Transaction, table: &'static str) -> Result<i64> {
    Ok(tx.query_row(
        &format!("SELECT COALESCE(max(number), 0) + 1 FROM {table}"),
        [],
        |r| r.get(0),
    )?)
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn timestamp(micros: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(micros)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {micros}: {e}")))
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_from_empty_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        drop(store);
        let again = Store::open(&path).unwrap();
        assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
        let fk: i64 = again
            .read(|c| Ok(c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(fk, 1);
    }

    /// A page read keeps its statement: a new LIMIT (or any bound value) must not make
    /// SQLite parse and plan it again.
    #[test]
    fn a_kept_statement_is_not_prepared_again_for_new_values() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("shop.db")).unwrap();
        let reprepared = store
            .read(|c| {
                let sql = "SELECT number FROM orders WHERE number > ?1 ORDER BY number LIMIT ?2";
                for (after, limit) in [(0, 50), (10, 51), (20, 200)] {
                    c.prepare_cached(sql)?
                        .query_map([after, limit], |r| r.get::<_, i64>(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                }
                Ok(c.prepare_cached(sql)?
                    .get_status(rusqlite::StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(reprepared, 0);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let err = Store::open(&path)
            .err()
            .expect("newer schema must be refused");
        let msg = err.to_string();
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{msg}");
        assert!(
            msg.contains("newer backroom") && msg.contains("shop.db"),
            "{msg}"
        );
    }

    #[test]
    fn refuses_a_file_that_is_not_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(
            &path,
            "this is not sqlite, just some text that is long enough",
        )
        .unwrap();
        let err = Store::open(&path).err().expect("must refuse");
        assert!(err.to_string().contains("notes.txt"), "{err}");
    }

    #[test]
    fn missing_directory_is_a_clear_error() {
        let err = Store::open(Path::new("/nonexistent-dir/x/shop.db"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }
}
