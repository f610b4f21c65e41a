//! The REST server (axum). Routes per resource; every route checks its permission.

mod audit;
pub mod auth;
mod blind;
mod catalog;
mod changes;
mod clock;
mod contract;
mod edge;
mod error;
mod events;
mod extract;
mod intake;
mod intake_line;
mod inventory;
mod listener;
mod location_codes;
mod once;
pub mod order_import;
mod orders;
mod packing;
mod password_checks;
mod picking;
mod readiness;
mod recent_answers;
mod replenishment;
mod reply_book;
mod returns;
pub mod rules_diff;
mod rules_file;
mod service_sweep;
mod shipping_note;
mod sign_in_throttle;
mod stocktake;
mod tickets;
mod tracking;
pub mod user_admin;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::net::TcpListener;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use clock::Clock;
pub use error::ApiError;
pub use extract::check_sent;
pub use intake::order_from_wire;
pub use rules_file::{built_in_rules, load_rules, reload_rules, watch_rules};

use std::sync::RwLock;

use crate::api::Health;
use crate::domain::routing::RoutingRules;
use crate::domain::sign_in::{AddressBudget, LockoutPolicy};
use crate::store::{Store, StoreError};

/// Sign-ins waiting for a password check beyond those being checked; more are refused
/// with 503.
const PASSWORD_CHECKS_WAITING: usize = 64;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where orders go, and (`intake`) price tolerance, stock policy and ship-by cut-offs.
    pub rules: RoutingRules,
    /// Shared secret per carrier for its tracking webhook; a carrier without one is refused.
    pub carrier_secrets: std::collections::HashMap<String, crate::api::Secret>,
    /// How long a sign-in lasts.
    pub session_ttl: Duration,
    /// Failed sign-ins in a row before a user name is locked out.
    pub free_login_attempts: u32,
    /// First lockout; doubles with each further failure.
    pub login_lockout: Duration,
    /// Failed sign-ins one client address may make before it is refused without a check.
    pub address_budget: AddressBudget,
    /// Proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`); from any other
    /// address the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Event streams one user may hold open at once.
    pub max_streams_per_user: usize,
    /// What "now" is: the system clock, or one a test sets (SLA deadlines, escalation).
    pub clock: Clock,
    /// While the database cannot be written, how often a probe tries (see `readiness`);
    /// also the `Retry-After` of the 503s meanwhile.
    pub write_probe_interval: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            rules: built_in_rules(),
            carrier_secrets: Default::default(),
            session_ttl: Duration::from_secs(12 * 3600),
            free_login_attempts: 5,
            login_lockout: Duration::from_secs(30),
            address_budget: AddressBudget {
                most: 30,
                regain_one: Duration::from_secs(20),
            },
            trusted_proxies: Vec::new(),
            max_streams_per_user: 200,
            clock: Clock::System,
            write_probe_interval: readiness::PROBE_EVERY,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    store: Store,
    config: Arc<ServerConfig>,
    throttle: Arc<sign_in_throttle::SignInThrottle>,
    /// Argon2 checks, on a bounded pool of their own.
    password_checks: Arc<password_checks::PasswordChecks>,
    /// Swapped whole when the rules file is reloaded.
    rules: Arc<RwLock<Arc<RoutingRules>>>,
    /// Rung after every commit that wrote events; event streams wake on it.
    bell: Arc<tokio::sync::watch::Sender<u64>>,
    /// Set when the server stops, so that event streams end and shutdown can finish.
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Pages of the order queue as last answered, until the next commit.
    order_pages: Arc<recent_answers::RecentAnswers<orders::OrderPageKey>>,
    /// New orders are placed by one thread, one after another.
    intake: intake_line::IntakeLine,
    /// Event streams open per user id.
    streams: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    /// Event streams all users together may hold: half the connection cap.
    most_streams: usize,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> AppState {
        let throttle = Arc::new(sign_in_throttle::SignInThrottle::new(
            LockoutPolicy {
                free_attempts: config.free_login_attempts.max(1),
                first_lock: config.login_lockout,
            },
            config.address_budget,
        ));
        let rules = Arc::new(RwLock::new(Arc::new(config.rules.clone())));
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let password_checks = Arc::new(password_checks::PasswordChecks::start(
            cores,
            PASSWORD_CHECKS_WAITING,
        ));
        AppState {
            intake: intake_line::IntakeLine::start(store.clone()),
            store,
            config: Arc::new(config),
            throttle,
            password_checks,
            rules,
            bell: Arc::new(tokio::sync::watch::channel(0).0),
            stopping: Arc::new(tokio::sync::watch::channel(false).0),
            order_pages: Arc::default(),
            streams: Arc::default(),
            most_streams: (listener::connection_cap() / 2).max(1),
        }
    }

    /// Password checks made so far (a test reads it to know that none was made).
    pub fn password_checks_done(&self) -> u64 {
        self.password_checks.checks_done()
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.config.clock.now()
    }

    /// Wakes event streams: new events are in the store.
    fn ring(&self) {
        self.bell.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The routing rules in force now.
    pub fn rules(&self) -> Arc<RoutingRules> {
        self.rules.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Puts new rules in force for every order from now on.
    pub fn replace_rules(&self, rules: RoutingRules) {
        *self.rules.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rules);
    }
}

/// Runs a store call on a blocking thread: SQLite calls must not stall the async workers.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    // Inside a batch of changes, a write does not wait for its own commit: the batch waits
    // for all of its commits at once.
    let batch = changes::BATCH_COMMITS.try_with(Clone::clone).ok();
    tokio::task::spawn_blocking(move || match batch {
        Some(later) => store.committing_later(&later, f),
        None => f(&store),
    })
    .await
    .map_err(|e| ApiError::Internal(format!("store task failed: {e}")))?
    .map_err(|e| readiness::unavailable_if_unwritable(state, ApiError::from(e)))
}

/// Places an order on the intake line; inside a batch of changes, as any write there is.
async fn placing<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    if changes::BATCH_COMMITS.try_with(|_| ()).is_ok() {
        blocking(state, f).await
    } else {
        state
            .intake
            .place(f)
            .await
            .map_err(|e| readiness::unavailable_if_unwritable(state, e))
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    quick_routes()
        .route_layer(edge::timeout(edge::REQUEST_TIMEOUT))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(changes::apply_changes))
                .route_layer(edge::timeout(edge::BATCH_TIMEOUT)),
        )
        // An event stream lasts as long as its reader wants it.
        .merge(OpenApiRouter::new().routes(routes!(events::stream)))
}

/// Every route but the batch and the event stream: answered within the request timeout.
fn quick_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::whoami))
        .routes(routes!(catalog::list_products))
        .routes(routes!(catalog::get_product))
        .routes(routes!(catalog::list_locations))
        .routes(routes!(catalog::catalog_changes))
        .routes(routes!(catalog::list_stock))
        .routes(routes!(orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(intake::create_order))
        .routes(routes!(intake::change_status))
        .routes(routes!(intake::reroute))
        .routes(routes!(audit::list_audit))
        .routes(routes!(tracking::post_event))
        .routes(routes!(shipping_note::shipping_note))
        .routes(routes!(picking::create_list))
        .routes(routes!(picking::claim_list))
        .routes(routes!(picking::list_lists))
        .routes(routes!(picking::get_list))
        .routes(routes!(picking::pick_line))
        .routes(routes!(picking::short_line))
        .routes(routes!(picking::finish_list))
        .routes(routes!(picking::assign_tote))
        .routes(routes!(packing::pack_task))
        .routes(routes!(packing::pack))
        .routes(routes!(packing::shipping_label))
        .routes(routes!(inventory::list_movements))
        .routes(routes!(inventory::move_stock))
        .routes(routes!(inventory::adjust_stock))
        .routes(routes!(inventory::list_receipts, inventory::open_receipt))
        .routes(routes!(inventory::get_receipt))
        .routes(routes!(inventory::receive_item))
        .routes(routes!(inventory::close_receipt))
        .routes(routes!(replenishment::list_alerts))
        .routes(routes!(replenishment::get_alert))
        .routes(routes!(replenishment::request_from_alert))
        .routes(routes!(replenishment::dismiss_alert))
        .routes(routes!(
            replenishment::list_requests,
            replenishment::create_request
        ))
        .routes(routes!(replenishment::get_request))
        .routes(routes!(replenishment::order_request))
        .routes(routes!(replenishment::cancel_request))
        .routes(routes!(stocktake::list, stocktake::create))
        .routes(routes!(stocktake::get))
        .routes(routes!(stocktake::start))
        .routes(routes!(stocktake::count))
        .routes(routes!(stocktake::close))
        .routes(routes!(stocktake::approve))
        .routes(routes!(stocktake::recount))
        .routes(routes!(stocktake::get_report))
        .routes(routes!(tickets::post_message))
        .routes(routes!(tickets::test_auto_reply))
        .routes(routes!(tickets::list_tickets, tickets::open_ticket))
        .routes(routes!(tickets::get_ticket))
        .routes(routes!(tickets::reply))
        .routes(routes!(tickets::note))
        .routes(routes!(tickets::assign))
        .routes(routes!(tickets::escalate))
        .routes(routes!(tickets::set_priority))
        .routes(routes!(tickets::resolve))
        .routes(routes!(tickets::post_csat))
        .routes(routes!(tickets::csat_report))
        .routes(routes!(returns::authorise_return))
        .routes(routes!(returns::get_return))
        .routes(routes!(returns::receive_return))
        .routes(routes!(returns::request_refund))
        .routes(routes!(returns::list_refunds))
        .routes(routes!(returns::approve_refund))
        .routes(routes!(returns::reject_refund))
        .routes(routes!(
            reply_book::get_faq_rules,
            reply_book::put_faq_rules
        ))
        .routes(routes!(
            reply_book::get_canned_replies,
            reply_book::put_canned_replies
        ))
}

/// The OpenAPI document, generated from the route annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api_router().into_openapi();
    doc.info.title = "backroom".into();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc.info.description = Some(
        "Orders, stock and customer service for an online shop. Errors are RFC 9457 problem+json."
            .into(),
    );
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    contract::complete(&mut doc);
    doc
}

/// The API's routes, answering problem+json for a path or method they do not have: also
/// what each change of a batch runs through.
fn api_routes() -> Router<AppState> {
    let (api, _) = api_router().split_for_parts();
    api.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

pub fn router(state: AppState) -> Router {
    let doc = openapi();
    let plain = Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(doc) }),
        )
        .route_layer(edge::timeout(edge::REQUEST_TIMEOUT));
    api_routes().merge(plain).with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    // Healthy means the database answers, not just that the process is up, and that it
    // can be written: a server whose writes fail is no use, however well it reads.
    readiness::writable(&state)?;
    blocking(&state, |s| s.schema_version()).await?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("route {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    warn_of_unbound_integrations(&state);
    tokio::spawn(service_sweep::run(state.clone()));
    tokio::spawn(readiness::run(state.clone()));
    let stopping = state.stopping.clone();
    let trusted_proxies = state.config.trusted_proxies.clone();
    listener::serve(
        listener,
        edge::layered(router(state)),
        trusted_proxies,
        shutdown,
        stopping,
    )
    .await
}

/// Integration users from before channel bindings may post orders for any public channel;
/// an operator should bind them (`backroom admin user set-channels`).
fn warn_of_unbound_integrations(state: &AppState) {
    match state.store.list_users() {
        Ok(users) => {
            for u in users.iter().filter(|u| {
                u.role == crate::domain::role::Role::Integration
                    && !u.disabled
                    && u.channels.is_none()
            }) {
                tracing::warn!(
                    user = %u.username,
                    "integration user is bound to no channel and may post orders for any public channel; bind it with `backroom admin user set-channels {} CHANNEL,…`",
                    u.username
                );
            }
        }
        Err(e) => tracing::warn!("could not check integration users' channels: {e}"),
    }
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, so a
/// signal right after start-up stops the server cleanly instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(interrupt.take()) => {},
                _ = wait(terminate.take()) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
