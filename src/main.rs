//! The `backroom` binary: wiring only. Each subcommand puts library pieces together.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;

use backroom::api::Secret;
use backroom::client::{Client, LocalCache, TokenStore};
use backroom::console::app::App;
use backroom::console::config;
use backroom::console::cue::{AudioEnv, CuePlayer, Speaker};
use backroom::console::keymap::Keymap;
use backroom::console::label_printer::LabelPrinter;
use backroom::console::run::{Runner, run_terminal};
use backroom::console::scan_input::ScanInput;
use backroom::console::theme::Theme;
use backroom::domain::role::Role;
use backroom::domain::user::check_new_password;
use backroom::server::order_import::{
    ImportOrders, ImportOutcome, Imported, check_csv_orders, import_orders,
};
use backroom::server::rules_diff::{Rehearsed, rehearse_orders, replay_open_orders};
use backroom::server::user_admin::UserAdmin;
use backroom::server::{
    AppState, ServerConfig, built_in_rules, load_rules, serve, shutdown_signal, watch_rules,
};
use backroom::store::seed::{DEMO_USERS, demo_password};
use backroom::store::{NewOrder, Store, StoreError};

#[derive(Parser)]
#[command(
    name = "backroom",
    version,
    about = "The back room of an online shop: REST server and keyboard-driven console"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the REST server over a SQLite database file (created and migrated if new).
    Serve(ServeArgs),
    /// Open the console against a running server: sign in, then work the order queue and products.
    Console(ConsoleArgs),
    /// Try it out: a server on sample data in a temp dir and the console signed in as admin.
    /// Quitting the console stops the server and removes the files (unless --keep).
    Demo(DemoArgs),
    /// Administer a database file directly (works without a running server, e.g. for the first admin).
    Admin(AdminArgs),
    /// Routing rules: check a rules file against the open orders of a database.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Import data from files into a database.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The console's local cache on this machine: changes waiting to reach a server, and
    /// those a server refused.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Say what scans mean, one JSON object per line: kind, GTIN, each GS1 element, or why
    /// the scan is invalid. For setting up scanners and label printers. Exits 1 if any scan
    /// is invalid.
    Barcode {
        /// Scans as the scanner sends them (GS as 0x1D or a stand-in such as `<GS>`); `-`
        /// reads one scan per line from standard input.
        #[arg(required = true, value_name = "DATA")]
        scans: Vec<String>,
        /// Config file with a [scanner] table (default: ~/.config/backroom/config.toml).
        #[arg(long, env = "BACKROOM_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Each cache (user@server): changes pending and refused, with the refusals' reasons.
    Status {
        /// Where the caches are (default: the user's cache directory).
        #[arg(long, env = "BACKROOM_CACHE_DIR")]
        dir: Option<PathBuf>,
    },
    /// Removes the caches (or only those for --server). Refused while changes are pending,
    /// since they would never reach the server, unless --discard-pending.
    Clear {
        #[arg(long, env = "BACKROOM_CACHE_DIR")]
        dir: Option<PathBuf>,
        /// Only the caches for this server (as in `console --server`).
        #[arg(long)]
        server: Option<String>,
        /// Throw away changes not yet sent.
        #[arg(long)]
        discard_pending: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import orders from CSV (one row per order line; see README). Every row is checked
    /// first; if any is bad, nothing is imported and the bad rows are listed.
    Orders {
        file: PathBuf,
        /// SQLite database file.
        #[arg(long, env = "BACKROOM_DB")]
        db: PathBuf,
        /// Import the good orders and write the bad ones (with the reason) to the rejects file.
        #[arg(long)]
        skip_bad: bool,
        /// Where --skip-bad writes bad rows (default: FILE with .rejects.csv).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Routing rules file (default: the built-in rules).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Replay the rules against the stored open orders (or the orders of a CSV file) and
    /// print what would change. Changes nothing.
    Test {
        /// SQLite database file (its catalogue, stock and customers are used).
        #[arg(long, env = "BACKROOM_DB")]
        db: PathBuf,
        /// Rules file to test (default: the built-in rules).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Route the orders of this CSV file (import format) instead of the stored ones.
        #[arg(long, value_name = "FILE.csv")]
        orders: Option<PathBuf>,
        /// With --orders: the rules to compare with (default: the built-in rules).
        #[arg(long, value_name = "RULES.toml", requires = "orders")]
        against: Option<PathBuf>,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// SQLite database file.
    #[arg(long, env = "BACKROOM_DB")]
    db: PathBuf,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, env = "BACKROOM_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Routing rules file (default: the built-in rules). Reloaded when it changes or on
    /// SIGHUP; a broken edit is refused and the rules in force stay.
    #[arg(long, env = "BACKROOM_RULES")]
    rules: Option<PathBuf>,
    /// Shared secret for a carrier's tracking webhook, as CARRIER=SECRET (repeat per carrier;
    /// in the variable, separate with commas). Carriers without one are refused.
    #[arg(
        long = "carrier-secret",
        value_name = "CARRIER=SECRET",
        env = "BACKROOM_CARRIER_SECRETS",
        value_delimiter = ','
    )]
    carrier_secrets: Vec<String>,
    /// How long a sign-in lasts, in hours.
    #[arg(long, env = "BACKROOM_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=8760))]
    session_hours: u64,
    /// A reverse proxy whose X-Forwarded-For is believed (repeat per proxy; in the variable,
    /// separate with commas). From any other address the header is ignored.
    #[arg(
        long = "trusted-proxy",
        value_name = "ADDRESS",
        env = "BACKROOM_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Event streams one user may hold open at once.
    #[arg(long, env = "BACKROOM_MAX_STREAMS_PER_USER", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_streams_per_user: u64,
}

/// Which keymap and theme to use; flags beat BACKROOM_* variables, which beat the config file.
#[derive(Args)]
struct LookArgs {
    /// Keymap: default, vim, rf, or a path to a .toml file.
    #[arg(long, env = "BACKROOM_KEYMAP")]
    keymap: Option<String>,
    /// Theme: default, light, high-contrast, mono, or a path. NO_COLOR forces mono.
    #[arg(long, env = "BACKROOM_THEME")]
    theme: Option<String>,
    /// Config file (default: ~/.config/backroom/config.toml).
    #[arg(long, env = "BACKROOM_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ConsoleArgs {
    /// Server URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "BACKROOM_SERVER")]
    server: Option<String>,
    /// User name to preselect on the sign-in screen.
    #[arg(long, env = "BACKROOM_USER")]
    user: Option<String>,
    /// Start from this terminal's cache alone, without asking the server first (a kept
    /// session is needed); changes are kept and sent when the server is reachable.
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    look: LookArgs,
}

#[derive(Args)]
struct DemoArgs {
    /// Keep the database and log in DIR (created if missing; reused if it has demo data).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Only serve: print the URL and the demo users, and serve until Ctrl-C.
    #[arg(long)]
    serve_only: bool,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Orders per minute the simulated storefront posts through the API (0: none).
    #[arg(long, default_value_t = 4.0)]
    order_rate: f64,
    #[command(flatten)]
    look: LookArgs,
}

#[derive(Args)]
struct AdminArgs {
    /// SQLite database file (created if new).
    #[arg(long, env = "BACKROOM_DB")]
    db: PathBuf,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is asked for (twice) or read from stdin.
    Add {
        username: String,
        /// The user's role (the role table in the README says what each may do).
        #[arg(long, value_parser = role_names(), ignore_case = true)]
        role: String,
        /// Full name shown in the console (default: the user name).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of stdin instead of asking.
        #[arg(long)]
        password_stdin: bool,
        /// A channel this user may post orders for (repeatable, or comma-separated);
        /// integration users should always be bound.
        #[arg(long = "channel")]
        channels: Vec<String>,
    },
    /// List users with role and state.
    List,
    /// Disable a user: they cannot sign in and their sessions end.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
    /// Change a user's role.
    SetRole {
        username: String,
        /// The new role (the role table in the README says what each may do).
        #[arg(value_parser = role_names(), ignore_case = true)]
        role: String,
    },
    /// Set a new password; the user's sessions end.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Bind a user to the channels it may post orders for, e.g. `web,marketplace`; a
    /// repeated channel order number is recognised within these channels only.
    SetChannels { username: String, channels: String },
}

/// Every role, from the code, for help texts and for refusing a wrong name early.
fn role_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(Role::names())
}

fn main() -> std::process::ExitCode {
    // The error chain, one line, with no backtrace: these are messages for people.
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn cache_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    dir.or_else(LocalCache::user_cache_dir)
        .ok_or_else(|| anyhow!("no cache directory: pass --dir or set BACKROOM_CACHE_DIR"))
}

fn run_cache(command: CacheCommand) -> Result<()> {
    match command {
        CacheCommand::Status { dir } => {
            let dir = cache_dir(dir)?;
            println!("caches in {}", dir.display());
            let files = LocalCache::files(&dir);
            if files.is_empty() {
                println!("  none");
            }
            for path in files {
                let name = path.file_stem().unwrap_or_default().to_string_lossy();
                let outbox = LocalCache::open(&path)?;
                let counts = outbox.counts()?;
                println!(
                    "  {name}: {} pending, {} refused",
                    counts.pending, counts.attention
                );
                for aside in outbox.attention()? {
                    let change = serde_json::to_string(&aside.mutation.change)?;
                    let change: String = change.chars().take(100).collect();
                    println!(
                        "    refused {}: {} — {change}",
                        aside.set_aside, aside.reason
                    );
                }
            }
            Ok(())
        }
        CacheCommand::Clear {
            dir,
            server,
            discard_pending,
        } => {
            let dir = cache_dir(dir)?;
            let files: Vec<PathBuf> = LocalCache::files(&dir)
                .into_iter()
                .filter(|path| {
                    server
                        .as_deref()
                        .is_none_or(|server| LocalCache::is_for_server(path, server))
                })
                .collect();
            let mut waiting = Vec::new();
            for path in &files {
                let pending = LocalCache::open(path)?.counts()?.pending;
                if pending > 0 {
                    waiting.push(format!(
                        "{} ({pending} pending)",
                        path.file_stem().unwrap_or_default().to_string_lossy()
                    ));
                }
            }
            if !waiting.is_empty() && !discard_pending {
                bail!(
                    "not cleared: changes have not reached the server yet in {}. Start the console to send them, or pass --discard-pending to throw them away",
                    waiting.join(", ")
                );
            }
            for path in &files {
                LocalCache::remove(path)?;
            }
            println!("cleared {} cache(s) in {}", files.len(), dir.display());
            Ok(())
        }
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => {
            log_to_stderr();
            runtime.block_on(run_serve(args))
        }
        Command::Console(args) => runtime.block_on(run_console(args)),
        Command::Demo(args) => runtime.block_on(run_demo(args)),
        Command::Admin(args) => run_admin(args),
        Command::Cache(command) => run_cache(command),
        Command::Rules(RulesCommand::Test {
            db,
            file,
            orders: None,
            ..
        }) => run_rules_test(&db, file.as_deref()),
        Command::Rules(RulesCommand::Test {
            db,
            file,
            orders: Some(orders),
            against,
        }) => run_rules_test_csv(&db, file.as_deref(), &orders, against.as_deref()),
        Command::Barcode { scans, config } => {
            if !run_barcode(&scans, config.as_deref())? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Import(ImportCommand::Orders {
            file,
            db,
            skip_bad,
            rejects,
            rules,
        }) => run_import_orders(&file, &db, skip_bad, rejects.as_deref(), rules.as_deref()),
    }
}

fn log_to_stderr() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a person at a terminal, not in a log file or a pipe.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

/// The console owns the screen, so its log goes to a file.
fn log_to_file(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating log directory {}", dir.display()))?;
    let path = dir.join("console.log");
    // Errors quoted in the log can hold customers' names and addresses.
    let file = backroom::server::order_import::private_file(
        std::fs::OpenOptions::new().create(true).append(true),
    )
    .open(&path)
    .with_context(|| format!("opening log file {}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .init();
    Ok(path)
}

async fn run_serve(args: ServeArgs) -> Result<()> {
    let store = Store::open(&args.db)?;
    let rules = match &args.rules {
        Some(path) => load_rules(path)?,
        None => built_in_rules(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let config = ServerConfig {
        session_ttl: Duration::from_secs(args.session_hours * 3600),
        rules,
        carrier_secrets: carrier_secrets(&args.carrier_secrets)?,
        trusted_proxies: args.trusted_proxies.clone(),
        max_streams_per_user: usize::try_from(args.max_streams_per_user)?,
        ..ServerConfig::default()
    };
    let state = AppState::new(store, config);
    let stop = shutdown_signal();
    if let Some(path) = args.rules.clone() {
        tokio::spawn(watch_rules(state.clone(), path));
    }
    tracing::info!(db = %args.db.display(), addr = %listener.local_addr()?, "serving");
    println!(
        "backroom serving {} on http://{}",
        args.db.display(),
        listener.local_addr()?
    );
    serve(listener, state, stop).await?;
    Ok(())
}

fn run_import_orders(
    file: &Path,
    db: &Path,
    skip_bad: bool,
    rejects: Option<&Path>,
    rules: Option<&Path>,
) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let rules = match rules {
        Some(path) => load_rules(path)?,
        None => built_in_rules(),
    };
    let store = Store::open(db)?;
    let import = ImportOrders {
        file,
        text: &text,
        skip_bad,
        rejects,
    };
    let Imported {
        created,
        duplicates,
        rejects,
    } = match import_orders(&store, &rules, &import, Timestamp::now())? {
        ImportOutcome::Imported(imported) => imported,
        ImportOutcome::Refused { errors } => {
            for e in &errors {
                eprintln!("{}:{}: {}", file.display(), e.line, e.message);
            }
            bail!(
                "{} problem(s) in {}; nothing was imported (fix them, or use --skip-bad)",
                errors.len(),
                file.display()
            );
        }
    };
    println!(
        "imported {created} order(s) into {}; {duplicates} had been imported before and were skipped",
        db.display()
    );
    if let Some(rejects) = rejects {
        let rejects = rejects?;
        println!(
            "{} rejected row(s) written to {} with the reason",
            rejects.rows,
            rejects.path.display()
        );
    }
    Ok(())
}

fn carrier_secrets(pairs: &[String]) -> Result<std::collections::HashMap<String, Secret>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((carrier, secret)) if !carrier.trim().is_empty() && secret.trim().len() >= 16 => {
                Ok((carrier.trim().to_string(), Secret::new(secret.trim())))
            }
            _ => bail!("--carrier-secret wants CARRIER=SECRET with a secret of 16 characters or more, not {pair:?}"),
        })
        .collect()
}

fn run_rules_test(db: &Path, file: Option<&Path>) -> Result<()> {
    let rules = match file {
        Some(path) => load_rules(path)?,
        None => built_in_rules(),
    };
    let store = Store::open_existing(db)?;
    let diff = replay_open_orders(&store, &rules)?;
    for r in &diff.rerouted {
        let (o, d) = (&r.order, &r.now);
        println!(
            "{} ({}): rule {:?} → {:?}, queue {} → {}, priority {} → {} ({})",
            o.number,
            o.status,
            o.rule.as_deref().unwrap_or("none"),
            d.rule,
            o.queue.as_deref().unwrap_or("none"),
            d.queue.as_str(),
            o.priority,
            d.priority.as_str(),
            d.why
        );
    }
    println!(
        "{} of {} open orders would be routed differently; nothing was changed.",
        diff.rerouted.len(),
        diff.open
    );
    Ok(())
}

/// Routes the orders of a CSV file under two rule sets, in transactions that are rolled
/// back, and prints where each would go and what differs.
fn run_rules_test_csv(
    db: &Path,
    file: Option<&Path>,
    csv: &Path,
    against: Option<&Path>,
) -> Result<()> {
    let load = |path: Option<&Path>| match path {
        Some(path) => load_rules(path),
        None => Ok(built_in_rules()),
    };
    let (proposed, baseline) = (load(file)?, load(against)?);
    let text =
        std::fs::read_to_string(csv).with_context(|| format!("cannot read {}", csv.display()))?;
    let store = Store::open_existing(db)?;
    let checked = check_csv_orders(&store, &text)?;
    for e in &checked.errors {
        println!("{}:{}: {} (not routed)", csv.display(), e.line, e.message);
    }
    let orders: Vec<NewOrder> = checked.good.iter().map(|(o, _)| o.clone()).collect();
    let diff = rehearse_orders(&store, &orders, &proposed, &baseline, Timestamp::now())?;
    for ((order, lines), rehearsed) in checked.good.iter().zip(&diff.orders) {
        let label = match &order.channel_order_no {
            Some(no) => format!("{} {no} (line {})", order.channel, lines[0]),
            None => format!("{} order at line {}", order.channel, lines[0]),
        };
        match rehearsed {
            Rehearsed::Same { route, why } => println!("{label}: {route} ({why})"),
            Rehearsed::Changed { from, to, why } => println!("{label}: {from} → {to} ({why})"),
            Rehearsed::AlreadyStored(number) => println!("{label}: already stored as {number}"),
        }
    }
    println!(
        "{} of {} order(s) in {} would be routed differently than under {}; nothing was stored.",
        diff.changed,
        orders.len(),
        csv.display(),
        against.map_or("the built-in rules".to_string(), |p| p
            .display()
            .to_string()),
    );
    Ok(())
}

/// Prints a report per scan; says whether every scan was valid.
fn run_barcode(scans: &[String], config: Option<&Path>) -> Result<bool> {
    use backroom::domain::barcode::{ScanReport, read_scan};
    use std::io::{BufRead, Write};
    let settings = config::load(config)?.scanner;
    let year = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .year();
    let mut out = std::io::stdout().lock();
    let mut all_valid = true;
    let mut report = |input: &str| -> Result<()> {
        let scan = read_scan(input, &settings, i32::from(year));
        let report = ScanReport::new(input, &scan);
        all_valid &= report.valid;
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
        Ok(())
    };
    if scans == ["-"] {
        for line in std::io::stdin().lock().lines() {
            report(&line.context("reading scans from standard input")?)?;
        }
    } else {
        for scan in scans {
            report(scan)?;
        }
    }
    Ok(all_valid)
}

/// The sound-cue player, started before the console takes the screen so that a theme's
/// unreadable WAV file is reported as an error. The bell stands in over SSH or without a
/// sound device.
fn start_cues(theme: &Theme) -> Result<CuePlayer> {
    Ok(CuePlayer::start(
        &theme.sounds,
        AudioEnv::from_env(),
        Speaker::default(),
        std::io::stdout(),
    )?)
}

/// Scanner, pick and pack settings from the config file (checked when it was loaded).
fn fit_for_the_floor(
    app: &mut App,
    file: &config::ConfigFile,
) -> Result<(ScanInput, LabelPrinter)> {
    app.scanner = file.scanner.clone();
    app.pick_mode = file.picking.mode.clone();
    if let Some(packages) = &file.packing.packages {
        app.packages = packages.clone();
    }
    let scanner = ScanInput::from_settings(&file.scanner.keyboard).map_err(|e| anyhow!(e))?;
    let printer = LabelPrinter::from_settings(&file.printer).map_err(|e| anyhow!(e))?;
    Ok((scanner, printer))
}

/// Keymap and theme, loaded before the console takes the screen so errors can be printed.
fn load_look(look: &LookArgs) -> Result<(config::ConfigFile, Keymap, Theme)> {
    let file = config::load(look.config.as_deref())?;
    let user_dir = config::config_dir();
    let no_color = std::env::var_os("NO_COLOR");
    let (keymap_name, theme_name) = config::chosen_look(
        &file,
        look.keymap.as_deref(),
        look.theme.as_deref(),
        no_color.as_deref(),
    );
    let keymap = Keymap::load(&keymap_name, user_dir.as_deref())?;
    let theme = Theme::load(&theme_name, user_dir.as_deref())?;
    Ok((file, keymap, theme))
}

async fn run_console(args: ConsoleArgs) -> Result<()> {
    let (file, keymap, theme) = load_look(&args.look)?;
    let server = args
        .server
        .or(file.server.clone())
        .ok_or_else(|| anyhow!("no server: pass --server URL, set BACKROOM_SERVER, or put server = \"…\" in the config file"))?;
    let user = args.user.or(file.user.clone());
    let client = Client::new(&server)?;
    if let Some(dir) = config::log_dir() {
        log_to_file(&dir)?;
    }
    let tokens = TokenStore::in_user_cache();
    let cues = start_cues(&theme)?;
    let mut app = App::new(keymap, theme, client.base_url(), user.as_deref());
    let (scanner, printer) = fit_for_the_floor(&mut app, &file)?;
    let mut runner_client = client.clone();
    let mut initial = vec![backroom::console::app::Effect::CheckHealth];
    let mut resumed = None;
    // Resume a kept session if it is for the same user and the server still accepts it.
    let kept = tokens.as_ref().and_then(|t| t.load(client.base_url()));
    let kept = kept.filter(|k| {
        user.as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(&k.username))
    });
    let cache_dir = cache_dir(std::env::var_os("BACKROOM_CACHE_DIR").map(PathBuf::from)).ok();
    if args.offline && kept.is_none() {
        bail!(
            "--offline needs a session kept from an earlier start on this terminal for {}; sign in once while the server is reachable",
            client.base_url()
        );
    }
    if let Some(kept) = kept {
        let with_token = client.clone().with_token(kept.token.expose());
        // Who signed in, as kept last time: the first frame needs no answer from the
        // server. A session the server has ended sends the console back to sign-in.
        let remembered = cache_dir.as_ref().and_then(|dir| {
            let path = LocalCache::path_for(dir, client.base_url(), &kept.username);
            let cache = LocalCache::open(&path).ok()?;
            let me = cache.signed_in().ok()??;
            serde_json::from_str::<backroom::api::Me>(&me).ok()
        });
        // Only the server's answer is new; what came from the cache is there already, and
        // writing it back would put a durable commit on the way to the first frame.
        let (me, from_server) = match remembered {
            Some(me) => (Some(me), false),
            None if args.offline => bail!(
                "--offline: nothing is cached for {} on {} yet; start once while the server is reachable",
                kept.username,
                client.base_url()
            ),
            None => match with_token.me().await {
                Ok(me) => (Some(me), true),
                Err(e) => {
                    tracing::info!(error = %e, "kept session not usable; signing in");
                    (None, false)
                }
            },
        };
        if let Some(me) = me {
            resumed = Some((me.clone(), from_server));
            initial = app.signed_in(me);
            runner_client = with_token;
        }
    }
    let mut runner = Runner::new(runner_client, tokens).with_cues(cues);
    if let Some(dir) = cache_dir {
        runner = runner.with_cache_dir(dir);
    }
    if let Some((me, from_server)) = &resumed {
        runner.resume(&me.username);
        if *from_server {
            runner.remember_signed_in(me);
        }
    }
    run_terminal(app, runner.with_printer(printer), initial, scanner).await?;
    Ok(())
}

async fn run_demo(args: DemoArgs) -> Result<()> {
    let (file, keymap, theme) = load_look(&args.look)?;
    let temp = match &args.keep {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("backroom-demo-")
                .tempdir()?,
        ),
    };
    let dir = match (&args.keep, &temp) {
        (Some(keep), _) => {
            std::fs::create_dir_all(keep)
                .with_context(|| format!("creating {}", keep.display()))?;
            keep.clone()
        }
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => bail!("no directory for the demo"),
    };
    if args.serve_only {
        log_to_stderr();
    } else {
        log_to_file(&dir)?;
    }
    let store = Store::open(&dir.join("demo.db"))?;
    match store.seed_sample_data(Timestamp::now()) {
        Ok(summary) => tracing::info!(?summary, "seeded sample shop"),
        // A kept directory from an earlier demo already has its data.
        Err(StoreError::Conflict(_)) if args.keep.is_some() => {
            tracing::info!("reusing kept demo data")
        }
        Err(e) => return Err(e.into()),
    }
    let catalogue: Vec<(String, i64)> = store
        .search_products(&backroom::store::ProductSearch {
            limit: 500,
            ..Default::default()
        })?
        .into_iter()
        .map(|p| (p.sku, p.price.minor))
        .collect();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    // Webhook secrets for the carriers the built-in rules use, new for every demo.
    let secrets: Vec<(String, String)> = ["dhl", "dhl-express", "black-cat"]
        .iter()
        .map(|c| {
            (
                c.to_string(),
                backroom::store::hex(&rand::random::<[u8; 16]>()),
            )
        })
        .collect();
    let config = ServerConfig {
        carrier_secrets: secrets
            .iter()
            .map(|(c, s)| (c.clone(), Secret::new(s.clone())))
            .collect(),
        ..ServerConfig::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, AppState::new(store, config), async {
        let _ = stopped.await;
    }));

    let shop = if args.order_rate > 0.0 {
        let client = Client::new(&url)?;
        let login = client
            .login(
                Role::Integration.as_str(),
                &demo_password(Role::Integration),
            )
            .await?;
        let every = Duration::from_secs_f64(60.0 / args.order_rate.min(600.0));
        Some(tokio::spawn(backroom::storefront::run(
            client.with_token(login.token.expose()),
            catalogue,
            every,
            None,
        )))
    } else {
        None
    };
    if args.serve_only {
        let stop_signal = shutdown_signal();
        println!("backroom demo serving on {url}");
        println!("database: {}", dir.join("demo.db").display());
        println!("demo users (user name / password):");
        for u in DEMO_USERS {
            println!(
                "  {:<11} {:<22} {}",
                u.role.as_str(),
                demo_password(u.role),
                u.display_name
            );
        }
        println!("carrier webhook secrets (X-Carrier-Secret):");
        for (carrier, secret) in &secrets {
            println!("  {carrier:<11} {secret}");
        }
        println!("console: backroom console --server {url}");
        println!("Ctrl-C stops the server.");
        stop_signal.await;
    } else {
        let client = Client::new(&url)?;
        let login = client
            .login(Role::Admin.as_str(), &demo_password(Role::Admin))
            .await?;
        let cues = start_cues(&theme)?;
        let mut app = App::new(keymap, theme, client.base_url(), Some(Role::Admin.as_str()));
        let (scanner, printer) = fit_for_the_floor(&mut app, &file)?;
        let initial = app.signed_in(login.user);
        // The demo keeps no token on disk: it must leave nothing behind.
        let runner = Runner::new(client.with_token(login.token.expose()), None)
            .with_cues(cues)
            .with_printer(printer);
        let ended = run_terminal(app, runner, initial, scanner).await;
        tracing::info!(?ended, "console closed");
    }
    if let Some(shop) = shop {
        shop.abort();
    }
    let _ = stop.send(());
    server.await??;
    tracing::info!("demo server stopped");
    drop(temp);
    Ok(())
}

fn run_admin(args: AdminArgs) -> Result<()> {
    let store = Store::open(&args.db)?;
    let admin = UserAdmin::new(&store, "admin-cli", Timestamp::now());
    let AdminCommand::User(command) = args.command;
    match command {
        UserCommand::Add {
            username,
            role,
            name,
            password_stdin,
            channels,
        } => {
            let account = admin.check_new(&username, &role, name, &channels)?;
            let password =
                read_new_password(password_stdin, &account.username, &account.display_name)?;
            println!("{}", admin.add(&account, &password)?);
        }
        UserCommand::List => {
            for line in admin.list(&args.db)? {
                println!("{line}");
            }
        }
        UserCommand::Disable { username } => println!("{}", admin.disable(&username)?),
        UserCommand::Enable { username } => println!("{}", admin.enable(&username)?),
        UserCommand::SetRole { username, role } => {
            println!("{}", admin.set_role(&username, &role)?);
        }
        UserCommand::SetChannels { username, channels } => {
            println!("{}", admin.set_channels(&username, &channels)?);
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let user = admin.existing(&username)?;
            let password = read_new_password(password_stdin, &user.username, &user.display_name)?;
            println!("{}", admin.reset_password(&user.username, &password)?);
        }
    }
    Ok(())
}

/// From stdin's first line, or asked twice on the terminal without echo; refused (before
/// anything is written) unless it meets the rules for a new password of this user.
fn read_new_password(from_stdin: bool, username: &str, display_name: &str) -> Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        let first = prompt_hidden("New password: ")?;
        let second = prompt_hidden("Repeat it: ")?;
        if first != second {
            bail!("the passwords differ; nothing changed");
        }
        first
    };
    check_new_password(&password, username, display_name)?;
    Ok(password)
}

fn prompt_hidden(prompt: &str) -> Result<String> {
    Ok(rpassword::prompt_password(prompt)?)
}
