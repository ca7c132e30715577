//! What outside probes of the running server asked for (issue 18's hardening list), each item
//! checked from outside.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{as_clerk, booking_body, local_at, spawn_app};

#[tokio::test]
async fn answers_carrying_personal_data_are_never_stored_nor_sniffed() {
    let app = spawn_app().await;
    let booked = app
        .web_book(&booking_body("QUEJA", local_at(3, 9, 0)))
        .await;
    assert_eq!(booked.status(), StatusCode::CREATED);
    let check = |what: &str, response: &reqwest::Response| {
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap_or_default()),
            Some("no-store"),
            "{what}"
        );
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap_or_default()),
            Some("nosniff"),
            "{what}"
        );
    };
    check("the booking answer, with its manage token", &booked);
    let case: Value = booked.json().await.expect("json");
    let id = case["id"].as_str().expect("id");
    let read = as_clerk(app.client.get(app.url(&format!("/v1/requests/{id}"))))
        .send()
        .await
        .expect("read");
    check("a case read by staff", &read);
    let by_link = app
        .client
        .get(app.url(&format!("/v1/requests/{id}")))
        .bearer_auth(case["manage_token"].as_str().expect("token"))
        .send()
        .await
        .expect("read");
    check("a case read by its link", &by_link);
    let problem = app
        .client
        .post(app.url("/v1/requests"))
        .json(&json!({ "procedure": "QUEJA" }))
        .send()
        .await
        .expect("refused");
    assert!(problem.status().is_client_error());
    check("a problem", &problem);
    let history = tests::as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
        "auditor",
    )
    .send()
    .await
    .expect("history");
    check("a history", &history);
}

#[tokio::test]
async fn a_client_request_id_is_echoed_only_when_short_and_plain() {
    let app = spawn_app().await;
    let sent = |id: String| {
        let request = as_clerk(app.client.post(app.url("/v1/requests")))
            .header("x-request-id", id)
            .json(&booking_body("QUEJA", local_at(4, 9, 0)));
        async move { request.send().await.expect("sent") }
    };
    let plain = sent("support-4711.a:b".into()).await;
    assert_eq!(plain.headers()["x-request-id"], "support-4711.a:b");
    // 64 KiB of id: the booking is made and answered with a fresh, short id.
    let huge = sent("x".repeat(64 * 1024)).await;
    assert_eq!(huge.status(), StatusCode::CREATED);
    let echoed = huge.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed}");
    let odd = sent("a b\"<>".into()).await;
    let echoed = odd.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed}");
}

#[tokio::test]
async fn request_headers_are_bounded_well_under_64_kib() {
    let app = spawn_app().await;
    let with_padding = |bytes: usize| {
        let request = app
            .client
            .get(app.url("/v1/procedures"))
            .header("accept-language", "eu")
            .header("x-padding", "p".repeat(bytes));
        async move { request.send().await.expect("sent") }
    };
    assert_eq!(with_padding(7 * 1024).await.status(), StatusCode::OK);
    let refused = with_padding(20 * 1024).await;
    assert_eq!(
        refused.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = refused.json().await.expect("json");
    assert_eq!(problem["type"], "urn:arreta:problem:headers-too-large");
    assert_eq!(problem["title"], "Goiburu handiegiak");
    let huge = with_padding(64 * 1024).await;
    assert_eq!(huge.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}
