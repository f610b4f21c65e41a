//! The single writer and its group commit. Requests that arrive while another is writing
//! join one SQLite transaction, each in its own savepoint, and share one durable `COMMIT`.
//! Each is answered only once that `COMMIT` is on disk, so the fsync that caps one request
//! per commit is paid once per group, and the pages many orders touch (the order table's
//! last leaf, its indexes, the event log) are written to the WAL once per group.
//!
//! The fsync happens after the writer lets go of the file: SQLite commits with
//! `synchronous=NORMAL` (its WAL frames written, not yet synced), the next group starts
//! at once, and the thread that committed syncs the WAL and only then tells the group's
//! members. A WAL is appended in order, so that sync also covers every group before it.

use std::cell::RefCell;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, Params, Row};

use super::readiness::{DiskFault, Readiness};
use super::{Result, StoreError};

/// A group takes no more requests at this size or age, so none waits long for its commit.
const MOST_IN_GROUP: usize = 128;
/// A group only batches owe to (none waits on it) may grow to this before it commits: a
/// batch of changes then costs a commit or two, not one per few milliseconds.
const MOST_OWED_IN_GROUP: usize = 2048;
const OLDEST_GROUP: Duration = Duration::from_millis(4);
/// A member waiting this long commits its group itself: the request that was to commit it
/// has gone (a panic) without doing so.
const STALLED: Duration = Duration::from_millis(50);

thread_local! {
    /// Set while a batch of changes runs on this thread: its writes do not wait for their
    /// commits one by one; the batch waits once for all of them.
    static LATER: RefCell<Option<LaterCommits>> = const { RefCell::new(None) };
}

/// The commits a batch of changes is owed: its writes join groups without waiting for them
/// to commit, and [`Writer::wait_for`] these once, before anything is answered.
#[derive(Clone, Default)]
pub struct LaterCommits(Arc<Mutex<Vec<Arc<Settlement>>>>);

impl LaterCommits {
    fn owe(&self, committed: &Arc<Settlement>) {
        let mut owed = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !owed.last().is_some_and(|last| Arc::ptr_eq(last, committed)) {
            owed.push(committed.clone());
        }
    }

    fn owed(&self) -> Vec<Arc<Settlement>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Runs in each group's transaction just before its `COMMIT`: work every change may owe
/// (reviewing the stock they touched), done once for the group. Should it fail, the
/// group is undone.
pub(super) type BeforeCommit = fn(&Transaction) -> Result<()>;

/// One request's part of a write: inside its group's transaction and in a savepoint of its
/// own, so what it changes commits with the group or, should it fail, is undone alone.
pub struct Transaction<'c> {
    conn: &'c Connection,
}

// These shadow `Connection`'s own, to go through the statement cache: a write runs the
// same few dozen statements over and over, and parsing them anew was a fifth of an order's
// cost.
impl Transaction<'_> {
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.conn.prepare_cached(sql)?.execute(params)
    }

    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.conn.prepare_cached(sql)?.query_row(params, f)
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

pub(super) struct Writer {
    open: Mutex<Open>,
    /// Requests queued for `open`: while any are, a group is left open for them to join.
    queued: AtomicUsize,
    /// Group commits made so far (see [`Writer::commits`]).
    commits: Arc<AtomicU64>,
    /// Whether writes reach the disk: kept outside `open`, so that asking never waits for
    /// a write.
    readiness: Arc<Readiness>,
}

struct Open {
    conn: Connection,
    group: Option<Group>,
    commits: Arc<AtomicU64>,
    before_commit: BeforeCommit,
    /// The WAL to sync after each commit; `None` for a database only in memory.
    wal: Option<PathBuf>,
    readiness: Arc<Readiness>,
}

struct Group {
    committed: Arc<Settlement>,
    members: usize,
    /// Members answered only once it commits (the rest are owed to batches).
    awaited: usize,
    opened: Instant,
}

/// How a group's commit went, for the members waiting on it.
#[derive(Default)]
struct Settlement {
    outcome: Mutex<Option<Result<(), Unsaved>>>,
    settled: Condvar,
}

/// Why a group was not saved, as its members hear it: in words, and the fault of the disk
/// if it was one, which the words alone would lose (see `readiness`).
#[derive(Clone, Debug)]
struct Unsaved {
    why: String,
    fault: Option<DiskFault>,
}

impl Unsaved {
    fn of(e: &StoreError) -> Unsaved {
        Unsaved {
            why: e.to_string(),
            fault: e.disk_fault(),
        }
    }

    fn sqlite(e: rusqlite::Error) -> Unsaved {
        Unsaved::of(&StoreError::Sqlite(e))
    }
}

impl From<Unsaved> for StoreError {
    fn from(u: Unsaved) -> StoreError {
        StoreError::NotSaved {
            why: u.why,
            fault: u.fault,
        }
    }
}

impl Settlement {
    fn tell(&self, result: std::result::Result<(), Unsaved>) {
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
        self.settled.notify_all();
    }
}

impl Writer {
    pub(super) fn new(conn: Connection, before_commit: BeforeCommit) -> Result<Writer> {
        // Durability is this writer's job (see the module comment): SQLite need not sync the
        // WAL inside `COMMIT`, which holds the file.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let wal = conn
            .path()
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(format!("{p}-wal")));
        let commits = Arc::new(AtomicU64::new(0));
        let readiness = Arc::new(Readiness::default());
        Ok(Writer {
            open: Mutex::new(Open {
                conn,
                group: None,
                commits: commits.clone(),
                before_commit,
                wal,
                readiness: readiness.clone(),
            }),
            queued: AtomicUsize::new(0),
            commits,
            readiness,
        })
    }

    /// Whether writes reach the disk, as the last of them found.
    pub(super) fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// Runs `f` on the writer's connection, between writes: for settings of the connection
    /// (see `Store::drill_full_disk`), not for changes, which go through [`Writer::write`].
    pub(super) fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.lock().conn)
    }

    /// Group commits made so far. It moves before any member of a commit is answered, so
    /// a read taken while it stood still saw every change answered before the read ended.
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Runs `f` in the open group (opening one if none is); returns once the group's commit
    /// is durable, or with the error that undid `f` alone.
    pub(super) fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.join(|open| open.run(f))
    }

    /// Runs `check`, then `apply` with what it found, in the open group; returns once the
    /// group's commit is durable. `check` may only read (one that writes undoes the group
    /// and fails), and its error changes nothing. `apply` has no savepoint of its own, so
    /// SQLite copies no page for undo (a tenth of an order's cost); should it fail or
    /// panic, the whole group is undone and each of its members hears that nothing was
    /// saved. For changes that check all they can before they write, so that only a fault
    /// (a full disk, a bug) can fail `apply`.
    pub(super) fn write_checked<P, T>(
        &self,
        check: impl FnOnce(&Transaction) -> Result<P>,
        apply: impl FnOnce(&Transaction, P) -> Result<T>,
    ) -> Result<T> {
        self.join(|open| open.run_checked(check, apply))
    }

    /// Runs a request in the open group and waits for the commit it is owed (unless a batch
    /// waits for it later).
    fn join<T>(&self, run: impl FnOnce(&mut Open) -> Result<T>) -> Result<T> {
        let mut open = self.lock();
        let done = run(&mut open);
        if let Err(e) = &done {
            self.failed(&mut open, e);
        }
        if let Some(later) = LATER.with(|l| l.borrow().clone()) {
            if let (Ok(_), Some(group)) = (&done, &open.group) {
                later.owe(&group.committed);
            }
            if open.is_due(self.is_idle()) {
                commit_and_let_go(open)?;
            }
            return done;
        }
        let committed = match (&done, open.group.as_mut()) {
            (Ok(_), Some(group)) => {
                group.awaited += 1;
                Some(group.committed.clone())
            }
            _ => None,
        };
        if open.is_due(self.is_idle()) {
            let commit = commit_and_let_go(open);
            return done.and_then(|value| commit.map(|()| value));
        }
        drop(open);
        let value = done?;
        if let Some(committed) = committed {
            self.wait_for(&committed)?;
        }
        Ok(value)
    }

    /// Runs `f` and undoes it: what it would do, with nothing changed.
    pub(super) fn rehearse<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut open = self.lock();
        let value = open.rehearse(f);
        if let Err(e) = &value {
            self.failed(&mut open, e);
        }
        if open.is_due(self.is_idle()) {
            commit_and_let_go(open)?;
        }
        value
    }

    /// After a request failed: notes a fault of the disk, and lets go of a group SQLite
    /// has already rolled back. On some errors (SQLITE_FULL, SQLITE_IOERR) SQLite undoes
    /// the whole transaction, not just the statement; left open, the group's members would
    /// wait for a commit that cannot happen, and the next request's savepoint would begin
    /// and commit a transaction of its own, outside any group.
    fn failed(&self, open: &mut Open, e: &StoreError) {
        self.readiness.failed_on(e);
        if open.conn.is_autocommit()
            && let Some(group) = open.group.take()
        {
            group.committed.tell(Err(Unsaved {
                why: format!("SQLite undid its commit after another change in it failed: {e}"),
                fault: e.disk_fault(),
            }));
        }
    }

    /// Runs `f` with this thread's writes owed to `later` instead of waited for.
    pub(super) fn committing_later<T>(later: &LaterCommits, f: impl FnOnce() -> T) -> T {
        struct Restore(Option<LaterCommits>);
        impl Drop for Restore {
            fn drop(&mut self) {
                LATER.with(|l| *l.borrow_mut() = self.0.take());
            }
        }
        let _restore = Restore(LATER.with(|l| l.borrow_mut().replace(later.clone())));
        f()
    }

    /// Returns once every commit `later` is owed is durable, committing the open group if
    /// it is one of them; the first failure if any was not.
    pub(super) fn wait_for_later(&self, later: &LaterCommits) -> Result<()> {
        let owed = later.owed();
        self.commit_open_if(|open| owed.iter().any(|o| Arc::ptr_eq(o, open)));
        let mut first_failure = Ok(());
        for committed in &owed {
            if let Err(e) = self.wait_for(committed)
                && first_failure.is_ok()
            {
                first_failure = Err(e);
            }
        }
        first_failure
    }

    /// Commits the open group if `wanted` says it is the one waited for. How the commit
    /// went reaches its waiters through its settlement, so it is not returned here.
    fn commit_open_if(&self, wanted: impl Fn(&Arc<Settlement>) -> bool) {
        let open = self.lock();
        if open.group.as_ref().is_some_and(|g| wanted(&g.committed)) {
            let _ = commit_and_let_go(open);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        self.queued.fetch_sub(1, Ordering::SeqCst);
        open
    }

    fn is_idle(&self) -> bool {
        self.queued.load(Ordering::SeqCst) == 0
    }

    fn wait_for(&self, committed: &Arc<Settlement>) -> Result<()> {
        let mut outcome = committed.outcome.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(result) = outcome.as_ref() {
                return result.clone().map_err(StoreError::from);
            }
            let (guard, wait) = committed
                .settled
                .wait_timeout(outcome, STALLED)
                .unwrap_or_else(|p| p.into_inner());
            outcome = guard;
            if wait.timed_out() && outcome.is_none() {
                drop(outcome);
                self.commit_open_if(|open| Arc::ptr_eq(open, committed));
                outcome = committed.outcome.lock().unwrap_or_else(|p| p.into_inner());
            }
        }
    }
}

impl Open {
    fn rehearse<T>(&mut self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("SAVEPOINT rehearsal")?;
        let value = f(&Transaction { conn: &self.conn });
        self.conn
            .execute_batch("ROLLBACK TO rehearsal; RELEASE rehearsal")?;
        value
    }

    fn begin(&mut self) -> Result<()> {
        if self.group.is_none() {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.group = Some(Group {
                committed: Arc::default(),
                members: 0,
                awaited: 0,
                opened: Instant::now(),
            });
        }
        Ok(())
    }

    fn run_checked<P, T>(
        &mut self,
        check: impl FnOnce(&Transaction) -> Result<P>,
        apply: impl FnOnce(&Transaction, P) -> Result<T>,
    ) -> Result<T> {
        self.begin()?;
        let changes_before = self.conn.total_changes();
        let mut undo = UndoGroup {
            conn: &self.conn,
            group: &mut self.group,
            armed: true,
        };
        let tx = Transaction { conn: undo.conn };
        let found = check(&tx);
        if tx.total_changes() != changes_before {
            undo.undo(Unsaved {
                why: "another change in its commit wrote while it only checked".into(),
                fault: None,
            });
            return Err(StoreError::Corrupt(
                "a change wrote in the step that may only read; nothing of its commit was kept"
                    .into(),
            ));
        }
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                // Nothing was written: the group goes on without it.
                undo.armed = false;
                return Err(e);
            }
        };
        match apply(&tx, found) {
            Ok(value) => {
                undo.armed = false;
                if let Some(group) = undo.group.as_mut() {
                    group.members += 1;
                }
                Ok(value)
            }
            Err(e) => {
                undo.undo(Unsaved {
                    why: format!("another change in its commit failed: {e}"),
                    fault: e.disk_fault(),
                });
                Err(e)
            }
        }
    }

    fn run<T>(&mut self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.begin()?;
        // Kept statements: every request opens and releases one, and parsing them was a
        // visible part of a small request's cost.
        self.conn.prepare_cached("SAVEPOINT request")?.execute([])?;
        let undo = Undo {
            conn: &self.conn,
            armed: true,
        };
        let value = f(&Transaction { conn: &self.conn })?;
        self.conn.prepare_cached("RELEASE request")?.execute([])?;
        undo.disarm();
        if let Some(group) = self.group.as_mut() {
            group.members += 1;
        }
        Ok(value)
    }

    /// Whether the open group should commit now rather than wait for more to join.
    fn is_due(&self, idle: bool) -> bool {
        self.group.as_ref().is_some_and(|g| {
            let most = if g.awaited == 0 {
                MOST_OWED_IN_GROUP
            } else {
                MOST_IN_GROUP
            };
            // A batch's next change is on its way: only someone waiting, or an empty
            // transaction holding the file's write lock, makes the group end early.
            let someone_waits = g.awaited > 0 || g.members == 0;
            g.members >= most || (someone_waits && (idle || g.opened.elapsed() >= OLDEST_GROUP))
        })
    }

    /// Commits the open group (rolls back an empty one). Its members are told by
    /// [`Commit::settle`], once the commit is durable, after the writer is let go.
    fn commit(&mut self) -> Commit {
        let Some(group) = self.group.take() else {
            return Commit {
                settlement: None,
                result: Ok(()),
                wal: None,
                wrote: false,
                readiness: self.readiness.clone(),
            };
        };
        let result = if group.members == 0 {
            self.conn.execute_batch("ROLLBACK").map_err(Unsaved::sqlite)
        } else {
            (self.before_commit)(&Transaction { conn: &self.conn })
                .map_err(|e| Unsaved::of(&e))
                .and_then(|()| self.conn.execute_batch("COMMIT").map_err(Unsaved::sqlite))
        };
        if result.is_err() && !self.conn.is_autocommit() {
            // A failed COMMIT can leave the transaction open; nothing of it may stay.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let wrote = result.is_ok() && group.members > 0;
        if group.members > 0 {
            self.commits.fetch_add(1, Ordering::Release);
        }
        Commit {
            settlement: Some(group.committed),
            result,
            wal: self.wal.clone().filter(|_| wrote),
            wrote,
            readiness: self.readiness.clone(),
        }
    }
}

/// Commits the open group, lets the writer go, and only then makes the commit durable and
/// tells the group's members.
fn commit_and_let_go(mut open: MutexGuard<'_, Open>) -> Result<()> {
    let commit = open.commit();
    drop(open);
    commit.settle()
}

/// A group's `COMMIT` as it returned: visible to readers, not yet known to be on disk.
#[must_use = "the group's members wait until it is settled"]
struct Commit {
    settlement: Option<Arc<Settlement>>,
    result: std::result::Result<(), Unsaved>,
    /// The WAL its frames went to, to sync.
    wal: Option<PathBuf>,
    /// Whether it committed changes (an empty group is rolled back).
    wrote: bool,
    readiness: Arc<Readiness>,
}

impl Commit {
    /// Makes the commit durable and tells the group's members how it went.
    fn settle(self) -> Result<()> {
        let result = self.result.and_then(|()| match &self.wal {
            // The kernel's copy of the file, whichever descriptor wrote it, goes to disk.
            Some(wal) => std::fs::File::open(wal)
                .and_then(|f| f.sync_data())
                .map_err(|e| Unsaved {
                    why: format!("syncing {}: {e}", wal.display()),
                    fault: Some(DiskFault::of_io(&e)),
                }),
            None => Ok(()),
        });
        // Whether writes work is known here, where each commit ends, whoever made it.
        match &result {
            Ok(()) if self.wrote => self.readiness.wrote(),
            Err(Unsaved {
                why,
                fault: Some(fault),
            }) => self.readiness.failed(*fault, why.clone()),
            _ => {}
        }
        if let Some(settlement) = self.settlement {
            settlement.tell(result.clone());
        }
        result.map_err(StoreError::from)
    }
}

/// Undoes the whole group, and tells its members so, unless disarmed: a change without a
/// savepoint of its own that fails or panics cannot be undone alone.
struct UndoGroup<'o> {
    conn: &'o Connection,
    group: &'o mut Option<Group>,
    armed: bool,
}

impl UndoGroup<'_> {
    fn undo(mut self, why: Unsaved) {
        self.armed = false;
        let _ = self.conn.execute_batch("ROLLBACK");
        if let Some(group) = self.group.take() {
            group.committed.tell(Err(why));
        }
    }
}

impl Drop for UndoGroup<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.conn.execute_batch("ROLLBACK");
            if let Some(group) = self.group.take() {
                group.committed.tell(Err(Unsaved {
                    why: "another change in its commit failed".into(),
                    fault: None,
                }));
            }
        }
    }
}

/// Undoes a request's savepoint unless it got as far as releasing it, also when the
/// request panics, so the group goes on without any of it.
struct Undo<'c> {
    conn: &'c Connection,
    armed: bool,
}

impl Undo<'_> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self
                .conn
                .execute_batch("ROLLBACK TO request; RELEASE request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(dir: &tempfile::TempDir) -> (Connection, std::path::PathBuf) {
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
             CREATE TABLE picks (n INTEGER PRIMARY KEY);",
        )
        .expect("schema");
        (conn, path)
    }

    fn stored(path: &std::path::Path) -> Vec<i64> {
        let conn = Connection::open(path).expect("open reader");
        let mut stmt = conn
            .prepare("SELECT n FROM picks ORDER BY n")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    fn add(n: i64) -> impl FnOnce(&Transaction) -> Result<()> {
        move |tx| {
            tx.execute("INSERT INTO picks (n) VALUES (?1)", [n])?;
            Ok(())
        }
    }

    #[test]
    fn a_failed_or_panicking_request_is_undone_alone_and_the_group_commits_the_rest() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        let mut open = open_on(conn);
        open.run(add(1)).expect("first");
        let failed = open.run(|tx| {
            tx.execute("INSERT INTO picks (n) VALUES (2)", [])?;
            Err::<(), _>(StoreError::Conflict("bin is closed".into()))
        });
        assert!(failed.is_err());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = open.run(|tx| -> Result<()> {
                tx.execute("INSERT INTO picks (n) VALUES (3)", [])?;
                panic!("a bug in the middle of a request");
            });
        }));
        assert!(panicked.is_err());
        open.run(add(4)).expect("last");
        assert!(
            stored(&path).is_empty(),
            "nothing is visible before the commit"
        );
        assert_eq!(open.group.as_ref().map(|g| g.members), Some(2));
        open.commit().settle().expect("commit");
        assert_eq!(stored(&path), vec![1, 4]);
        assert_eq!(
            open.commits.load(Ordering::Acquire),
            1,
            "one group, one commit"
        );
    }

    #[test]
    fn every_answered_write_is_already_committed_under_concurrent_load() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        let writer = Arc::new(Writer::new(conn, |_| Ok(())).expect("writer"));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (writer, path) = (writer.clone(), path.clone());
                std::thread::spawn(move || {
                    let reader = Connection::open(&path).expect("reader");
                    for i in 0..40 {
                        let n = t * 1000 + i;
                        let outcome = writer.write(|tx| {
                            tx.execute("INSERT INTO picks (n) VALUES (?1)", [n])?;
                            if i % 5 == 0 {
                                return Err(StoreError::Conflict("refused".into()));
                            }
                            Ok(n)
                        });
                        let seen: i64 = reader
                            .query_row("SELECT count(*) FROM picks WHERE n = ?1", [n], |r| r.get(0))
                            .expect("read");
                        assert_eq!(seen, i64::from(outcome.is_ok()), "write {n}");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("writer thread");
        }
        assert_eq!(stored(&path).len(), 8 * 32);
    }

    #[test]
    fn a_batch_shares_its_commits_and_is_durable_once_waited_for() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        let writer = Writer::new(conn, |_| Ok(())).expect("writer");
        let later = LaterCommits::default();
        Writer::committing_later(&later, || {
            for n in 1..=3 {
                writer.write(add(n)).expect("write");
            }
            let refused = writer.write(|tx| {
                tx.execute("INSERT INTO picks (n) VALUES (4)", [])?;
                Err::<(), _>(StoreError::Invalid("not a bin".into()))
            });
            assert!(refused.is_err());
        });
        assert!(
            stored(&path).is_empty(),
            "not committed before the batch waits"
        );
        assert_eq!(later.owed().len(), 1, "one group for the whole batch");
        writer.wait_for_later(&later).expect("durable");
        assert_eq!(stored(&path), vec![1, 2, 3]);
        writer
            .write(add(5))
            .expect("an ordinary write waits for itself again");
        assert_eq!(stored(&path), vec![1, 2, 3, 5]);
    }

    fn open_on(conn: Connection) -> Open {
        Open {
            conn,
            group: None,
            commits: Arc::default(),
            before_commit: |_| Ok(()),
            wal: None,
            readiness: Arc::default(),
        }
    }

    fn heard_of_failure(settlement: &Settlement) -> bool {
        let outcome = settlement.outcome.lock().expect("outcome");
        outcome.as_ref().is_some_and(|o| o.is_err())
    }

    fn told(open: &Open) -> Arc<Settlement> {
        open.group
            .as_ref()
            .expect("a group is open")
            .committed
            .clone()
    }

    #[test]
    fn a_checked_change_refused_by_its_check_leaves_the_group_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        let mut open = open_on(conn);
        open.run(add(1)).expect("first");
        let refused = open.run_checked(
            |_| Err::<(), _>(StoreError::Conflict("out of stock".into())),
            |tx, ()| add(2)(tx),
        );
        assert!(matches!(refused, Err(StoreError::Conflict(_))));
        open.run_checked(|_| Ok(4), |tx, n| add(n)(tx))
            .expect("checked");
        assert_eq!(open.group.as_ref().map(|g| g.members), Some(2));
        open.commit().settle().expect("commit");
        assert_eq!(stored(&path), vec![1, 4]);

        // A check that writes breaks the promise the group relied on: all of it is undone.
        open.run(add(5)).expect("fifth");
        let wrote = open.run_checked(|tx| add(6)(tx), |_, ()| Ok(()));
        assert!(matches!(wrote, Err(StoreError::Corrupt(_))), "{wrote:?}");
        assert!(open.group.is_none() && open.conn.is_autocommit());
        assert_eq!(stored(&path), vec![1, 4]);
    }

    #[test]
    fn a_checked_change_that_fails_after_its_check_undoes_its_whole_group() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        let mut open = open_on(conn);
        open.run(add(1)).expect("first");
        let first = told(&open);
        let failed = open.run_checked(
            |_| Ok(()),
            |tx, ()| {
                add(2)(tx)?;
                add(2)(tx)
            },
        );
        assert!(matches!(failed, Err(StoreError::Sqlite(_))), "{failed:?}");
        assert!(open.group.is_none() && open.conn.is_autocommit());
        let outcome = first.outcome.lock().expect("outcome").clone();
        assert!(
            matches!(&outcome, Some(Err(Unsaved { why, fault: None })) if why.contains("UNIQUE")),
            "the member before it hears nothing was saved: {outcome:?}"
        );

        // A panic undoes its group the same way; the writer goes on with a new one.
        open.run(add(3)).expect("third");
        let third = told(&open);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = open.run_checked(
                |_| Ok(()),
                |tx, ()| -> Result<()> {
                    add(4)(tx)?;
                    panic!("a bug after the check");
                },
            );
        }));
        assert!(panicked.is_err());
        assert!(heard_of_failure(&third));
        open.run_checked(|_| Ok(5), |tx, n| add(n)(tx))
            .expect("after");
        open.commit().settle().expect("commit");
        assert_eq!(stored(&path), vec![5]);
    }

    #[test]
    fn the_work_before_commit_runs_once_per_group_and_its_failure_undoes_the_group() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        let mut open = open_on(conn);
        // Counts its runs in the table itself, as 1000 + runs so far.
        open.before_commit = |tx| {
            tx.execute(
                "INSERT INTO picks (n) SELECT 1000 + count(*) FROM picks WHERE n >= 1000",
                [],
            )?;
            Ok(())
        };
        open.run(add(1)).expect("first");
        open.run(add(2)).expect("second");
        open.commit().settle().expect("commit");
        assert_eq!(stored(&path), vec![1, 2, 1000]);

        open.before_commit = |_| Err(StoreError::Corrupt("alert table unreadable".into()));
        open.run(add(3)).expect("third");
        let third = told(&open);
        let failed = open.commit().settle();
        assert!(
            matches!(failed, Err(StoreError::NotSaved { fault: None, .. })),
            "{failed:?}"
        );
        assert!(heard_of_failure(&third));
        assert!(open.conn.is_autocommit());
        assert_eq!(stored(&path), vec![1, 2, 1000]);
    }

    #[test]
    fn a_commit_is_answered_only_once_its_wal_is_synced() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        let writer = Writer::new(conn, |_| Ok(())).expect("writer");
        let wal = writer
            .lock()
            .wal
            .clone()
            .expect("a file database has a WAL");
        assert_eq!(wal, PathBuf::from(format!("{}-wal", path.display())));
        writer.write(add(1)).expect("synced");

        // A WAL that cannot be synced: the members hear that nothing was saved, and that
        // it is the disk's fault, which the writer now knows.
        writer.lock().wal = Some(dir.path().join("gone").join("w.db-wal"));
        let failed = writer.write(add(2));
        assert!(
            matches!(&failed, Err(StoreError::NotSaved { why, fault: Some(_) }) if why.contains("syncing")),
            "{failed:?}"
        );
        assert!(writer.readiness().fault().is_some());
    }

    /// On SQLITE_FULL from a one-row insert SQLite rolls back the whole transaction, not
    /// just the statement: the group it was in is gone, and the writer must know.
    #[test]
    fn a_group_sqlite_undid_on_a_full_disk_is_told_so_and_the_next_write_commits_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        conn.execute_batch("CREATE TABLE notes (n INTEGER PRIMARY KEY, body BLOB)")
            .expect("notes");
        let writer = Writer::new(conn, |_| Ok(())).expect("writer");
        writer.with_connection(|c| {
            let pages: i64 = c
                .query_row("PRAGMA page_count", [], |r| r.get(0))
                .expect("pages");
            c.pragma_update(None, "max_page_count", pages)
                .expect("limit");
        });
        let batch = LaterCommits::default();
        let full = Writer::committing_later(&batch, || {
            writer.write(add(1)).expect("joins the group");
            writer.write(|tx| {
                tx.execute(
                    "INSERT INTO notes (n, body) VALUES (1, zeroblob(65536))",
                    [],
                )?;
                Ok(())
            })
        });
        assert!(
            matches!(&full, Err(e) if e.disk_fault() == Some(DiskFault::Full)),
            "{full:?}"
        );
        assert!(writer.readiness().fault().is_some());

        writer
            .write(add(3))
            .expect("a write after it is a group of its own, and is told the truth");
        let first = writer.wait_for_later(&batch);
        assert!(
            matches!(&first, Err(e) if e.disk_fault() == Some(DiskFault::Full)),
            "the write before it hears its group was undone, and why: {first:?}"
        );
        assert_eq!(stored(&path), vec![3]);
        assert_eq!(
            writer.readiness().fault(),
            None,
            "a commit that reached the disk"
        );
    }

    #[test]
    fn a_rehearsal_changes_nothing_and_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = table(&dir);
        let writer = Writer::new(conn, |_| Ok(())).expect("writer");
        let would = writer
            .rehearse(|tx| {
                tx.execute("INSERT INTO picks (n) VALUES (7)", [])?;
                Ok(tx.query_row("SELECT count(*) FROM picks", [], |r| r.get::<_, i64>(0))?)
            })
            .expect("rehearse");
        assert_eq!(would, 1);
        assert_eq!(writer.commits(), 0, "nothing was committed");
        writer.write(add(8)).expect("write after");
        assert_eq!(writer.commits(), 1, "counted before the write was answered");
        assert_eq!(stored(&path), vec![8]);
        let open = writer.open.lock().expect("lock");
        assert!(open.conn.is_autocommit() && open.group.is_none());
    }
}
