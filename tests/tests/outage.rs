//! A database outage: requests fail with a 503 problem and write nothing; once the database is
//! back, the client's retry (same Idempotency-Key) books exactly once.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tests::{CuttableProxy, TestDb, as_clerk, booking_body, local_at, open_settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_during_an_outage_is_503_writes_nothing_and_its_retry_books_once() {
    let db = TestDb::new().await;
    let target: SocketAddr = "127.0.0.1:5432".parse().expect("address");
    let proxy = CuttableProxy::start(target).await;
    let via_proxy = db.url.replace("127.0.0.1:5432", &proxy.address.to_string());
    assert_ne!(
        via_proxy, db.url,
        "the test database must be on 127.0.0.1:5432"
    );
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(2))
        .connect(&via_proxy)
        .await
        .expect("pool through the proxy");
    let mut settings = open_settings();
    settings.database_url = via_proxy;
    let state = api::server::state(pool, settings).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let app = api::app(state).into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, app).await;
    });
    let client = reqwest::Client::new();
    let book = || {
        as_clerk(client.post(format!("http://{address}/v1/requests")))
            .header("idempotency-key", "outage-0001")
            .json(&booking_body("PADRON-ALTA", local_at(4, 10, 0)))
            .send()
    };

    proxy.cut();
    let refused = book().await.expect("answered");
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:arreta:problem:service-unavailable");
    assert_eq!(
        db.event_count().await,
        0,
        "nothing written during the outage"
    );
    assert_eq!(db.count("SELECT count(*) FROM idempotency_keys").await, 0);

    proxy.restore();
    let mut booked = None;
    for _ in 0..20 {
        let response = book().await.expect("answered");
        if response.status() == StatusCode::CREATED {
            booked = Some(response.json::<Value>().await.expect("json"));
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let booked = booked.expect("the retry books once the database is back");
    let again = book().await.expect("answered");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(
        again.json::<Value>().await.expect("json")["id"],
        booked["id"]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM events WHERE aggregate_type = 'CitizenRequest'")
            .await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM events WHERE aggregate_type = 'Agenda'")
            .await,
        1
    );
}
