//! The routing rules file: loaded at start (a broken file stops the server), and reloaded
//! when it changes or on SIGHUP. A broken edit is refused with path:line and the rules in
//! force stay.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use jiff::tz::TimeZone;

use super::AppState;
use crate::domain::routing::RoutingRules;
use crate::domain::settings_file::{SettingsError, SettingsSource};

/// How often to look at the file's modification time.
const CHECK_EVERY: Duration = Duration::from_secs(2);

pub fn load_rules(path: &Path) -> Result<RoutingRules, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|e| SettingsError {
        origin: path.display().to_string(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })?;
    let source = SettingsSource {
        origin: path.display().to_string(),
        text,
    };
    let mut rules = RoutingRules::parse(&source)?;
    rules.intake.ship_by.tz = match rules.intake.timezone.as_deref() {
        Some(name) => TimeZone::get(name).map_err(|e| {
            source.error(format!(
                "[intake] timezone {name:?} is not a known time zone: {e}"
            ))
        })?,
        None => local_zone(),
    };
    rules.service.set_zone(rules.intake.ship_by.tz.clone());
    Ok(rules)
}

/// The rules that ship in the binary, with their cut-offs in the server's time zone.
pub fn built_in_rules() -> RoutingRules {
    let mut rules = RoutingRules::default_rules();
    rules.intake.ship_by.tz = local_zone();
    rules.service.set_zone(local_zone());
    rules
}

fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reloads `path` into `state` whenever it changes or SIGHUP arrives, until the server
/// stops. The SIGHUP handler is installed when this is called, not when the returned future
/// first runs, so a SIGHUP right after start-up cannot kill the server.
pub fn watch_rules(
    state: AppState,
    path: PathBuf,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    async move {
        let mut seen = modified(&path);
        let mut stopping = state.stopping.subscribe();
        loop {
            #[cfg(unix)]
            let hup = async {
                match hangup.as_mut() {
                    Some(h) => {
                        h.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let hup = std::future::pending::<()>();
            let asked = tokio::select! {
                _ = hup => true,
                _ = tokio::time::sleep(CHECK_EVERY) => false,
                _ = stopping.changed() => return,
            };
            let now = modified(&path);
            if !asked && now == seen {
                continue;
            }
            seen = now;
            let (state, file) = (state.clone(), path.clone());
            if let Err(e) = tokio::task::spawn_blocking(move || reload_rules(&state, &file)).await {
                tracing::error!(error = %e, "routing rules reload failed");
            }
        }
    }
}

/// Reads the rules file and puts it in force; a broken file changes nothing. Returns the
/// number of rules now in force.
pub fn reload_rules(state: &AppState, path: &Path) -> Result<usize, SettingsError> {
    match load_rules(path) {
        Ok(rules) => {
            let count = rules.rules.len();
            state.replace_rules(rules);
            tracing::info!(path = %path.display(), rules = count, "routing rules reloaded");
            Ok(count)
        }
        Err(e) => {
            tracing::error!("routing rules refused, keeping the rules in force: {e}");
            Err(e)
        }
    }
}
