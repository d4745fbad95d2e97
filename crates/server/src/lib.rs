//! Roundtable's HTTP layer: the JSON API and the web pages ([`web`]).
//!
//! [`App::build`] binds the listener and assembles the router, so a test can
//! start the real application on port 0 and learn its address before
//! [`App::run`] serves. Handlers are thin: they parse input into domain values,
//! ask [`policy`] whether the caller may act, call the store, and shape the
//! response. Every error leaves as problem details ([`problem`]).

pub mod api;
pub mod auth;
pub mod extract;
pub mod idempotency;
pub mod observability;
pub use roundtable_app::policy;
pub mod problem;
pub mod sso;
pub mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::SignedDuration;
use metrics_exporter_prometheus::PrometheusHandle;
use roundtable_store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// How the HTTP server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub bind: String,
    /// Mark the session cookie `Secure` (serve over HTTPS, or behind a proxy that does).
    pub secure_cookies: bool,
    /// How long a browser session lasts at most.
    pub session_lifetime: SignedDuration,
    /// A session unused for this long ends (idle expiry).
    pub session_idle_timeout: SignedDuration,
    /// The longest a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Single sign-on through this OpenID Connect provider, when set.
    pub oidc: Option<sso::OidcConfig>,
    /// How failed sign-ins slow further attempts.
    pub sign_in_throttling: auth::SignInThrottling,
    /// Accept webhooks whose address is loopback, private or otherwise not
    /// public (`--allow-private-webhooks`); see
    /// [`roundtable_domain::webhook_targets`].
    pub allow_private_webhooks: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            secure_cookies: false,
            session_lifetime: SignedDuration::from_hours(12),
            session_idle_timeout: SignedDuration::from_hours(2),
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            oidc: None,
            sign_in_throttling: auth::SignInThrottling::default(),
            allow_private_webhooks: false,
        }
    }
}

/// What every handler may reach: the store, the configuration, the metrics.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServerConfig>,
    pub metrics: PrometheusHandle,
    /// The OpenID Connect relying party, when single sign-on is configured.
    pub sso: Option<Arc<sso::SingleSignOn>>,
    /// Assembled matrices, shared between readers until a write.
    pub matrices: Arc<api::matrix::MatrixCache>,
    openapi: Arc<String>,
}

impl AppState {
    /// The store limited to the caller's organization, recording changes as theirs.
    pub fn scoped(&self, actor: &roundtable_store::auth::Actor) -> roundtable_store::Scoped<'_> {
        self.store.scoped(actor.organization_id).by(actor.person_id)
    }
}

/// A built, bound application, ready to [`run`](App::run).
#[derive(Debug)]
pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl App {
    /// Binds the listener and assembles the routes. The store must be migrated.
    /// A single sign-on configuration that cannot work is refused here.
    pub async fn build(config: ServerConfig, store: Store) -> std::io::Result<App> {
        if let Some(oidc) = &config.oidc {
            sso::SingleSignOn::new(oidc.clone()).map_err(|message| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
            })?;
        }
        let listener = TcpListener::bind(&config.bind).await?;
        let state = app_state(config, store);
        let router = routes(state.clone());
        Ok(App {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // The first reader of the matrix should not wait for its assembly.
        tokio::spawn(api::matrix::warm_matrices(self.state));
        // The peer's address reaches handlers (sign-in throttling counts per client).
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Headers every response carries: no content sniffing, no framing, no
/// referrer leaking record ids; and for everything that is not a page (whose
/// own policy `web` sets), a content security policy that allows nothing.
/// With secure cookies (so the site is served over HTTPS), browsers are told
/// to use HTTPS only, so no first plain request can be intercepted.
async fn security_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    if state.config.secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
}

/// The whole application's routes and layers.
pub fn router(config: ServerConfig, store: Store) -> Router {
    routes(app_state(config, store))
}

fn app_state(config: ServerConfig, store: Store) -> AppState {
    let (_, openapi) = api::routes();
    let openapi = serde_json::to_string_pretty(&openapi).unwrap_or_else(|_| "{}".to_owned());
    let sso = config.oidc.clone().and_then(|oidc| {
        sso::SingleSignOn::new(oidc)
            .inspect_err(|message| tracing::error!(%message, "single sign-on is off"))
            .ok()
            .map(Arc::new)
    });
    AppState {
        store,
        config: Arc::new(config),
        metrics: observability::metrics_handle(),
        sso,
        matrices: Arc::default(),
        openapi: Arc::new(openapi),
    }
}

fn routes(state: AppState) -> Router {
    let (api_routes, _) = api::routes();
    let body_limit = state.config.body_limit;
    let request_timeout = state.config.request_timeout;
    Router::new()
        .route("/healthz", get(observability::healthz))
        .route("/readyz", get(observability::readyz))
        .route("/metrics", get(observability::metrics))
        .route("/api/v1/openapi.json", get(openapi_document))
        .merge(api_routes)
        .merge(web::routes())
        .route_layer(middleware::from_fn(observability::record_metrics))
        .layer(middleware::from_fn_with_state(state.clone(), idempotency::idempotent_creates))
        .layer(middleware::from_fn_with_state(state.clone(), web::format::in_reader_zone))
        .layer(middleware::from_fn_with_state(state.clone(), auth::resolve_actor))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(middleware::from_fn(extract::refuse_nul_in_address))
        .layer(middleware::from_fn(problem::ensure_problem_details))
        .layer(middleware::map_response_with_state(state.clone(), security_headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn openapi_document(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let mut response = state.openapi.as_str().to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
