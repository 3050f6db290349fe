//! The one route table of the gateway (house style rule 3).
//!
//! - `/healthz`, `/metrics` — operations (`metrics.rs`), unauthenticated.
//! - `/v2/*` — admin API (`api/admin`).
//! - `/v1/*` — client API behind the guard stack (`guard::run`; its refusals are rendered here). The OpenAI and Anthropic
//!   handlers mount in [`v1_routes`]; embedders and tests may replace them through
//!   [`crate::Extensions::v1_routes`].
//! - anything else — the embedded console (`console.rs`), SPA fallback.
//!
//! Every `/v1` response also carries `request-id` (the Anthropic SDK's header) with the same value
//! as `x-request-id`.
//!
//! Layers on every request, outermost first: request id (`x-request-id`, set if absent and
//! echoed on the response) → trace span → `front`: client IP (`guard::client_ip`, inserts
//! `ClientIp`), the address screen (`guard::screen`: blocklist and per-IP limit on every route but
//! `/healthz`, refusals shaped by `surface`) and metrics (`metrics::track`) → route; `/v1` routes then run `v1_guard` (the
//! guards, and the `request-id` copy). Each `from_fn` layer costs a boxed future and a clone of
//! everything inside it per request, so these steps share two layers instead of seven.

pub mod admin;
pub mod anthropic;
pub mod chat;
// At the crate root (the error shapes of the client dialects); re-exported for `api::…` paths.
pub use crate::dialect_error;
pub mod models;
pub mod openai;
pub mod responses;
pub mod surface;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, Uri};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{any, get, post};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use self::dialect_error::Dialect;
use self::surface::Surface;
use crate::error::Error;
use crate::guard::{ClientIp, Guards};
use crate::state::AppState;

/// Header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Client API routes served by this build: the chat handlers (`api::openai`, `api::anthropic`,
/// `api::responses`)
/// and the model list, plus the OpenAI paths without `/v1` (client doc §1.1).
pub fn v1_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/chat/completions", post(openai::chat_completions))
        .route("/v1/responses", post(responses::create))
        .route("/responses", post(responses::create))
        .route("/v1/messages", post(anthropic::messages))
        .route("/v1/messages/count_tokens", post(anthropic::count_tokens))
        .route("/v1/models", get(models::list))
        .route("/models", get(models::list))
        .route("/v1/models/{id}", get(models::retrieve))
        .route("/models/{id}", get(models::retrieve))
}

/// The `/v1` middleware: the guard stack (`guard::run`; a refusal is logged and rendered here,
/// once, in the client's dialect), and the request id copied into `request-id`, where Anthropic
/// clients read it (client doc §2.1), on every `/v1` response.
async fn v1_guard(State(guards): State<Arc<Guards>>, req: Request, next: Next) -> Response {
    let id = req.headers().get(REQUEST_ID).cloned();
    let dialect = Dialect::from_path(req.uri().path());
    let mut response = match crate::guard::run(&guards, req, next).await {
        Ok(response) => response,
        Err(refusal) => {
            refusal.log(&guards, dialect.as_str());
            dialect_error::render(dialect, &refusal.error)
        }
    };
    if let Some(id) = id {
        response.headers_mut().insert("request-id", id);
    }
    response
}

/// The first middleware of every request: client address, the address screen (blocklist on every
/// surface but `/healthz`, per-IP limit also not on `/metrics`; answered in the surface's shape and
/// logged; issue 16 §3, §5), then the request metrics.
async fn front(State(guards): State<Arc<Guards>>, mut req: Request, next: Next) -> Response {
    crate::guard::client_ip::annotate(&guards.trusted_proxies, &mut req);
    let surface = Surface::of(req.uri().path());
    if surface != Surface::Health
        && let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>().copied()
        && let Some(err) = crate::guard::screen(&guards, ip, surface != Surface::Ops).await
    {
        crate::guard::refused::log(&guards, Some(ip), None, surface.label(), &err);
        return surface.render(&err);
    }
    crate::metrics::track(req, next).await
}

/// The whole application.
pub fn router(state: &AppState, v1_override: Option<Router<AppState>>) -> Router {
    // Routes supplied by an embedder or a test replace the built-in client routes (axum cannot
    // merge two handlers for one path, and the guard tests mount stand-ins at the same paths).
    let v1 = v1_override.unwrap_or_else(v1_routes);
    let v1 = v1
        .route("/v1", any(v1_not_found))
        .route("/v1/{*rest}", any(v1_not_found))
        // The guard already capped and buffered the body; let extractors take all of it.
        .layer(DefaultBodyLimit::max(
            usize::try_from(state.config.security.max_body_bytes).unwrap_or(usize::MAX),
        ));
    let guards = Arc::clone(&state.guards);
    let v1 = v1.layer(from_fn_with_state(Arc::clone(&guards), v1_guard));
    Router::new()
        .route("/healthz", get(crate::metrics::healthz))
        .route("/metrics", get(crate::metrics::render_metrics))
        .merge(admin::router(state))
        .merge(v1)
        .fallback(crate::console::serve)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http())
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(from_fn_with_state(guards, front)),
        )
        .with_state(state.clone())
}

async fn v1_not_found(uri: Uri) -> Response {
    let dialect = dialect_error::Dialect::from_path(uri.path());
    dialect_error::render(
        dialect,
        &Error::NotFound(format!("unknown endpoint {}", uri.path())),
    )
}
