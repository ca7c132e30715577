//! Bad input gets a clear 4xx problem in the caller's language, and writes nothing.

use infrastructure::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{
    TestApp, as_clerk, booking_body, for_tests, local_at, next_working_day, spawn_app_with,
};

async fn vitoria() -> TestApp {
    spawn_app_with(for_tests(Settings::default())).await
}

/// Sends a booking and returns (status, problem), checking it is a problem document.
async fn refused(app: &TestApp, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("sent");
    let status = response.status();
    assert!(status.is_client_error(), "{status}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("problem json");
    assert_eq!(problem["status"], status.as_u16());
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(problem["detail"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        app.db.event_count().await,
        0,
        "a refused request wrote events"
    );
    (status, problem)
}

fn post(app: &TestApp) -> reqwest::RequestBuilder {
    as_clerk(app.client.post(app.url("/v1/requests")))
}

fn good_slot() -> chrono::DateTime<chrono::Utc> {
    local_at(next_working_day(2), 9, 0)
}

#[tokio::test]
async fn an_unknown_procedure_is_refused() {
    let app = vitoria().await;
    let (status, problem) =
        refused(&app, post(&app).json(&booking_body("NO-SUCH", good_slot()))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["type"], "urn:arreta:problem:unknown-procedure");
    assert_eq!(problem["detail"], "No existe el trámite NO-SUCH.");
}

#[tokio::test]
async fn slots_outside_hours_in_the_past_or_off_the_grid_are_refused() {
    let app = vitoria().await;
    let day = next_working_day(2);
    let cases = [
        (
            local_at(day, 3, 0),
            "urn:arreta:problem:slot-outside-opening-hours",
        ),
        (
            local_at(day, 13, 45),
            "urn:arreta:problem:slot-outside-opening-hours",
        ),
        (local_at(-1, 10, 0), "urn:arreta:problem:slot-too-soon"),
        (local_at(day, 9, 10), "urn:arreta:problem:slot-not-aligned"),
        (
            local_at(day + 90, 9, 0),
            "urn:arreta:problem:slot-beyond-horizon",
        ),
    ];
    for (start, kind) in cases {
        let (status, problem) =
            refused(&app, post(&app).json(&booking_body("PADRON-ALTA", start))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{start}");
        assert_eq!(problem["type"], kind, "{start}");
    }
}

#[tokio::test]
async fn malformed_citizen_data_is_refused_field_by_field_in_basque() {
    let app = vitoria().await;
    let mut body = booking_body("PADRON-ALTA", good_slot());
    body["citizen"]["national_id"] = json!("12345678A");
    body["citizen"]["email"] = json!("miren@");
    body["citizen"]["phone"] = json!("12");
    body["language"] = json!("fr");
    let (status, problem) = refused(
        &app,
        post(&app)
            .header("accept-language", "eu-ES,es;q=0.5")
            .json(&body),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["type"], "urn:arreta:problem:invalid-input");
    assert_eq!(problem["title"], "Datu baliogabeak");
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().expect("field").into(),
                e["message"].as_str().expect("message").into(),
            )
        })
        .collect();
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "language",
            "citizen.national_id",
            "citizen.email",
            "citizen.phone"
        ]
    );
    assert!(
        errors[1].1.contains("(Z izan beharko litzateke)"),
        "{}",
        errors[1].1
    );
}

#[tokio::test]
async fn a_malformed_dni_is_explained_in_spanish_by_default() {
    let app = vitoria().await;
    let mut body = booking_body("PADRON-ALTA", good_slot());
    body["citizen"]["national_id"] = json!("1234");
    let (_, problem) = refused(&app, post(&app).json(&body)).await;
    assert_eq!(problem["title"], "Datos no válidos");
    assert_eq!(problem["errors"][0]["field"], "citizen.national_id");
    assert_eq!(
        problem["errors"][0]["message"],
        "Un DNI tiene 8 cifras y una letra; un NIE, X, Y o Z, 7 cifras y una letra."
    );
}

#[tokio::test]
async fn unknown_missing_and_mistyped_json_fields_are_refused() {
    let app = vitoria().await;
    let mut body = booking_body("PADRON-ALTA", good_slot());
    body["nickname"] = json!("Miren");
    let (status, problem) = refused(&app, post(&app).json(&body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "nickname");
    assert_eq!(problem["errors"][0]["message"], "Campo desconocido.");

    let mut body = booking_body("PADRON-ALTA", good_slot());
    body["citizen"]["nick"] = json!("M");
    let (_, problem) = refused(&app, post(&app).json(&body)).await;
    assert_eq!(problem["errors"][0]["field"], "citizen.nick");

    let mut body = booking_body("PADRON-ALTA", good_slot());
    body.as_object_mut().expect("object").remove("procedure");
    let (_, problem) = refused(&app, post(&app).json(&body)).await;
    assert_eq!(problem["errors"][0]["field"], "procedure");
    assert_eq!(problem["errors"][0]["message"], "Campo obligatorio.");

    let mut body = booking_body("PADRON-ALTA", good_slot());
    body["start"] = json!("tomorrow at ten");
    let (_, problem) = refused(&app, post(&app).json(&body)).await;
    assert_eq!(problem["errors"][0]["field"], "start");

    let mut body = booking_body("PADRON-ALTA", good_slot());
    body["channel"] = json!("fax");
    let (_, problem) = refused(&app, post(&app).json(&body)).await;
    assert_eq!(
        problem["errors"][0]["message"],
        "Valores admitidos: web, phone_010, counter."
    );
}

#[tokio::test]
async fn an_oversize_body_a_wrong_content_type_and_broken_json_are_refused() {
    let app = vitoria().await;
    let mut body = booking_body("PADRON-ALTA", good_slot());
    body["citizen"]["name"] = json!("a".repeat(100 * 1024));
    let (status, problem) = refused(&app, post(&app).json(&body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem["type"], "urn:arreta:problem:payload-too-large");

    let text = serde_json::to_string(&booking_body("PADRON-ALTA", good_slot())).expect("json");
    let (status, problem) = refused(
        &app,
        post(&app)
            .header("content-type", "text/plain")
            .body(text.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem["type"], "urn:arreta:problem:unsupported-media-type");
    let (status, _) = refused(&app, post(&app).body(text)).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let (status, problem) = refused(
        &app,
        post(&app)
            .header("content-type", "application/json")
            .body("{\"procedure\": "),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["type"], "urn:arreta:problem:malformed-json");
    let trailing = format!(
        "{} {{}}",
        serde_json::to_string(&booking_body("PADRON-ALTA", good_slot())).expect("json")
    );
    let (status, _) = refused(
        &app,
        post(&app)
            .header("content-type", "application/json")
            .body(trailing),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_citizen_cannot_book_as_the_010_line_nor_manage_cases() {
    let app = vitoria().await;
    let citizen = app.client.post(app.url("/v1/requests"));
    let (status, problem) = refused(
        &app,
        citizen.json(&booking_body("PADRON-ALTA", good_slot())),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["type"], "urn:arreta:problem:forbidden");
    let id = uuid::Uuid::now_v7();
    let (status, _) = refused(
        &app,
        app.client
            .post(app.url(&format!("/v1/requests/{id}/close")))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn commands_on_unknown_requests_are_404() {
    let app = vitoria().await;
    let id = uuid::Uuid::now_v7();
    let (status, _) = refused(
        &app,
        as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/reschedule"))),
        )
        .json(&json!({ "start": good_slot().to_rfc3339() })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = refused(
        &app,
        as_clerk(app.client.get(app.url("/v1/requests/not-a-uuid"))),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = refused(
        &app,
        app.client
            .get(app.url("/v1/availability?procedure=PADRON-ALTA&from=2026-13-01")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"][0]["field"], "from");
    let (status, problem) = refused(
        &app,
        app.client
            .get(app.url("/v1/availability?procedure=PADRON-ALTA&color=red")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"][0]["field"], "color");
}

#[tokio::test]
async fn bad_document_requests_are_explained_and_write_nothing() {
    let app = vitoria().await;
    let start = good_slot();
    let booked = app.book(&booking_body("PADRON-ALTA", start)).await;
    assert_eq!(booked.status(), StatusCode::CREATED);
    let case: Value = booked.json().await.expect("json");
    let id = case["id"].as_str().expect("id").to_string();
    let before = app.db.event_count().await;
    let label = json!({ "eu": "NANa", "es": "DNI" });
    let due = (start - chrono::Duration::hours(1)).to_rfc3339();
    for (body, status, kind, language, words) in [
        (
            json!({ "documents": [label], "due_at": (start + chrono::Duration::hours(1)).to_rfc3339() }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "documents-due",
            "eu",
            "Epe baliogabea",
        ),
        (
            json!({ "documents": [], "due_at": due }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "document-count",
            "es",
            "Número de documentos no válido",
        ),
        (
            json!({ "documents": [{ "eu": "NANa", "es": " " }], "due_at": due }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "document-label",
            "es",
            "Nombre de documento no válido",
        ),
    ] {
        let response = as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/document-requests"))),
        )
        .header("accept-language", language)
        .json(&body)
        .send()
        .await
        .expect("sent");
        assert_eq!(response.status(), status);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["type"], format!("urn:arreta:problem:{kind}"));
        assert_eq!(problem["title"], words);
    }
    let malformed = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/document-requests"))),
    )
    .json(&json!({ "documents": [label], "due_at": "tomorrow" }))
    .send()
    .await
    .expect("sent");
    assert!(malformed.status().is_client_error());
    assert_eq!(app.db.event_count().await, before, "nothing was written");
}

#[tokio::test]
async fn bad_identity_and_signature_bodies_name_every_field_and_write_nothing() {
    let app = tests::spawn_app().await;
    let id = tests::book_case(&app, 6).await;
    let before = app.db.event_count().await;
    for (path, body, fields) in [
        (
            "identity",
            json!({ "method": "document_on_camera", "document": {
                "kind": "licence", "national_id": "12345678A", "name": " ", "expires_on": "2030-01-01" } }),
            vec!["document.kind", "document.national_id", "document.name"],
        ),
        ("identity", json!({ "method": "telepathy" }), vec!["method"]),
        (
            "identity",
            json!({ "method": "identity_provider" }),
            vec!["id_token"],
        ),
        (
            "signatures",
            json!({ "kind": "wish", "addressee": "Registro", "method": "smoke_signal",
                    "document_id": "0190a0b0-0000-7000-8000-000000000000",
                    "form": { "facts": "a", "petition": "b", "place": "c" } }),
            vec!["kind", "method", "document_id"],
        ),
    ] {
        let response = as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/{path}"))),
        )
        .header("accept-language", "eu")
        .json(&body)
        .send()
        .await
        .expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["type"], "urn:arreta:problem:invalid-input");
        assert_eq!(problem["title"], "Datu baliogabeak");
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(named, fields, "{problem}");
    }
    assert_eq!(app.db.event_count().await, before, "nothing was written");
}
