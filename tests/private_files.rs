//! Files that hold customers' names and addresses are their owner's alone: the server's
//! database with its WAL and shared-memory index, and the console's local cache with its
//! journals. Created 0600 whatever the umask, and tightened when an older backroom left
//! them readable by others.

#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use backroom::client::{Change, CountChange, LocalCache, Mutation};
use backroom::store::Store;
use common::TestServer;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The file with its `-wal` and `-shm`.
fn with_journals(path: &Path) -> [PathBuf; 3] {
    [
        path.to_path_buf(),
        with_suffix(path, "-wal"),
        with_suffix(path, "-shm"),
    ]
}

fn assert_private(files: &[PathBuf]) {
    for file in files {
        assert_eq!(mode(file), 0o600, "{} is {:o}", file.display(), mode(file));
    }
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// What a subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    /// Runs `f` with what it logs on this thread kept here.
    fn around<T>(&self, f: impl FnOnce() -> T) -> T {
        let log = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || log.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_database_and_its_journals_are_the_owners_alone() {
    let s = TestServer::start().await;
    let token = s.token("ops").await;
    // An order is written while the server runs, so the WAL and its index are in use.
    s.place_tea_order(&token, "private-files-1").await;
    assert_private(&with_journals(s.store.path()));
}

#[test]
fn a_database_left_readable_by_others_is_tightened_with_a_note_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    drop(Store::open(&path).unwrap());
    // An older backroom's file, with the journals a crash left beside it: SQLite keeps the
    // mode of journals that exist, so they must be tightened too.
    let crashed = rusqlite::Connection::open(&path).unwrap();
    crashed
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE left_over (x); INSERT INTO left_over VALUES (1);")
        .unwrap();
    let files = with_journals(&path);
    for file in &files {
        set_mode(file, 0o644);
    }

    let log = Log::default();
    let store = log.around(|| Store::open(&path)).expect("opens");
    assert_private(&files);
    let text = log.text();
    assert!(
        text.contains("WARN") && text.contains("shop.db") && text.contains("644"),
        "{text}"
    );
    drop(store);
    drop(crashed);

    // Already private: nothing to say.
    let quiet = Log::default();
    drop(quiet.around(|| Store::open(&path)).expect("opens"));
    assert_eq!(quiet.text().matches("WARN").count(), 0, "{}", quiet.text());
}

/// Also the tools that promise to change nothing: SQLite would give the journals they
/// create the database's mode.
#[test]
fn a_tool_opening_an_existing_database_tightens_it_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    drop(Store::open(&path).unwrap());
    set_mode(&path, 0o664);
    let store = Store::open_existing(&path).expect("opens");
    store.schema_version().expect("reads");
    assert_private(&with_journals(&path));
}

fn a_count() -> Mutation {
    Mutation::new(Change::Count(CountChange::Count {
        stocktake: "ST-000001".into(),
        location: "A-01-01".into(),
        product: "TEA-1001".into(),
        qty: 3,
        set: false,
    }))
}

#[test]
fn the_consoles_local_cache_and_its_journals_are_the_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = LocalCache::path_for(dir.path(), "http://127.0.0.1:8080/", "mei.lin");
    let cache = LocalCache::open(&path).expect("opens");
    cache.enqueue(&a_count()).unwrap();
    cache
        .remember("/api/v1/orders/SO-000001", r#"{"customer":"Hugo Meyer"}"#)
        .unwrap();
    cache.flush().unwrap();
    assert_private(&with_journals(&path));
}

#[test]
fn a_local_cache_left_readable_by_others_is_tightened() {
    let dir = tempfile::tempdir().unwrap();
    let path = LocalCache::path_for(dir.path(), "http://127.0.0.1:8080/", "mei.lin");
    let first = LocalCache::open(&path).expect("opens");
    first.enqueue(&a_count()).unwrap();
    let files = with_journals(&path);
    for file in &files {
        set_mode(file, 0o644);
    }
    let again = LocalCache::open(&path).expect("opens again");
    assert_eq!(again.pending().unwrap().len(), 1);
    assert_private(&files);

    // A file that is no cache is moved aside, never deleted (it may hold changes); it is
    // tightened before, and the fresh one is created private.
    drop((first, again));
    for file in &files {
        let _ = std::fs::remove_file(file);
    }
    std::fs::write(&path, "this is not a cache, it is somebody's address book").unwrap();
    set_mode(&path, 0o644);
    let fresh = LocalCache::open(&path).expect("a fresh cache");
    fresh.enqueue(&a_count()).unwrap();
    assert_private(&with_journals(&path));
    let aside: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("unusable"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_private(&aside);
}

#[test]
fn an_imports_rejected_rows_are_the_owners_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    Store::open(&db)
        .expect("open")
        .seed_sample_data(jiff::Timestamp::now())
        .expect("seed");
    let file = dir.path().join("orders.csv");
    std::fs::write(
        &file,
        "channel,channel_order_no,customer_name,email,phone,ship_name,line1,line2,city,postal_code,region,country,payment_method,currency,sku,qty,unit_price_minor\n\
         web,R-1,Camille Dubois,camille@example.com,,Camille Dubois,12 Rue Oberkampf,,Paris,75011,,FR,card,EUR,NOPE-1,1,1290\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backroom"))
        .args(["import", "orders"])
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .arg("--skip-bad")
        .env_remove("BACKROOM_DB")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_private(&[file.with_extension("rejects.csv")]);
}
