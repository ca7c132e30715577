//! Booking over HTTP against a real PostgreSQL: capacity under concurrency, the lifecycle, and
//! the history with its metadata.

use std::collections::BTreeSet;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{as_clerk, booking_body, local_at, local_ten, spawn_app};

#[tokio::test]
async fn twenty_concurrent_bookings_into_one_slot_two_succeed_and_eighteen_get_409() {
    let app = spawn_app().await;
    let start = local_ten(3);
    let body = booking_body("PADRON-ALTA", start);
    let responses = join_all((0..20).map(|_| app.book(&body))).await;
    let mut created = Vec::new();
    let mut conflicts = 0;
    for response in responses {
        match response.status() {
            StatusCode::CREATED => created.push(response.json::<Value>().await.expect("json")),
            StatusCode::CONFLICT => {
                assert_eq!(
                    response.headers()["content-type"],
                    "application/problem+json"
                );
                let problem: Value = response.json().await.expect("problem");
                assert_eq!(problem["type"], "urn:arreta:problem:slot-full");
                assert_eq!(problem["status"], 409);
                conflicts += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created.len(), 2);
    assert_eq!(conflicts, 18);
    let rooms: BTreeSet<i64> = created
        .iter()
        .map(|c| c["room"].as_i64().expect("room"))
        .collect();
    assert_eq!(rooms, BTreeSet::from([1, 2]));
    // Exactly two bookings were written: 2 reservations and 2 cases, no stray events.
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE aggregate_type = 'Agenda'")
            .await,
        2
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE aggregate_type = 'CitizenRequest'")
            .await,
        2
    );

    app.db.wait_for_projections().await;
    let day = start.with_timezone(&chrono_tz::Europe::Madrid).date_naive();
    let agenda: Value = app
        .get_json_as("clerk", &format!("/v1/agenda?date={day}"))
        .await;
    let used: BTreeSet<i64> = agenda["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| {
            i["slot"]["start"] == json!(start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
        .map(|i| i["room"].as_i64().expect("room"))
        .collect();
    assert_eq!(used, BTreeSet::from([1, 2]));

    // The slot is no longer offered; the one after it still is, with both rooms.
    let availability: Value = app
        .client
        .get(app.url(&format!(
            "/v1/availability?procedure=PADRON-ALTA&from={day}&to={day}"
        )))
        .send()
        .await
        .expect("availability")
        .json()
        .await
        .expect("json");
    let offered: Vec<&Value> = availability["items"]
        .as_array()
        .expect("items")
        .iter()
        .collect();
    let start_text = start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(offered.iter().all(|s| s["start"] != json!(start_text)));
    let after =
        (start + chrono::Duration::minutes(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let next = offered
        .iter()
        .find(|s| s["start"] == json!(after))
        .expect("the next slot is offered");
    assert_eq!(next["free_rooms"], 2);
}

#[tokio::test]
async fn a_case_goes_through_its_lifecycle() {
    let app = spawn_app().await;
    let response = app.book(&booking_body("PADRON-ALTA", local_ten(2))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let case: Value = response.json().await.expect("json");
    let id = case["id"].as_str().expect("id").to_string();
    assert_eq!(location, format!("/v1/requests/{id}"));
    assert_eq!(case["status"], "booked");
    assert_eq!(case["language"], "eu");
    assert_eq!(case["citizen"]["phone"], "+34600123456");
    assert_eq!(
        case["slot"]["local_start"],
        local_ten(2)
            .with_timezone(&chrono_tz::Europe::Madrid)
            .to_rfc3339()
    );

    // Move it to another day: the new day holds it, the old one frees it.
    let new_start = local_at(4, 11, 30);
    let moved: Value = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/reschedule"))),
    )
    .json(&json!({ "start": new_start.to_rfc3339() }))
    .send()
    .await
    .expect("reschedule")
    .json()
    .await
    .expect("json");
    assert_eq!(moved["version"], 2);
    assert_eq!(moved["reschedule_count"], 1);
    app.db.wait_for_projections().await;
    let reservations: Vec<(chrono::DateTime<chrono::Utc>,)> =
        sqlx::query_as("SELECT slot_start FROM agenda_reservation WHERE request_id = $1::uuid")
            .bind(&id)
            .fetch_all(&app.db.pool)
            .await
            .expect("reservations");
    assert_eq!(reservations, vec![(new_start,)]);

    // Too early for a no-show; then cancelled; then nothing more.
    let early = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/no-show"))),
    )
    .send()
    .await
    .expect("no-show");
    assert_eq!(early.status(), StatusCode::CONFLICT);
    let cancelled = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .json(&json!({ "reason": "Ezin dut joan" }))
    .send()
    .await
    .expect("cancel");
    assert_eq!(cancelled.status(), StatusCode::OK);
    let cancelled: Value = cancelled.json().await.expect("json");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancellation"]["by"], "council");
    let close = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/close"))),
    )
    .header("accept-language", "eu")
    .json(&json!({ "outcome": "resolved", "summary": "x" }))
    .send()
    .await
    .expect("close");
    assert_eq!(close.status(), StatusCode::CONFLICT);
    assert_eq!(close.headers()["content-language"], "eu");
    let problem: Value = close.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:arreta:problem:case-cancelled");
    assert_eq!(problem["title"], "Hitzordua bertan behera");

    app.db.wait_for_projections().await;
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM agenda_reservation")
            .await,
        0
    );
    let fetched = app.get_case(&id).await;
    assert_eq!(fetched.headers()["etag"], "\"3\"");
    let fetched: Value = fetched.json().await.expect("json");
    assert_eq!(fetched["status"], "cancelled");
}

#[tokio::test]
async fn the_history_lists_events_in_order_with_who_and_from_where() {
    let app = spawn_app().await;
    let correlation = uuid::Uuid::now_v7();
    let response = as_clerk(app.client.post(app.url("/v1/requests")))
        .header("x-correlation-id", correlation.to_string())
        .header("user-agent", "010-desk/2.1")
        .json(&booking_body("QUEJA", local_ten(5)))
        .send()
        .await
        .expect("book");
    let id = response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .json(&json!({}))
    .send()
    .await
    .expect("cancel");

    let forbidden = as_clerk(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
    )
    .send()
    .await
    .expect("history");
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let history: Value = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/history"))
        .await;
    let items = history["items"].as_array().expect("items");
    let types: Vec<&str> = items
        .iter()
        .map(|i| i["event_type"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["AppointmentBooked", "AppointmentCancelled"]);
    assert_eq!(items[0]["sequence"], 1);
    assert!(items[0]["global_position"].as_i64() < items[1]["global_position"].as_i64());
    let metadata = &items[0]["metadata"];
    assert_eq!(metadata["actor"], "staff:clerk-01");
    assert_eq!(metadata["role"], "clerk");
    assert_eq!(metadata["correlation_id"], correlation.to_string());
    assert_eq!(metadata["client_address"], "127.0.0.1");
    assert_eq!(metadata["user_agent"], "010-desk/2.1");
    assert!(
        metadata["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert!(metadata["occurred_at"].as_str().is_some());
}

#[tokio::test]
async fn a_clerk_attends_one_appointment_at_a_time() {
    let app = spawn_app().await;
    let start = local_ten(6);
    let first: Value = app
        .book(&booking_body("PADRON-ALTA", start))
        .await
        .json()
        .await
        .expect("json");
    let second: Value = app
        .book(&booking_body("PADRON-ALTA", start))
        .await
        .json()
        .await
        .expect("json");
    let assign = |id: &str, clerk: &str| {
        as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/clerk"))),
        )
        .json(&json!({ "clerk": clerk }))
        .send()
    };
    let first_id = first["id"].as_str().expect("id");
    let second_id = second["id"].as_str().expect("id");
    assert_eq!(
        assign(first_id, "clerk-07").await.expect("assign").status(),
        StatusCode::OK
    );
    let busy = assign(second_id, "clerk-07").await.expect("assign");
    assert_eq!(busy.status(), StatusCode::CONFLICT);
    assert_eq!(
        busy.json::<Value>().await.expect("json")["type"],
        "urn:arreta:problem:clerk-busy"
    );
    let unknown = assign(second_id, "clerk-99").await.expect("assign");
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        assign(second_id, "clerk-08")
            .await
            .expect("assign")
            .status(),
        StatusCode::OK
    );

    app.db.wait_for_projections().await;
    let day = start.with_timezone(&chrono_tz::Europe::Madrid).date_naive();
    let agenda: Value = app
        .get_json_as("clerk", &format!("/v1/agenda?date={day}"))
        .await;
    let clerks: BTreeSet<&str> = agenda["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["clerk"].as_str())
        .collect();
    assert_eq!(clerks, BTreeSet::from(["clerk-07", "clerk-08"]));
    let load = agenda["clerks"].as_array().expect("clerks");
    assert_eq!(load.len(), 20);
}
