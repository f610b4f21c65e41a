//! The `backroom` binary itself: admin commands, serve and demo start and stop cleanly,
//! and bad configuration is refused before the console takes the screen.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn backroom() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backroom"));
    cmd.env_remove("BACKROOM_DB")
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "warn");
    cmd
}

fn admin(db: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = backroom()
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Reads the child's output until a line starts with `prefix`; returns that line. One
/// reader for the whole run: a reader dropped between calls would lose what it buffered.
fn wait_for_line(out: &mut impl BufRead, prefix: &str, lines: &mut Vec<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "output ended before {prefix:?}: {lines:?}"
        );
        lines.push(line.clone());
        if line.starts_with(prefix) {
            return line.trim().to_string();
        }
        assert!(Instant::now() < deadline, "no {prefix:?} line");
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn login(base: &str, user: &str, password: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
}

#[test]
fn admin_manages_users_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let out = admin(
        &db,
        &[
            "user",
            "add",
            "Mei.Lin",
            "--role",
            "cs",
            "--name",
            "林美玲",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("added mei.lin (林美玲) as cs"));

    let out = admin(
        &db,
        &["user", "add", "mei.lin", "--role", "cs", "--password-stdin"],
        "another passphrase here\n",
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("already exists"), "{}", text(&out));

    let out = admin(
        &db,
        &["user", "add", "tom", "--role", "boss", "--password-stdin"],
        "tangerine kettle orbit\n",
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("'boss'") && text(&out).contains("warehouse"),
        "{}",
        text(&out)
    );

    let out = admin(
        &db,
        &[
            "user",
            "add",
            "tom",
            "--role",
            "warehouse",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("at least 10"), "{}", text(&out));

    let out = admin(&db, &["user", "set-role", "mei.lin", "ops"], "");
    assert!(text(&out).contains("mei.lin is now ops"), "{}", text(&out));
    let out = admin(&db, &["user", "disable", "mei.lin"], "");
    assert!(out.status.success(), "{}", text(&out));
    let out = admin(&db, &["user", "list"], "");
    let listing = text(&out);
    assert!(
        listing.contains("mei.lin") && listing.contains("ops") && listing.contains("disabled"),
        "{listing}"
    );
    assert!(
        !listing.contains("tom"),
        "failed adds must add nothing: {listing}"
    );

    let out = admin(
        &db,
        &["user", "reset-password", "ghost", "--password-stdin"],
        "whatever123\n",
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("not found"), "{}", text(&out));
}

#[test]
fn user_help_lists_every_role() {
    for command in ["set-role", "add"] {
        let out = backroom()
            .args(["admin", "user", command, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command}: {}", text(&out));
        let help = text(&out);
        let listed = help
            .split("[possible values: ")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap_or_else(|| panic!("{command} lists no roles: {help}"));
        let listed: Vec<&str> = listed.split(", ").collect();
        assert_eq!(
            listed,
            [
                "admin",
                "ops",
                "cs",
                "warehouse",
                "supervisor",
                "purchasing",
                "analyst",
                "auditor",
                "integration"
            ],
            "{command}: {help}"
        );
    }
}

#[test]
fn a_weak_new_password_is_refused_in_words_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let add_kim = |password: &str| {
        admin(
            &db,
            &["user", "add", "kim", "--role", "ops", "--password-stdin"],
            &format!("{password}\n"),
        )
    };
    // A common password, the user's own name, and a demo password from the README.
    for weak in ["password123!", "kimkimkimkim", "backroom-ops"] {
        let out = add_kim(weak);
        assert!(!out.status.success(), "{weak}: {}", text(&out));
        assert!(
            text(&out).contains("password too easy to guess"),
            "{weak}: {}",
            text(&out)
        );
        if weak == "password123!" {
            // zxcvbn's own advice reaches the person.
            assert!(
                text(&out).contains("commonly used password"),
                "{}",
                text(&out)
            );
        }
    }
    let listing = text(&admin(&db, &["user", "list"], ""));
    assert!(
        !listing.contains("kim"),
        "a refused add adds nothing: {listing}"
    );

    let out = add_kim("amber falcon drifts");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("added kim (kim) as ops"),
        "{}",
        text(&out)
    );

    let stored_hash = || {
        backroom::store::Store::open(&db)
            .unwrap()
            .login_candidate("kim")
            .unwrap()
            .expect("kim exists")
            .1
    };
    let before = stored_hash();
    let out = admin(
        &db,
        &["user", "reset-password", "kim", "--password-stdin"],
        "kim123456789\n",
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("password too easy to guess"),
        "{}",
        text(&out)
    );
    assert_eq!(
        stored_hash(),
        before,
        "a refused reset keeps the old password"
    );

    let out = admin(
        &db,
        &["user", "reset-password", "kim", "--password-stdin"],
        "mango-tundra-41\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(backroom::domain::user::verify_password(
        "mango-tundra-41",
        &stored_hash()
    ));
}

#[tokio::test]
async fn serve_accepts_the_admin_made_user_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let out = admin(
        &db,
        &["user", "add", "boss", "--role", "admin", "--password-stdin"],
        "first admin of the shop!\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut child = backroom()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let line = wait_for_line(&mut out, "backroom serving", &mut lines);
    let base = line.rsplit(' ').next().unwrap().to_string();
    assert_eq!(login(&base, "boss", "first admin of the shop!").await, 200);
    assert_eq!(login(&base, "boss", "wrong").await, 401);
    let status = terminate(&mut child);
    assert!(
        status.success(),
        "graceful shutdown should exit 0, got {status}"
    );
}

#[tokio::test]
async fn demo_serve_only_prints_users_and_removes_its_files() {
    let mut child = backroom()
        .args(["demo", "--serve-only"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let url_line = wait_for_line(&mut out, "backroom demo serving on", &mut lines);
    let base = url_line.rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let db_line = wait_for_line(&mut out, "database:", &mut lines);
    let db = db_line.trim_start_matches("database:").trim().to_string();
    wait_for_line(&mut out, "console:", &mut lines);
    let printed = lines.join("");
    for role in [
        "admin",
        "ops",
        "cs",
        "warehouse",
        "purchasing",
        "analyst",
        "auditor",
    ] {
        assert!(printed.contains(&format!("backroom-{role}")), "{printed}");
        assert_eq!(
            login(&base, role, &format!("backroom-{role}")).await,
            200,
            "{role}"
        );
    }
    assert!(Path::new(&db).exists());
    assert!(terminate(&mut child).success());
    let dir = Path::new(&db).parent().unwrap();
    assert!(!dir.exists(), "demo left {} behind", dir.display());
}

#[test]
fn a_broken_keymap_is_refused_before_the_console_starts() {
    let dir = tempfile::tempdir().unwrap();
    let keymap = dir.path().join("mine.toml");
    std::fs::write(
        &keymap,
        "inherits = \"default\"\n[orders]\n\"j\" = { action = \"jump\", desc = \"Jump\" }\n",
    )
    .unwrap();
    let out = backroom()
        .args(["console", "--server", "http://127.0.0.1:9", "--keymap"])
        .arg(&keymap)
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3:", keymap.display()))
            && err.contains("unknown action \"jump\""),
        "{err}"
    );
    // Nothing was drawn: the terminal was never taken.
    assert!(out.stdout.is_empty());
}

#[test]
fn a_broken_config_file_and_a_bad_server_url_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "server = \"http://127.0.0.1:9\"\nthem = \"mono\"\n",
    )
    .unwrap();
    let out = backroom()
        .args(["console", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains(":2:") && err.contains("them"),
        "{err}"
    );

    let out = backroom()
        .args(["console", "--server", "localhost:8080"])
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("not a server URL"),
        "{err}"
    );
}

#[test]
fn serve_refuses_a_database_from_a_newer_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("future.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let out = backroom()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("newer backroom") && err.contains("future.db"),
        "{err}"
    );
}

const EVERYTHING_TO_CS: &str = "[[rule]]\nname = \"everything to cs\"\nthen = { queue = \"cs_review\", reason = \"trial week\" }\n";

#[test]
fn serve_refuses_a_broken_rules_file_and_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"a\"\nthen = { queue = \"shelf\" }\n",
    )
    .unwrap();
    let out = backroom()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .arg("--rules")
        .arg(&rules)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains(&format!("{}:3:", rules.display())),
        "{err}"
    );

    std::fs::write(&rules, EVERYTHING_TO_CS).unwrap();
    let mut child = backroom()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .arg("--rules")
        .arg(&rules)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    wait_for_line_containing(&mut log, "serving", &mut lines);
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"b\"\nwhen = { colour = [\"red\"] }\nthen = { queue = \"hold\" }\n",
    )
    .unwrap();
    Command::new("kill")
        .arg("-HUP")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let refused = wait_for_line_containing(&mut log, "routing rules refused", &mut lines);
    assert!(
        refused.contains(&format!("{}:3:", rules.display())),
        "{refused}"
    );
    std::fs::write(&rules, EVERYTHING_TO_CS).unwrap();
    Command::new("kill")
        .arg("-HUP")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    wait_for_line_containing(&mut log, "routing rules reloaded", &mut lines);
    let status = terminate(&mut child);
    assert!(status.success(), "{status}: {lines:?}");
}

fn wait_for_line_containing(
    out: &mut impl BufRead,
    needle: &str,
    lines: &mut Vec<String>,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "output ended before {needle:?}: {lines:?}"
        );
        lines.push(line.clone());
        if line.contains(needle) {
            return line;
        }
        assert!(Instant::now() < deadline, "no line with {needle:?}");
    }
}

#[tokio::test]
async fn rules_test_reports_what_would_change_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("demo");
    let mut child = backroom()
        .args(["demo", "--serve-only", "--keep"])
        .arg(&keep)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let base = wait_for_line(&mut out, "backroom demo serving on", &mut lines)
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "integration", "password": "backroom-integration" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_string();
    let product: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "ops", "password": "backroom-ops" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ops = product["token"].as_str().unwrap().to_string();
    let tea: serde_json::Value = http
        .get(format!("{base}/api/v1/products/TEA-1001"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order = serde_json::json!({
        "channel": "web", "channel_order_no": "RT-1",
        "customer": { "name": "Isla Taylor", "email": "isla.rt@example.com", "phone": null },
        "ship_to": { "name": "Isla Taylor", "line1": "1 City Road", "line2": null, "city": "London",
                     "postal_code": "EC1V 9HX", "region": null, "country": "GB" },
        "payment_method": "card", "currency": "EUR",
        "lines": [{ "sku": "TEA-1001", "qty": 1, "unit_price_minor": tea["product"]["price"]["amount_minor"] }]
    });
    let placed: serde_json::Value = http
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&token)
        .header("idempotency-key", "rt-1")
        .json(&order)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    assert_eq!(placed["order"]["status"], "ready_to_pick");
    assert!(terminate(&mut child).success());

    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, EVERYTHING_TO_CS).unwrap();
    let db = keep.join("demo.db");
    let out = backroom()
        .args(["rules", "test", "--db"])
        .arg(&db)
        .arg("--file")
        .arg(&rules)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = report
        .lines()
        .find(|l| l.starts_with(&number))
        .unwrap_or_else(|| panic!("{number} missing: {report}"));
    assert!(
        line.contains("\"standard\" → \"everything to cs\"")
            && line.contains("queue warehouse → cs_review"),
        "{line}"
    );
    assert!(report.contains("nothing was changed"), "{report}");
    let store = backroom::store::Store::open(&db).unwrap();
    assert_eq!(
        store
            .order_detail(&number)
            .unwrap()
            .unwrap()
            .order
            .status
            .as_str(),
        "ready_to_pick"
    );
}

const CSV_HEADER: &str = "channel,channel_order_no,customer_name,email,phone,ship_name,line1,line2,city,postal_code,region,country,payment_method,currency,sku,qty,unit_price_minor\n";

fn csv_row(no: &str, sku: &str, qty: &str) -> String {
    format!(
        "web,{no},Camille Dubois,camille.{no}@example.com,,Camille Dubois,\"12 Rue Oberkampf, bât. B\",,Paris,75011,,FR,card,EUR,{sku},{qty},1290\n"
    )
}

fn seeded_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("shop.db");
    backroom::store::Store::open(&db)
        .unwrap()
        .seed_sample_data(jiff::Timestamp::now())
        .unwrap();
    db
}

#[test]
fn csv_import_is_all_or_nothing_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    let before = backroom::store::Store::open(&db)
        .unwrap()
        .order_count()
        .unwrap();
    let file = dir.path().join("orders.csv");
    let text = format!(
        "{CSV_HEADER}{}{}{}{}",
        csv_row("C-1", "TEA-1001", "2"),
        csv_row("C-2", "TEA-1002", "0"),
        csv_row("C-3", "KIT-1001", "1"),
        csv_row("C-3", "NOPE-9", "1"),
    );
    std::fs::write(&file, text).unwrap();
    let out = backroom()
        .args(["import", "orders"])
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "{}:3: quantity must be between 1 and 10000, not 0",
            file.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}:5: unknown SKU \"NOPE-9\"", file.display())),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(
        backroom::store::Store::open(&db)
            .unwrap()
            .order_count()
            .unwrap(),
        before
    );

    let out = backroom()
        .args(["import", "orders"])
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .arg("--skip-bad")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("imported 1 order(s)"), "{said}");
    assert_eq!(
        backroom::store::Store::open(&db)
            .unwrap()
            .order_count()
            .unwrap(),
        before + 1
    );
    let rejects = std::fs::read_to_string(dir.path().join("orders.rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(lines.len(), 4, "header and three rejected rows: {rejects}");
    assert!(lines[0].ends_with(",error"));
    assert!(
        lines[1].contains("C-2") && lines[1].contains("quantity must be"),
        "{rejects}"
    );
    assert!(
        lines[2].contains("KIT-1001") && lines[2].contains("another row of this order is bad"),
        "{rejects}"
    );
    assert!(
        lines[3].contains("NOPE-9") && lines[3].contains("\"12 Rue Oberkampf, bât. B\""),
        "{rejects}"
    );

    // Importing the same file again recognises what came before.
    let out = backroom()
        .args(["import", "orders"])
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .arg("--skip-bad")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 0 order(s)"));
    assert_eq!(
        backroom::store::Store::open(&db)
            .unwrap()
            .order_count()
            .unwrap(),
        before + 1
    );
}

#[test]
fn csv_import_refuses_a_file_with_the_wrong_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    let file = dir.path().join("orders.csv");
    std::fs::write(&file, "order,sku,qty\nA,TEA-1001,1\n").unwrap();
    let out = backroom()
        .args(["import", "orders"])
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains(":1: missing columns: channel"),
        "{err}"
    );
}

#[test]
fn rules_test_routes_the_orders_of_a_csv_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    let store = backroom::store::Store::open(&db).unwrap();
    let (before, events_before) = (store.order_count().unwrap(), store.last_event_id().unwrap());
    let available = |s: &backroom::store::Store| {
        let (p, _) = s.product_with_stock("TEA-1001").unwrap().unwrap();
        p.on_hand - p.reserved
    };
    let stock_before = available(&store);
    let file = dir.path().join("orders.csv");
    std::fs::write(
        &file,
        format!(
            "{CSV_HEADER}{}{}",
            csv_row("R-1", "TEA-1001", "1"),
            csv_row("R-2", "NOPE-9", "1")
        ),
    )
    .unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, EVERYTHING_TO_CS).unwrap();
    let out = backroom()
        .args(["rules", "test", "--db"])
        .arg(&db)
        .arg("--file")
        .arg(&rules)
        .arg("--orders")
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = report
        .lines()
        .find(|l| l.starts_with("web R-1 (line 2): "))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        line.contains("→ CS review by rule \"everything to cs\""),
        "{line}"
    );
    assert!(
        report.contains(&format!(
            "{}:3: unknown SKU \"NOPE-9\" (not routed)",
            file.display()
        )),
        "{report}"
    );
    assert!(
        report.contains("1 of 1 order(s)") && report.contains("nothing was stored"),
        "{report}"
    );
    assert_eq!(store.order_count().unwrap(), before);
    assert_eq!(store.last_event_id().unwrap(), events_before);
    assert_eq!(available(&store), stock_before);

    // A mistyped database is refused, not created.
    let missing = dir.path().join("typo.db");
    let out = backroom()
        .args(["rules", "test", "--db"])
        .arg(&missing)
        .arg("--orders")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!missing.exists());
}

#[test]
fn barcode_says_what_each_scan_means_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[scanner.labels]\nlocation = [\"@-##-##\"]\n").unwrap();
    let out = backroom()
        .args([
            "barcode",
            "4006381333931",
            "]C101095011010209171719050810ABCD1234<GS>2112345",
            "A-03-02",
            "4006381333932",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one scan is invalid");
    let reports: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 4);
    assert_eq!(
        (&reports[0]["kind"], &reports[0]["gtin14"]),
        (
            &serde_json::json!("gtin"),
            &serde_json::json!("04006381333931")
        )
    );
    assert_eq!(reports[1]["symbology"], "GS1-128");
    assert_eq!(
        reports[1]["ais"],
        serde_json::json!([
            ["01", "09501101020917"],
            ["17", "190508"],
            ["10", "ABCD1234"],
            ["21", "12345"]
        ])
    );
    assert_eq!(reports[2]["kind"], "location");
    assert_eq!(reports[3]["valid"], false);
    assert!(
        reports[3]["error"]
            .as_str()
            .unwrap()
            .contains("check digit should be 1"),
        "{}",
        reports[3]
    );

    let mut child = backroom()
        .args(["barcode", "-", "--config"])
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"0101234567890128\n96385074\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("\"gtin14\":\"00000096385074\""), "{text}");

    std::fs::write(&config, "[scanner.labels]\nlocation = [\"@-##{2\"]\n").unwrap();
    let out = backroom()
        .args(["barcode", "A-03-02", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("config.toml:2:"),
        "{err}"
    );
}

#[test]
fn cache_status_shows_what_waits_and_clear_refuses_to_lose_it() {
    use backroom::client::{Change, CountChange, LocalCache, Mutation};
    let dir = tempfile::tempdir().unwrap();
    let path = LocalCache::path_for(dir.path(), "http://127.0.0.1:8080", "warehouse");
    {
        let outbox = LocalCache::open(&path).unwrap();
        let count = |bin: &str| {
            Mutation::new(Change::Count(CountChange::Count {
                stocktake: "ST-000001".into(),
                location: bin.into(),
                product: "KIT-1001".into(),
                qty: 1,
                set: false,
            }))
        };
        outbox.enqueue(&count("A-01-01")).unwrap();
        let refused = count("Z-99");
        outbox.enqueue(&refused).unwrap();
        outbox
            .set_aside(refused.id, "Z-99 is not in ST-000001")
            .unwrap();
    }
    let cache = |args: &[&str]| {
        backroom()
            .arg("cache")
            .args(args)
            .arg("--dir")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let status = cache(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    let said = text(&status);
    assert!(
        said.contains("warehouse@127.0.0.1_8080: 1 pending, 1 refused"),
        "{said}"
    );
    assert!(said.contains("Z-99 is not in ST-000001"), "{said}");

    let refused = cache(&["clear"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("warehouse@127.0.0.1_8080 (1 pending)"),
        "{}",
        text(&refused)
    );
    assert!(path.exists(), "nothing is removed");
    // Another server's caches only: this one stays.
    let other = cache(&["clear", "--server", "http://10.0.0.9:8080"]);
    assert!(other.status.success(), "{}", text(&other));
    assert!(path.exists());

    let cleared = cache(&["clear", "--discard-pending"]);
    assert!(cleared.status.success(), "{}", text(&cleared));
    assert!(!path.exists());
    assert!(text(&cache(&["status"])).contains("none"));
}

#[test]
fn offline_start_without_a_kept_session_says_what_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let out = backroom()
        .args(["console", "--server", "http://127.0.0.1:9", "--offline"])
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("BACKROOM_CACHE_DIR", home.path().join("local"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("--offline needs a session kept from an earlier start"),
        "{}",
        text(&out)
    );
}
