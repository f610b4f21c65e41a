//! Whether the database can be written: the store keeps the fact "writes are failing since
//! T because X" from the last write's own error, so that the server can say so (`/healthz`,
//! 503 with `Retry-After`) instead of answering every write with an internal error.
//!
//! Only faults of the disk or the file count: a full disk, a read-only file, an I/O error,
//! a file that cannot be opened or is damaged. A constraint violation, a conflict or a bug
//! is the request's own failure and says nothing about the next write. The fault is set by
//! the write that met it and cleared by the next commit that reached the disk, whoever made
//! it: a client's write or [`Store::probe_write`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use rusqlite::ErrorCode;

use super::{Result, Store, StoreError, micros};

/// A fault of the disk or the database file that stops writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskFault {
    /// SQLITE_FULL: no room on the disk (or the file reached its page limit).
    Full,
    /// SQLITE_READONLY, SQLITE_PERM: the file or its file system may not be written.
    ReadOnly,
    /// SQLITE_IOERR and kin: the disk failed a read, write or sync.
    Io,
    /// SQLITE_CANTOPEN: the file (or its WAL) cannot be opened, e.g. its directory is gone.
    CannotOpen,
    /// SQLITE_CORRUPT, SQLITE_NOTADB: the file is damaged.
    Damaged,
}

impl DiskFault {
    /// The fault behind an SQLite error, or `None` when the error is not the disk's (a
    /// constraint, a busy database, a bug in a statement).
    pub fn of(e: &rusqlite::Error) -> Option<DiskFault> {
        Some(match e.sqlite_error_code()? {
            ErrorCode::DiskFull => DiskFault::Full,
            ErrorCode::ReadOnly | ErrorCode::PermissionDenied => DiskFault::ReadOnly,
            ErrorCode::SystemIoFailure
            | ErrorCode::FileLockingProtocolFailed
            | ErrorCode::NoLargeFileSupport => DiskFault::Io,
            ErrorCode::CannotOpen => DiskFault::CannotOpen,
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => DiskFault::Damaged,
            _ => return None,
        })
    }

    /// The fault behind a failed file operation of the store's own (syncing the WAL): it is
    /// always the disk's.
    pub fn of_io(e: &std::io::Error) -> DiskFault {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => DiskFault::Full,
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                DiskFault::ReadOnly
            }
            std::io::ErrorKind::NotFound => DiskFault::CannotOpen,
            _ => DiskFault::Io,
        }
    }
}

impl std::fmt::Display for DiskFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DiskFault::Full => "the disk is full",
            DiskFault::ReadOnly => "the database file is read-only",
            DiskFault::Io => "the disk reports I/O errors",
            DiskFault::CannotOpen => "the database file cannot be opened",
            DiskFault::Damaged => "the database file is damaged",
        })
    }
}

impl StoreError {
    /// The fault of the disk this error comes from, if it does.
    pub fn disk_fault(&self) -> Option<DiskFault> {
        match self {
            StoreError::Sqlite(e) => DiskFault::of(e),
            StoreError::NotSaved { fault, .. } => *fault,
            _ => None,
        }
    }
}

/// Writes are failing: since when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFault {
    /// The latest write's fault.
    pub kind: DiskFault,
    /// When the first write of this run of failures failed.
    pub since: Timestamp,
    /// The latest failure's own words, for the log: they may name files, so they are not
    /// for callers.
    pub detail: String,
}

/// The writer's record of whether its writes reach the disk.
#[derive(Default)]
pub(super) struct Readiness {
    fault: Mutex<Option<WriteFault>>,
    /// Whether `fault` is set, so that a commit (the hot path) need not take the lock to
    /// learn that there is nothing to clear.
    failing: AtomicBool,
}

impl Readiness {
    /// Notes a write's failure, if the disk caused it.
    pub(super) fn failed_on(&self, e: &StoreError) {
        if let Some(kind) = e.disk_fault() {
            self.failed(kind, e.to_string());
        }
    }

    pub(super) fn failed(&self, kind: DiskFault, detail: String) {
        let mut fault = self.fault.lock().unwrap_or_else(|p| p.into_inner());
        match fault.as_mut() {
            Some(known) => {
                known.kind = kind;
                known.detail = detail;
            }
            None => {
                tracing::error!(fault = %kind, error = %detail, "the database cannot be written");
                *fault = Some(WriteFault {
                    kind,
                    since: Timestamp::now(),
                    detail,
                });
                self.failing.store(true, Ordering::Release);
            }
        }
    }

    /// A commit reached the disk: writes work.
    pub(super) fn wrote(&self) {
        if !self.failing.load(Ordering::Acquire) {
            return;
        }
        let mut fault = self.fault.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(was) = fault.take() {
            tracing::info!(since = %was.since, "the database can be written again");
        }
        self.failing.store(false, Ordering::Release);
    }

    pub(super) fn fault(&self) -> Option<WriteFault> {
        self.fault.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What the probe asks for and gives back in one transaction: more than a typical write
/// grows the file by (an order is a few kilobytes), so that once it passes, they do.
const PROBE_ROOM: i64 = 64 * 1024;

impl Store {
    /// Why writes are failing, if the last write failed on a fault of the disk; `None`
    /// once a commit has reached the disk again.
    pub fn write_fault(&self) -> Option<WriteFault> {
        self.inner.writer.readiness().fault()
    }

    /// A harmless write through the writer, to learn whether the database can be written
    /// again: it rewrites the probe's one row, asking for fresh pages and freeing them in
    /// the same transaction, and commits, so SQLite must append to its WAL and the writer
    /// sync it. Its success clears [`Store::write_fault`], its failure keeps it. A probe
    /// that only read would prove nothing.
    pub fn probe_write(&self, now: Timestamp) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO write_probe (id, probed_at, room) VALUES (1, ?1, zeroblob(?2))
                 ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, room = excluded.room",
                [micros(now), PROBE_ROOM],
            )?;
            tx.execute("UPDATE write_probe SET room = NULL WHERE id = 1", [])?;
            Ok(())
        })
    }

    /// For tests and fault drills only; the server never calls it. With `full`, the writer's
    /// file may not grow past its present size (SQLite's `max_page_count`), so the next
    /// write that needs a new page fails as on a full disk (SQLITE_FULL); without, the limit
    /// is lifted again.
    pub fn drill_full_disk(&self, full: bool) -> Result<()> {
        // What a connection left alone allows: the readers never change it.
        let unlimited: i64 =
            self.read(|c| Ok(c.query_row("PRAGMA max_page_count", [], |r| r.get(0))?))?;
        self.inner.writer.with_connection(|conn| {
            let pages: i64 = if full {
                conn.query_row("PRAGMA page_count", [], |r| r.get(0))?
            } else {
                unlimited
            };
            conn.pragma_update_and_check(None, "max_page_count", pages, |r| r.get::<_, i64>(0))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_error(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn faults_of_the_disk_are_told_from_faults_of_the_request() {
        use rusqlite::ffi;
        for (code, fault) in [
            (ffi::SQLITE_FULL, Some(DiskFault::Full)),
            (ffi::SQLITE_READONLY, Some(DiskFault::ReadOnly)),
            (ffi::SQLITE_READONLY_DBMOVED, Some(DiskFault::ReadOnly)),
            (ffi::SQLITE_IOERR, Some(DiskFault::Io)),
            (ffi::SQLITE_IOERR_FSYNC, Some(DiskFault::Io)),
            (ffi::SQLITE_IOERR_WRITE, Some(DiskFault::Io)),
            (ffi::SQLITE_CANTOPEN, Some(DiskFault::CannotOpen)),
            (ffi::SQLITE_CORRUPT, Some(DiskFault::Damaged)),
            // The request's own failures, and a busy database, are not the disk's.
            (ffi::SQLITE_CONSTRAINT_UNIQUE, None),
            (ffi::SQLITE_CONSTRAINT_CHECK, None),
            (ffi::SQLITE_BUSY, None),
            (ffi::SQLITE_LOCKED, None),
            (ffi::SQLITE_ERROR, None),
            (ffi::SQLITE_MISMATCH, None),
        ] {
            let e = StoreError::Sqlite(sqlite_error(code));
            assert_eq!(e.disk_fault(), fault, "SQLite code {code}");
        }
        let not_saved = StoreError::NotSaved {
            why: "syncing the WAL".into(),
            fault: Some(DiskFault::Io),
        };
        assert_eq!(not_saved.disk_fault(), Some(DiskFault::Io));
        for request in [
            StoreError::Conflict("out of stock".into()),
            StoreError::Invalid("no such bin".into()),
            StoreError::NotSaved {
                why: "a bug".into(),
                fault: None,
            },
            StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows),
        ] {
            assert_eq!(request.disk_fault(), None, "{request}");
        }
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(DiskFault::of_io(&full), DiskFault::Full);
        assert_eq!(
            DiskFault::of_io(&std::io::Error::other("EIO")),
            DiskFault::Io
        );
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("shop.db")).expect("store");
        (dir, store)
    }

    /// A write that needs a new page, so it fails under the drill.
    fn grow(store: &Store, n: i64) -> Result<()> {
        store.write(|tx| {
            tx.execute(
                "INSERT INTO write_probe (id, probed_at, room) VALUES (1, ?1, zeroblob(?2))
                 ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, room = excluded.room",
                [n, 2 * PROBE_ROOM],
            )?;
            Ok(())
        })
    }

    #[test]
    fn a_full_disk_is_known_since_its_first_failure_until_a_probe_commits() {
        let (_dir, store) = store();
        assert_eq!(store.write_fault(), None);
        store.drill_full_disk(true).expect("drill");

        let failed = grow(&store, 1).expect_err("no room");
        assert_eq!(failed.disk_fault(), Some(DiskFault::Full), "{failed}");
        let fault = store.write_fault().expect("known");
        assert_eq!(fault.kind, DiskFault::Full);

        // A failure of the request's own changes nothing; a probe that cannot get its room
        // fails and keeps the first failure's time.
        let refused = store.write(|_| Err::<(), _>(StoreError::Conflict("no".into())));
        assert!(matches!(refused, Err(StoreError::Conflict(_))));
        let probed = store.probe_write(Timestamp::now()).expect_err("still full");
        assert_eq!(probed.disk_fault(), Some(DiskFault::Full), "{probed}");
        assert_eq!(store.write_fault().map(|f| f.since), Some(fault.since));

        store.drill_full_disk(false).expect("lift");
        assert!(
            store.write_fault().is_some(),
            "known until a write proves otherwise"
        );
        let commits = store.commits();
        store.probe_write(Timestamp::now()).expect("room again");
        assert_eq!(store.write_fault(), None);
        assert_eq!(store.commits(), commits + 1, "the probe committed");
        grow(&store, 2).expect("writes work");
    }

    #[test]
    fn the_probe_leaves_one_row_and_no_room_taken() {
        let (_dir, store) = store();
        let at = Timestamp::from_second(1_800_000_000).expect("time");
        store.probe_write(at).expect("probe");
        store.probe_write(at).expect("probe again");
        let (rows, probed_at, room): (i64, i64, Option<Vec<u8>>) = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*), max(probed_at), max(room) FROM write_probe",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            })
            .expect("read");
        assert_eq!((rows, probed_at, room), (1, micros(at), None));
    }
}
