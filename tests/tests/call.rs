//! The video call through the api: opening within the window, at most two calls at once and a
//! clerk in one call, consent through the join link, and the signalling WebSocket relaying
//! between exactly the two participants.

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, booking_body, issue_link, open_settings, spawn_app_with, staff_token};
use tokio_tungstenite::tungstenite::Message;

async fn app() -> TestApp {
    let mut settings = open_settings();
    settings.call.early_join_minutes = 60;
    spawn_app_with(settings).await
}

/// Books the quarter hour `quarters` after the next one (the window opens an hour before).
async fn book_soon(app: &TestApp, quarters: i64) -> String {
    let response = app
        .book(&booking_body("PADRON-ALTA", tests::soon_slot(quarters)))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn start_as(app: &TestApp, id: &str, clerk: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/requests/{id}/call/start")))
        .bearer_auth(staff_token("clerk", clerk))
        .send()
        .await
        .expect("sent")
}

async fn end_as(app: &TestApp, id: &str, clerk: &str) -> StatusCode {
    app.client
        .post(app.url(&format!("/v1/requests/{id}/call/end")))
        .bearer_auth(staff_token("clerk", clerk))
        .send()
        .await
        .expect("sent")
        .status()
}

#[tokio::test]
async fn a_third_simultaneous_call_is_refused_and_a_clerk_is_in_one_call() {
    let app = app().await;
    // Three appointments whose windows are all open now (rooms 1 and 2, then room 1 again).
    let first = book_soon(&app, 0).await;
    let second = book_soon(&app, 0).await;
    let third = book_soon(&app, 2).await;
    assert_eq!(
        start_as(&app, &first, "clerk-01").await.status(),
        StatusCode::OK
    );
    let busy = start_as(&app, &second, "clerk-01").await;
    assert_eq!(busy.status(), StatusCode::CONFLICT);
    let problem: Value = busy.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:arreta:problem:clerk-in-call");
    assert_eq!(
        start_as(&app, &second, "clerk-02").await.status(),
        StatusCode::OK
    );
    let before = app.db.event_count().await;
    let full = app
        .client
        .post(app.url(&format!("/v1/requests/{third}/call/start")))
        .bearer_auth(staff_token("clerk", "clerk-03"))
        .header("Accept-Language", "eu")
        .send()
        .await
        .expect("sent");
    assert_eq!(full.status(), StatusCode::CONFLICT);
    let problem: Value = full.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:arreta:problem:calls-full");
    assert_eq!(problem["title"], "Dei guztiak okupatuta");
    assert_eq!(
        app.db.event_count().await,
        before,
        "a refused call writes nothing"
    );
    // Another clerk cannot take over a call in progress.
    assert_eq!(
        start_as(&app, &first, "clerk-03").await.status(),
        StatusCode::CONFLICT
    );
    // Once one call ends, the third opens.
    assert_eq!(end_as(&app, &first, "clerk-01").await, StatusCode::OK);
    assert_eq!(
        start_as(&app, &third, "clerk-03").await.status(),
        StatusCode::OK
    );
    // Ending twice changes nothing.
    let events = app.db.event_count().await;
    assert_eq!(end_as(&app, &first, "clerk-01").await, StatusCode::OK);
    assert_eq!(app.db.event_count().await, events);
}

#[tokio::test]
async fn a_call_opens_only_inside_its_window_and_consent_needs_a_call() {
    let mut settings = open_settings();
    settings.call.early_join_minutes = 5;
    let app = spawn_app_with(settings).await;
    // Tomorrow at 10:00: far outside a 5-minute early join.
    let response = app
        .book(&booking_body("PADRON-ALTA", tests::local_at(1, 10, 0)))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let later = response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let early = start_as(&app, &later, "clerk-01").await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    let problem: Value = early.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:arreta:problem:call-outside-window");
    let join = issue_link(&app, &later, "join").await;
    let consent = app
        .client
        .post(app.url(&format!("/v1/requests/{later}/call/consent")))
        .bearer_auth(&join)
        .json(&json!({ "decision": "given", "wording_version": "v1", "language": "es" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(consent.status(), StatusCode::CONFLICT);
    let problem: Value = consent.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:arreta:problem:no-call-in-progress");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text message, as JSON.
async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).expect("json");
        }
    }
}

#[tokio::test]
async fn signalling_relays_between_exactly_the_two_participants_of_the_call() {
    let app = app().await;
    let id = book_soon(&app, 0).await;
    let join = issue_link(&app, &id, "join").await;
    let ws = |token: &str| {
        format!(
            "ws://{}/v1/requests/{id}/call/signal?token={token}",
            app.address
        )
    };
    // No call yet: refused.
    assert!(tokio_tungstenite::connect_async(ws(&join)).await.is_err());
    assert_eq!(
        start_as(&app, &id, "clerk-01").await.status(),
        StatusCode::OK
    );
    // A clerk who is not in the call, and a link of another purpose, are refused.
    assert!(
        tokio_tungstenite::connect_async(ws(&staff_token("clerk", "clerk-09")))
            .await
            .is_err()
    );
    let manage = issue_link(&app, &id, "manage").await;
    assert!(tokio_tungstenite::connect_async(ws(&manage)).await.is_err());

    let (mut citizen, _) = tokio_tungstenite::connect_async(ws(&join))
        .await
        .expect("the citizen connects");
    // One connection per participant.
    assert!(tokio_tungstenite::connect_async(ws(&join)).await.is_err());
    let (mut clerk, _) = tokio_tungstenite::connect_async(ws(&staff_token("clerk", "clerk-01")))
        .await
        .expect("the clerk connects");
    assert_eq!(next(&mut citizen).await["type"], "peer-joined");
    let offer = json!({ "type": "offer", "sdp": "v=0 ..." });
    clerk
        .send(Message::Text(offer.to_string().into()))
        .await
        .expect("sent");
    assert_eq!(next(&mut citizen).await, offer);
    let candidate = json!({ "type": "candidate", "candidate": "candidate:1 1 UDP ..." });
    citizen
        .send(Message::Text(candidate.to_string().into()))
        .await
        .expect("sent");
    assert_eq!(next(&mut clerk).await, candidate);
    // Anything else is refused, not relayed.
    citizen
        .send(Message::Text(json!({ "type": "exec" }).to_string().into()))
        .await
        .expect("sent");
    assert_eq!(next(&mut citizen).await["type"], "refused");
    citizen.close(None).await.expect("closed");
    assert_eq!(next(&mut clerk).await["type"], "peer-left");
}
