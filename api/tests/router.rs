//! The router's conventions, through `tower::ServiceExt::oneshot`, without a database: every
//! error a client can meet before storage is touched is a bilingual problem.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::metadata::Role;
use http_body_util::BodyExt;
use infrastructure::config::Settings;
use infrastructure::tokens::DevelopmentKeys;
use serde_json::Value;
use tower::ServiceExt;

fn settings() -> Settings {
    let mut settings = Settings::default();
    settings.auth.data_dir = std::env::temp_dir().join("arreta-router-test-keys");
    settings
}

fn app() -> axum::Router {
    // A pool that never connects: these requests must not need the database.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .expect("lazy pool");
    api::app(api::server::state(pool, settings()).expect("state"))
}

fn token(role: Role) -> String {
    let settings = settings();
    let keys = DevelopmentKeys::load_or_create(&settings.auth.data_dir).expect("keys");
    keys.mint(
        "someone-1",
        &[role],
        &settings.auth.issuer,
        &settings.auth.audience,
        chrono::Duration::minutes(5),
    )
}

async fn send(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = app().oneshot(request).await.expect("response");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

async fn problem(request: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let (status, headers, body) = send(request).await;
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    (
        status,
        serde_json::from_slice(&body).expect("problem json"),
        headers,
    )
}

#[tokio::test]
async fn an_unknown_route_is_a_problem_in_spanish_by_default() {
    let (status, body, headers) = problem(
        Request::get("/v1/nothing")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["type"], "urn:arreta:problem:not-found");
    assert_eq!(body["title"], "No encontrado");
    assert_eq!(body["instance"], "/v1/nothing");
    assert_eq!(headers[header::CONTENT_LANGUAGE], "es");
    assert!(
        body["request_id"]
            .as_str()
            .is_some_and(|id| headers["x-request-id"] == id)
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_problem_in_basque_when_asked() {
    let request = Request::delete("/v1/procedures")
        .header(header::ACCEPT_LANGUAGE, "eu")
        .body(Body::empty())
        .expect("request");
    let (status, body, headers) = problem(request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["title"], "Metodoa ez dago baimenduta");
    assert_eq!(headers[header::CONTENT_LANGUAGE], "eu");
}

#[tokio::test]
async fn staff_routes_refuse_anonymous_and_unauthorised_callers_before_reading_the_body() {
    let anonymous = Request::post("/v1/requests/0190c2a4-7d5e-7000-8000-000000000000/close")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("not even json"))
        .expect("request");
    let (status, body, _) = problem(anonymous).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["type"], "urn:arreta:problem:unauthenticated");

    let auditor = Request::post("/v1/requests/0190c2a4-7d5e-7000-8000-000000000000/close")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", token(Role::Auditor)),
        )
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = problem(auditor).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Change the first character of the signature (a whole 6-bit digit, never padding bits).
    let genuine = token(Role::Clerk);
    let (signed, signature) = genuine.rsplit_once('.').expect("a JWT");
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{signed}.{first}{}", &signature[1..]);
    let tampered = Request::get("/v1/agenda?date=2026-12-01")
        .header(header::AUTHORIZATION, format!("Bearer {forged}"))
        .body(Body::empty())
        .expect("request");
    let (status, body, headers) = problem(tampered).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["type"], "urn:arreta:problem:invalid-token");
    assert_eq!(
        headers[header::WWW_AUTHENTICATE],
        "Bearer error=\"invalid_token\""
    );

    let basic = Request::get("/v1/agenda?date=2026-12-01")
        .header(header::AUTHORIZATION, "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = problem(basic).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_before_parsing() {
    let huge = vec![b' '; 16 * 1024 + 1];
    let request = Request::post("/v1/requests")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(huge))
        .expect("request");
    let (status, body, _) = problem(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["type"], "urn:arreta:problem:payload-too-large");
}

#[tokio::test]
async fn the_catalogue_is_served_without_storage() {
    let (status, headers, body) = send(
        Request::get("/v1/procedures")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let catalogue: Value = serde_json::from_slice(&body).expect("json");
    let codes: Vec<&str> = catalogue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["code"].as_str().expect("code"))
        .collect();
    assert!(codes.contains(&"PADRON-ALTA"));
}

#[tokio::test]
async fn the_document_and_its_docs_page_are_served_offline() {
    let (status, _, body) = send(
        Request::get("/openapi.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let served: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        served,
        serde_json::to_value(api::openapi::document()).expect("document")
    );

    let (status, headers, body) =
        send(Request::get("/docs/").body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .starts_with("text/html")
    );
    let page = String::from_utf8(body).expect("html");
    assert!(page.contains("swagger-ui"));
    assert!(
        !page.contains("https://"),
        "the docs page must not load anything from the internet"
    );
    let (status, _, _) = send(
        Request::get("/docs/swagger-ui-bundle.js")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_storage_outage_is_503_with_nothing_internal_in_the_body() {
    let request = Request::get("/health/ready")
        .body(Body::empty())
        .expect("request");
    let (status, body, _) = problem(request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["type"], "urn:arreta:problem:service-unavailable");
    assert!(!body.to_string().contains("127.0.0.1:1"), "{body}");
}
