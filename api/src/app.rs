use std::convert::Infallible;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::routing::{get, post};
use axum::{Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::answer_headers;
use crate::idempotency;
use crate::openapi::document;
use crate::problem::localize;
use crate::request_headers;
use crate::routes::{
    accesses, agenda, availability, booking_guard, call, case_file, documents, feeds, health,
    history, identity, links, municipal, procedures, recordings, reports, requests, seal_keys,
    search, signatures,
};
use crate::state::AppState;

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let body_limit = state.settings.body_limit_bytes;
    let timeout = Duration::from_secs(state.settings.request_timeout_seconds);
    let idempotent = || middleware::from_fn_with_state(state.clone(), idempotency::idempotent);
    let cors = std::sync::Arc::new(infrastructure::cors::CorsPolicy::api(
        state.settings.cors_origins(),
    ));
    // Bodies are small JSON documents: each route accepts what its largest valid body needs.
    let limit = |bytes: usize| DefaultBodyLimit::max(bytes.min(body_limit));
    let document_limit = usize::try_from(state.settings.storage.max_document_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    // The body is the file itself, streamed and bounded by the upload (storage.max_document_bytes,
    // 413 past it) rather than buffered: this limit only lifts the JSON default for the route. Its
    // time is bounded by storage.upload_timeout_seconds instead of the request timeout.
    let uploads: Router<AppState> = Router::new().route(
        "/v1/requests/{id}/documents",
        post(documents::upload)
            .layer::<_, Infallible>(DefaultBodyLimit::max(document_limit))
            .layer::<_, Infallible>(CatchPanicLayer::new())
            .layer::<_, Infallible>(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(state.settings.storage.upload_timeout_seconds),
            )),
    );
    Router::new()
        .route("/v1/procedures", get(procedures::list))
        .route("/v1/availability", get(availability::offered))
        .route("/v1/booking-challenge", get(booking_guard::challenge))
        .route(
            "/v1/links/manage",
            post(links::resend_manage).layer(limit(1024)),
        )
        .route(
            "/v1/requests",
            post(requests::book)
                .layer::<_, Infallible>(idempotent())
                .layer(limit(16 * 1024))
                .get(search::search),
        )
        .route("/v1/requests/{id}", get(requests::get))
        .route("/v1/requests/{id}/accesses", get(accesses::list))
        .route("/v1/requests/{id}/case-file", get(case_file::get))
        .route(
            "/v1/requests/{id}/reschedule",
            post(requests::reschedule).layer(limit(1024)),
        )
        .route(
            "/v1/requests/{id}/cancel",
            post(requests::cancel).layer(limit(4 * 1024)),
        )
        .route(
            "/v1/requests/{id}/no-show",
            post(requests::no_show).layer(limit(1024)),
        )
        .route(
            "/v1/requests/{id}/close",
            post(requests::close).layer(limit(32 * 1024)),
        )
        .route(
            "/v1/requests/{id}/document-requests",
            post(documents::request).layer(limit(8 * 1024)),
        )
        .route("/v1/requests/{id}/documents", get(documents::list))
        .route(
            "/v1/requests/{id}/documents/{doc}/review",
            post(documents::review).layer(limit(4 * 1024)),
        )
        .route(
            "/v1/requests/{id}/documents/{doc}/content",
            get(documents::content),
        )
        .route("/v1/requests/{id}/call", get(call::get))
        .route(
            "/v1/requests/{id}/call/start",
            post(call::start).layer(limit(1024)),
        )
        .route(
            "/v1/requests/{id}/call/consent",
            post(call::consent).layer(limit(1024)),
        )
        .route(
            "/v1/requests/{id}/call/presence",
            post(call::presence).layer(limit(1024)),
        )
        .route(
            "/v1/requests/{id}/call/end",
            post(call::end).layer(limit(1024)),
        )
        .route("/v1/requests/{id}/call/signal", get(call::signal))
        .route("/v1/requests/{id}/recordings", get(recordings::list))
        .route("/v1/recordings/{rec}/access", get(recordings::access))
        .route(
            "/v1/requests/{id}/identity",
            post(identity::verify).layer(limit(32 * 1024)),
        )
        .route(
            "/v1/requests/{id}/signatures",
            post(signatures::request)
                .layer::<_, Infallible>(idempotent())
                .layer(limit(32 * 1024))
                .get(signatures::list),
        )
        .route("/v1/requests/{id}/signatures/{sig}", get(signatures::get))
        .route(
            "/v1/requests/{id}/signatures/{sig}/confirm",
            post(signatures::confirm).layer(limit(1024)),
        )
        .route(
            "/v1/seals/verify",
            post(signatures::verify_seal)
                .layer(limit(document_limit.saturating_mul(4) / 3 + 64 * 1024)),
        )
        .route(
            "/v1/requests/{id}/clerk",
            post(requests::assign_clerk).layer(limit(1024)),
        )
        .route(
            "/v1/requests/{id}/links",
            post(requests::issue_link)
                .layer::<_, Infallible>(idempotent())
                .layer(limit(1024)),
        )
        .route("/v1/requests/{id}/history", get(history::history))
        .route("/v1/requests/{id}/history/verify", get(history::verify))
        .route("/v1/requests/{id}/export", get(history::export))
        .route(
            "/v1/integrations/municipal/appointments",
            post(municipal::appointment).layer(limit(16 * 1024)),
        )
        .route("/v1/agenda", get(agenda::day))
        .route("/v1/feeds/clerks/{clerk}", get(feeds::clerk))
        .route("/v1/feeds/rooms/{room}", get(feeds::room))
        .route("/v1/reports/daily", get(reports::daily))
        .route("/v1/reports/occupancy", get(reports::occupancy))
        .route(seal_keys::PATH, get(seal_keys::key_set))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", document()))
        // The call pages (HTML, scripts, styles): not API operations, so not in the document.
        .merge(crate::pages::router(&state.settings))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Outside the request timeout: a citizen on a slow line may take minutes to send 50 MiB.
        .merge(uploads)
        .layer(middleware::from_fn(request_headers::bounded_header_size))
        .layer(middleware::from_fn(localize))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // Before the id is set: an unusable client id is replaced, not echoed.
        .layer(middleware::from_fn(answer_headers::bounded_request_id))
        .layer(middleware::from_fn(answer_headers::private_answers))
        // Outermost: a preflight is answered before anything asks who is calling.
        .layer(middleware::from_fn_with_state(
            cors,
            infrastructure::cors::cors,
        ))
        .with_state(state)
}
