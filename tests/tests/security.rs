//! Who may do what: the role-by-route table, capability links, tokens over HTTP, and the API
//! conventions every client relies on (If-Match, Idempotency-Key, pagination, rate limits).

use std::fmt::Write as _;

use chrono::{Duration, Utc};
use domain::capability::Purpose;
use infrastructure::tokens::CapabilityKeys;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{
    TestApp, as_clerk, as_role, book_case as book, booking_body, for_tests, issue_link as link,
    local_at, open_settings, spawn_app, spawn_app_with, staff_token, test_keys,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Allowed,
    Unauthenticated,
    Forbidden,
}
use Expect::{Allowed as A, Forbidden as F, Unauthenticated as U};

const PRINCIPALS: [&str; 10] = [
    "anonymous",
    "reporting",
    "municipal_sync",
    "recorder",
    "auditor",
    "upload link",
    "manage link",
    "clerk",
    "supervisor",
    "operator",
];

fn with(
    app: &TestApp,
    method: &Method,
    path: &str,
    who: &str,
    links: &(String, String),
) -> reqwest::RequestBuilder {
    let request = app.client.request(method.clone(), app.url(path));
    match who {
        "anonymous" => request,
        "upload link" => request.bearer_auth(&links.0),
        "manage link" => request.bearer_auth(&links.1),
        role => as_role(request, role),
    }
}

#[tokio::test]
async fn every_route_admits_exactly_the_roles_of_the_authorisation_table() {
    let app = spawn_app().await;
    // (method, path with {id}, body, expectations in PRINCIPALS order)
    let table: Vec<(Method, &str, Value, [Expect; 10])> = vec![
        (
            Method::GET,
            "/v1/procedures",
            Value::Null,
            [A, A, A, A, A, A, A, A, A, A],
        ),
        (
            Method::GET,
            "/v1/availability?procedure=QUEJA",
            Value::Null,
            [A, A, A, A, A, A, A, A, A, A],
        ),
        (
            Method::GET,
            "/v1/booking-challenge",
            Value::Null,
            [A, A, A, A, A, A, A, A, A, A],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/accesses",
            Value::Null,
            [U, F, F, F, A, F, A, F, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/case-file",
            Value::Null,
            [U, F, F, F, A, F, A, F, A, F],
        ),
        (
            Method::POST,
            "/v1/links/manage",
            json!({ "national_id": "12345678Z", "email": "miren@example.org" }),
            [A, A, A, A, A, A, A, A, A, A],
        ),
        (
            Method::GET,
            "/health/live",
            Value::Null,
            [A, A, A, A, A, A, A, A, A, A],
        ),
        (
            Method::GET,
            "/health/ready",
            Value::Null,
            [A, A, A, A, A, A, A, A, A, A],
        ),
        (
            Method::GET,
            "/.well-known/arreta-seal-keys.json",
            Value::Null,
            [A, A, A, A, A, A, A, A, A, A],
        ),
        (
            Method::POST,
            "/v1/requests",
            json!("web booking"),
            [A, F, F, F, F, A, A, A, A, F],
        ),
        // By the 010 line: staff, operators included; citizens book on the web only.
        (
            Method::POST,
            "/v1/requests",
            json!("phone booking"),
            [F, F, F, F, F, F, F, A, A, A],
        ),
        (
            Method::GET,
            "/v1/requests?day=2026-12-02",
            Value::Null,
            // The 010 line finds a caller's appointment this way.
            [U, F, F, F, A, F, F, A, A, A],
        ),
        (
            Method::GET,
            "/v1/requests/{id}",
            Value::Null,
            [U, F, F, F, A, A, A, A, A, A],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/reschedule",
            json!("reschedule"),
            [U, F, F, F, F, F, A, A, A, A],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/cancel",
            json!({}),
            [U, F, F, F, F, F, A, A, A, A],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/no-show",
            Value::Null,
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/close",
            json!({ "outcome": "resolved", "summary": "ok" }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/document-requests",
            json!({
                "documents": [{ "eu": "NANa", "es": "DNI" }],
                "due_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
            }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        // Allowed callers get 415 (a JSON body is no document): authorised, nothing stored.
        (
            Method::POST,
            "/v1/requests/{id}/documents",
            json!({}),
            [U, F, F, F, F, A, F, A, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/documents",
            Value::Null,
            [U, F, F, F, F, A, A, A, A, F],
        ),
        // No such document: allowed callers get 404.
        (
            Method::POST,
            "/v1/requests/{id}/documents/0190a0b0-0000-7000-8000-000000000000/review",
            json!({ "accepted": true }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/documents/0190a0b0-0000-7000-8000-000000000000/content?why=audit",
            Value::Null,
            [U, F, F, F, A, F, F, A, A, F],
        ),
        // Outside the call's window (the case is days ahead): allowed callers get 409.
        (
            Method::POST,
            "/v1/requests/{id}/call/start",
            Value::Null,
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/call",
            Value::Null,
            [U, F, F, F, A, F, F, A, A, F],
        ),
        // No call in progress: allowed callers get 409 (the join link too, in call.rs).
        (
            Method::POST,
            "/v1/requests/{id}/call/consent",
            json!({ "decision": "given", "wording_version": "v1", "language": "eu" }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/call/presence",
            Value::Null,
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/call/end",
            Value::Null,
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/recordings",
            Value::Null,
            [U, F, F, F, A, F, F, F, A, F],
        ),
        // No such recording: allowed callers get 404.
        (
            Method::GET,
            "/v1/recordings/0190a0b0-0000-7000-8000-000000000000/access?key=k&why=audit",
            Value::Null,
            [U, F, F, F, A, F, F, F, A, F],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/identity",
            json!({ "method": "document_on_camera", "document": {
                "kind": "dni", "national_id": "12345678Z", "name": "Miren Etxeberria Ruiz",
                "expires_on": "2031-01-01" } }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        // Not identified yet: allowed callers get 409.
        (
            Method::POST,
            "/v1/requests/{id}/signatures",
            json!({ "kind": "request", "addressee": "Registro",
                    "document_id": "0190a0b0-0000-7000-8000-000000000000", "method": "one_time_code" }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/signatures",
            Value::Null,
            [U, F, F, F, A, F, F, A, A, F],
        ),
        // No such signature: allowed callers get 404 (a sign link too, tested in signing.rs).
        (
            Method::GET,
            "/v1/requests/{id}/signatures/0190a0b0-0000-7000-8000-000000000000",
            Value::Null,
            [U, F, F, F, A, F, F, A, A, F],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/signatures/0190a0b0-0000-7000-8000-000000000000/confirm",
            json!({ "consent": { "wording_version": "v1", "language": "es" } }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::POST,
            "/v1/seals/verify",
            json!({ "seal": "a..b", "claims": "{}", "document": "" }),
            [U, F, F, F, A, F, F, A, A, F],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/clerk",
            json!({ "clerk": "clerk-03" }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::POST,
            "/v1/requests/{id}/links",
            json!({ "purpose": "upload" }),
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/history",
            Value::Null,
            [U, F, F, F, A, F, F, F, A, F],
        ),
        (
            Method::POST,
            "/v1/integrations/municipal/appointments",
            json!({
                "reference": "CITA-SECURITY",
                "status": "booked",
                "procedure": "QUEJA",
                "start": local_at(70, 9, 0).to_rfc3339(),
                "language": "es",
                "citizen": {
                    "name": "Ane Ruiz",
                    "national_id": "12345678Z",
                    "email": "ane@example.org"
                }
            }),
            [U, F, A, F, F, F, F, F, F, F],
        ),
        (
            Method::GET,
            "/v1/agenda?date=2027-01-04",
            Value::Null,
            [U, F, F, F, F, F, F, A, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/history/verify",
            Value::Null,
            [U, F, F, F, A, F, F, F, A, F],
        ),
        (
            Method::GET,
            "/v1/requests/{id}/export",
            Value::Null,
            [U, F, F, F, A, F, F, F, A, F],
        ),
        (
            Method::GET,
            "/v1/reports/daily?from=2027-01-01&to=2027-01-31",
            Value::Null,
            [U, A, F, F, A, F, F, F, A, F],
        ),
        (
            Method::GET,
            "/v1/reports/occupancy?from=2027-01-01&to=2027-01-31&format=csv",
            Value::Null,
            [U, A, F, F, A, F, F, F, A, F],
        ),
        // A calendar feed is opened by the token in its URL, not by a role (a calendar app
        // sends no bearer): feeds are off in this app, so every caller gets 404.
        (
            Method::GET,
            "/v1/feeds/clerks/clerk-01.ics?token=t",
            Value::Null,
            [A, A, A, A, A, A, A, A, A, A],
        ),
        (
            Method::GET,
            "/v1/feeds/rooms/1.ics?token=t",
            Value::Null,
            [A, A, A, A, A, A, A, A, A, A],
        ),
    ];
    let mut report = String::new();
    for (row, (method, template, body, expected)) in table.iter().enumerate() {
        // A case of its own per route, so one route's effects do not change another's answers.
        let id = book(&app, 10 + row as i64).await;
        let links = (
            link(&app, &id, "upload").await,
            link(&app, &id, "manage").await,
        );
        let path = template.replace("{id}", &id);
        for (who, expect) in PRINCIPALS.iter().zip(expected) {
            let mut request = with(&app, method, &path, who, &links);
            request = match body {
                Value::Null => request,
                Value::String(kind) if kind == "web booking" => {
                    let mut booking = booking_body("QUEJA", local_at(40 + row as i64, 9, 0));
                    booking["channel"] = json!("web");
                    if *who == "anonymous" {
                        // Someone without an appointment yet (the limits per DNI/NIE are not
                        // what this table is about), with the challenge solved.
                        booking["citizen"]["national_id"] = json!("87654321X");
                        booking["citizen"]["email"] = json!("anonymous@example.org");
                        booking["proof"] = app.solved_proof().await;
                    }
                    request.json(&booking)
                }
                Value::String(kind) if kind == "phone booking" => {
                    request.json(&booking_body("QUEJA", local_at(40 + row as i64, 11, 0)))
                }
                Value::String(kind) if kind == "reschedule" => {
                    request.json(&json!({ "start": local_at(60, 12, 0).to_rfc3339() }))
                }
                body => request.json(body),
            };
            let status = request.send().await.expect("sent").status();
            let got = match status {
                StatusCode::UNAUTHORIZED => U,
                StatusCode::FORBIDDEN => F,
                _ => A,
            };
            if got != *expect || status.is_server_error() {
                let _ = writeln!(
                    report,
                    "{method} {template} as {who}: expected {expect:?}, got {status}"
                );
            }
        }
    }
    assert!(
        report.is_empty(),
        "the authorisation table is not what was built:\n{report}"
    );
}

#[tokio::test]
async fn a_manage_link_opens_its_own_case_for_its_own_purpose_only() {
    let app = spawn_app().await;
    let id = book(&app, 3).await;
    let other = book(&app, 4).await;
    let manage = link(&app, &id, "manage").await;
    let upload = link(&app, &id, "upload").await;

    let own = app
        .client
        .get(app.url(&format!("/v1/requests/{id}")))
        .bearer_auth(&manage)
        .send()
        .await
        .expect("get");
    assert_eq!(own.status(), StatusCode::OK);
    let others = app
        .client
        .get(app.url(&format!("/v1/requests/{other}")))
        .bearer_auth(&manage)
        .send()
        .await
        .expect("get");
    assert_eq!(others.status(), StatusCode::FORBIDDEN);
    let wrong_purpose = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/cancel")))
        .bearer_auth(&upload)
        .json(&json!({}))
        .send()
        .await
        .expect("cancel");
    assert_eq!(wrong_purpose.status(), StatusCode::FORBIDDEN);

    // The citizen moves the appointment themselves; the history says so.
    let moved = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/reschedule")))
        .bearer_auth(&manage)
        .json(&json!({ "start": local_at(5, 11, 0).to_rfc3339() }))
        .send()
        .await
        .expect("reschedule");
    assert_eq!(moved.status(), StatusCode::OK);
    let history: Value = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/history"))
        .await;
    assert_eq!(
        history["items"][1]["metadata"]["actor"],
        format!("citizen:{id}")
    );
    assert_eq!(history["items"][1]["metadata"]["role"], "citizen");
}

#[tokio::test]
async fn links_stop_working_after_close_or_cancel_and_a_join_link_after_a_move() {
    let app = spawn_app().await;
    let id = book(&app, 3).await;
    let join = link(&app, &id, "join").await;
    let manage = link(&app, &id, "manage").await;
    let get = |token: String| {
        let request = app
            .client
            .get(app.url(&format!("/v1/requests/{id}")))
            .bearer_auth(token);
        async move { request.send().await.expect("get") }
    };
    assert_eq!(get(join.clone()).await.status(), StatusCode::OK);
    as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/reschedule"))),
    )
    .json(&json!({ "start": local_at(3, 12, 0).to_rfc3339() }))
    .send()
    .await
    .expect("reschedule");
    let void = get(join).await;
    assert_eq!(void.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        void.json::<Value>().await.expect("json")["type"],
        "urn:arreta:problem:link-void"
    );
    assert_eq!(
        get(manage.clone()).await.status(),
        StatusCode::OK,
        "a manage link survives a move"
    );

    as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .json(&json!({}))
    .send()
    .await
    .expect("cancel");
    let void = get(manage).await;
    assert_eq!(void.status(), StatusCode::UNAUTHORIZED);
    let refused = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/links"))),
    )
    .json(&json!({ "purpose": "upload" }))
    .send()
    .await
    .expect("links");
    assert_eq!(
        refused.status(),
        StatusCode::CONFLICT,
        "no links for a cancelled case"
    );

    let closed = book(&app, 6).await;
    let sign = link(&app, &closed, "sign").await;
    let done = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{closed}/close"))),
    )
    .json(&json!({ "outcome": "resolved", "summary": "done" }))
    .send()
    .await
    .expect("close");
    assert_eq!(done.status(), StatusCode::OK);
    let after_close = app
        .client
        .get(app.url(&format!("/v1/requests/{closed}")))
        .bearer_auth(sign)
        .send()
        .await
        .expect("get");
    assert_eq!(after_close.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_or_foreign_tokens_get_401_problems() {
    let app = spawn_app().await;
    let id = book(&app, 3).await;
    let keys = CapabilityKeys::new(test_keys().capability_secret(), 8192).expect("keys");
    let past = Utc::now() - Duration::hours(3);
    let (expired, _) = keys
        .issue(
            id.parse().expect("uuid"),
            Purpose::Manage,
            None,
            past,
            Duration::hours(1),
        )
        .expect("issued");
    let response = app
        .client
        .get(app.url(&format!("/v1/requests/{id}")))
        .bearer_auth(expired)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.json::<Value>().await.expect("json")["type"],
        "urn:arreta:problem:invalid-token"
    );

    let settings = open_settings();
    let elsewhere = test_keys().mint(
        "clerk-01",
        &[domain::metadata::Role::Clerk],
        &settings.auth.issuer,
        "another-app",
        Duration::minutes(5),
    );
    let expired_staff = test_keys().mint(
        "clerk-01",
        &[domain::metadata::Role::Clerk],
        &settings.auth.issuer,
        &settings.auth.audience,
        Duration::minutes(-10),
    );
    for token in [elsewhere, expired_staff, "not.a.token".to_string()] {
        let response = app
            .client
            .get(app.url("/v1/agenda?date=2027-01-04"))
            .bearer_auth(token)
            .header("accept-language", "eu")
            .send()
            .await
            .expect("agenda");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.json::<Value>().await.expect("json")["title"],
            "Kredentzial baliogabea"
        );
    }
}

#[tokio::test]
async fn a_web_booking_returns_a_working_manage_link() {
    let app = spawn_app().await;
    let body = booking_body("PADRON-ALTA", local_at(3, 9, 0));
    let created: Value = app.web_book(&body).await.json().await.expect("json");
    let token = created["manage_token"]
        .as_str()
        .expect("a manage token for the citizen");
    let id = created["id"].as_str().expect("id");
    let cancel = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/cancel")))
        .bearer_auth(token)
        .json(&json!({ "reason": "ezin dut" }))
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancel.status(), StatusCode::OK);
    assert_eq!(
        cancel.json::<Value>().await.expect("json")["cancellation"]["by"],
        "citizen"
    );
    // Staff bookings carry no token: the link goes by mail.
    let staff: Value = app
        .book(&booking_body("PADRON-ALTA", local_at(3, 9, 0)))
        .await
        .json()
        .await
        .expect("json");
    assert!(staff.get("manage_token").is_none());
}

#[tokio::test]
async fn if_match_makes_commands_conditional_on_the_version() {
    let app = spawn_app().await;
    let id = book(&app, 3).await;
    let reschedule = |etag: &str| {
        as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/reschedule"))),
        )
        .header("if-match", etag)
        .json(&json!({ "start": local_at(4, 9, 0).to_rfc3339() }))
        .send()
    };
    let moved = reschedule("\"1\"").await.expect("reschedule");
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(moved.headers()["etag"], "\"2\"");
    let events = app.db.event_count().await;
    let stale = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .header("if-match", "\"1\"")
    .json(&json!({}))
    .send()
    .await
    .expect("cancel");
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.headers()["etag"], "\"2\"");
    assert_eq!(
        stale.json::<Value>().await.expect("json")["type"],
        "urn:arreta:problem:version-mismatch"
    );
    assert_eq!(
        app.db.event_count().await,
        events,
        "a failed precondition writes nothing"
    );
    let stale_move = reschedule("\"1\"").await.expect("reschedule");
    assert_eq!(stale_move.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.db.event_count().await,
        events,
        "nor does a stale reschedule, agenda included"
    );
    assert_eq!(
        reschedule("v2").await.expect("reschedule").status(),
        StatusCode::BAD_REQUEST
    );
    let any = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .header("if-match", "*")
    .json(&json!({}))
    .send()
    .await
    .expect("cancel");
    assert_eq!(any.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let app = spawn_app().await;
    let body = booking_body("PADRON-ALTA", local_at(3, 9, 0));
    let send = |body: &Value, key: &str| {
        as_clerk(app.client.post(app.url("/v1/requests")))
            .header("idempotency-key", key)
            .json(body)
            .send()
    };
    let first = send(&body, "booking-0001").await.expect("first");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_location = first.headers()["location"].clone();
    let first_body: Value = first.json().await.expect("json");
    let again = send(&body, "booking-0001").await.expect("again");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], first_location);
    assert_eq!(again.json::<Value>().await.expect("json"), first_body);
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE aggregate_type = 'CitizenRequest'")
            .await,
        1
    );

    let mut other = body.clone();
    other["language"] = json!("es");
    let reused = send(&other, "booking-0001").await.expect("reused");
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reused.json::<Value>().await.expect("json")["type"],
        "urn:arreta:problem:idempotency-key-reused"
    );
    assert_eq!(
        send(&body, "bad key").await.expect("bad").status(),
        StatusCode::BAD_REQUEST
    );

    // Concurrent retries with one key book once.
    let retries = futures::future::join_all((0..6).map(|_| send(&other, "booking-0002"))).await;
    let statuses: Vec<StatusCode> = retries
        .into_iter()
        .map(|r| r.expect("sent").status())
        .collect();
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE aggregate_type = 'CitizenRequest'")
            .await,
        2
    );
}

#[tokio::test]
async fn lists_are_paged_by_cursor() {
    let app = spawn_app().await;
    let mut codes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = app.url("/v1/procedures?limit=4");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app
            .client
            .get(url)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        codes.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|p| p["code"].as_str().expect("code").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted);
    assert_eq!(codes.len(), 6);
    let bad = app
        .client
        .get(app.url("/v1/procedures?limit=0"))
        .send()
        .await
        .expect("page");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn anonymous_callers_are_rate_limited_and_staff_are_not() {
    let mut settings = for_tests(open_settings());
    settings.rate_limits.public_per_minute = 60;
    settings.rate_limits.burst = 3;
    let app = spawn_app_with(settings).await;
    for _ in 0..3 {
        assert_eq!(
            app.client
                .get(app.url("/v1/procedures"))
                .send()
                .await
                .expect("get")
                .status(),
            StatusCode::OK
        );
    }
    let limited = app
        .client
        .get(app.url("/v1/procedures"))
        .send()
        .await
        .expect("get");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "1");
    assert_eq!(
        limited.json::<Value>().await.expect("json")["type"],
        "urn:arreta:problem:too-many-requests"
    );
    for _ in 0..5 {
        let staff = app
            .client
            .get(app.url("/v1/procedures"))
            .bearer_auth(staff_token("clerk", "clerk-02"))
            .send()
            .await
            .expect("get");
        assert_eq!(staff.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_manage_link_still_reads_a_closed_case_and_changes_nothing_there() {
    let app = spawn_app().await;
    let id = book(&app, 3).await;
    let manage = link(&app, &id, "manage").await;
    let upload = link(&app, &id, "upload").await;
    let closed = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/close"))),
    )
    .json(&json!({ "outcome": "resolved", "summary": "Erroldan alta emanda", "registry_entry": "2026/000123" }))
    .send()
    .await
    .expect("close");
    assert_eq!(closed.status(), StatusCode::OK, "{:?}", closed.text().await);
    // The summary is a read model: it shows the close once projected.
    let mut case = Value::Null;
    for _ in 0..100 {
        let read = app
            .client
            .get(app.url(&format!("/v1/requests/{id}")))
            .bearer_auth(&manage)
            .send()
            .await
            .expect("get");
        assert_eq!(read.status(), StatusCode::OK);
        case = read.json().await.expect("json");
        if case["status"] == "closed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        (case["status"].as_str(), case["outcome"].as_str()),
        (Some("closed"), Some("resolved"))
    );
    let events = app.db.event_count().await;
    let cancel = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/cancel")))
        .bearer_auth(&manage)
        .json(&json!({}))
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancel.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        cancel.json::<Value>().await.expect("json")["type"],
        "urn:arreta:problem:link-void"
    );
    // Only the manage link reads on: the upload link is void for reading too.
    let by_upload = app
        .client
        .get(app.url(&format!("/v1/requests/{id}")))
        .bearer_auth(&upload)
        .send()
        .await
        .expect("get");
    assert_eq!(by_upload.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.db.event_count().await, events, "nothing written");
}

/// A 010 operator books, moves and cancels for a caller on the phone, and sees nothing of the
/// case beyond its summary; what they did is theirs in the history.
#[tokio::test]
async fn an_operator_books_moves_and_cancels_for_a_caller_and_opens_nothing_else() {
    let app = spawn_app().await;
    let operator = staff_token("operator", "operator-07");
    let send = |method: Method, path: String, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&operator)
            .header("accept-language", "eu");
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.expect("sent") }
    };

    // Only by phone: the counter is the clerks', the web the citizen's own.
    for channel in ["web", "counter"] {
        let mut body = booking_body("PADRON-ALTA", local_at(20, 10, 0));
        body["channel"] = json!(channel);
        let refused = send(Method::POST, "/v1/requests".into(), Some(body)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{channel}");
    }
    let booked = send(
        Method::POST,
        "/v1/requests".into(),
        Some(booking_body("PADRON-ALTA", local_at(20, 10, 0))),
    )
    .await;
    assert_eq!(booked.status(), StatusCode::CREATED);
    let booked: Value = booked.json().await.expect("json");
    assert_eq!(booked["channel"], "phone_010");
    // The caller's manage link goes by mail, as for a clerk's booking, not to the operator.
    assert!(booked.get("manage_token").is_none_or(Value::is_null));
    let id = booked["id"].as_str().expect("id").to_string();

    // The summary: what the operator checks with the caller before moving it.
    let case = send(Method::GET, format!("/v1/requests/{id}"), None).await;
    assert_eq!(case.status(), StatusCode::OK);
    let case: Value = case.json().await.expect("json");
    assert_eq!(case["citizen"]["national_id"], "12345678Z");

    let new_start = local_at(21, 11, 0);
    let moved = send(
        Method::POST,
        format!("/v1/requests/{id}/reschedule"),
        Some(json!({ "start": new_start.to_rfc3339() })),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.expect("json");
    assert_eq!(
        moved["slot"]["start"]
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()),
        Some(new_start.fixed_offset())
    );

    // Everything else of the case is refused, in the caller's language, and writes nothing.
    let doc = "0190a0b0-0000-7000-8000-000000000000";
    for (method, path, body) in [
        (Method::GET, format!("/v1/requests/{id}/documents"), None),
        (
            Method::POST,
            format!("/v1/requests/{id}/documents"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/v1/requests/{id}/documents/{doc}/content?why=caller"),
            None,
        ),
        (Method::GET, format!("/v1/requests/{id}/history"), None),
        (
            Method::GET,
            format!("/v1/requests/{id}/history/verify"),
            None,
        ),
        (Method::GET, format!("/v1/requests/{id}/export"), None),
        (Method::GET, format!("/v1/requests/{id}/case-file"), None),
        (Method::GET, format!("/v1/requests/{id}/accesses"), None),
        (Method::GET, format!("/v1/requests/{id}/recordings"), None),
        (Method::GET, format!("/v1/requests/{id}/signatures"), None),
        (Method::GET, format!("/v1/requests/{id}/call"), None),
        (
            Method::POST,
            format!("/v1/requests/{id}/links"),
            Some(json!({ "purpose": "manage" })),
        ),
    ] {
        let refused = send(method.clone(), path.clone(), body).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let problem: Value = refused.json().await.expect("a problem");
        assert_eq!(problem["type"], "urn:arreta:problem:forbidden", "{path}");
        assert_eq!(problem["title"], "Sarbidea ukatuta", "{path}");
    }

    let cancelled = send(
        Method::POST,
        format!("/v1/requests/{id}/cancel"),
        Some(json!({ "reason": "the caller cannot come" })),
    )
    .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let cancelled: Value = cancelled.json().await.expect("json");
    assert_eq!(cancelled["status"], "cancelled");
    // Asked for by the caller: the reports do not count it as the council's.
    assert_eq!(cancelled["cancellation"]["by"], "citizen");

    // The auditor's history: each step is the operator's, in the operator's role; the
    // operator's refused reads left nothing in it.
    let history = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/history"))
        .await;
    let steps: Vec<(&str, &str, &str)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|item| {
            !matches!(
                item["event_type"].as_str(),
                Some("NotificationSent" | "CaseFileAccessed")
            )
        })
        .map(|item| {
            (
                item["event_type"].as_str().unwrap_or_default(),
                item["metadata"]["actor"].as_str().unwrap_or_default(),
                item["metadata"]["role"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("AppointmentBooked", "staff:operator-07", "operator"),
            ("AppointmentRescheduled", "staff:operator-07", "operator"),
            ("AppointmentCancelled", "staff:operator-07", "operator"),
        ]
    );
}
