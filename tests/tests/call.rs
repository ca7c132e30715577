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
    // A clerk who is not in the call, a 010 operator, and a link of another purpose, are
    // refused.
    for (role, subject) in [("clerk", "clerk-09"), ("operator", "operator-01")] {
        assert!(
            tokio_tungstenite::connect_async(ws(&staff_token(role, subject)))
                .await
                .is_err(),
            "{role}"
        );
    }
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
    // Whoever comes first, both learn the other is there.
    assert_eq!(next(&mut citizen).await["type"], "peer-joined");
    assert_eq!(next(&mut clerk).await["type"], "peer-present");
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

#[tokio::test]
async fn the_two_sides_of_a_call_may_sit_on_two_api_replicas() {
    let app = app().await;
    let replica = app.replica().await;
    let id = book_soon(&app, 0).await;
    let join = issue_link(&app, &id, "join").await;
    assert_eq!(
        start_as(&app, &id, "clerk-01").await.status(),
        StatusCode::OK
    );
    let ws = |address: std::net::SocketAddr, token: &str| {
        format!("ws://{address}/v1/requests/{id}/call/signal?token={token}")
    };
    let (mut clerk, _) =
        tokio_tungstenite::connect_async(ws(app.address, &staff_token("clerk", "clerk-01")))
            .await
            .expect("the clerk connects to the first replica");
    let (mut citizen, _) = tokio_tungstenite::connect_async(ws(replica.address, &join))
        .await
        .expect("the citizen connects to the second");
    assert_eq!(next(&mut clerk).await["type"], "peer-joined");
    assert_eq!(next(&mut citizen).await["type"], "peer-present");
    // One socket per participant across replicas too.
    assert!(
        tokio_tungstenite::connect_async(ws(app.address, &join))
            .await
            .is_err()
    );
    // An offer larger than a NOTIFY payload (8000 bytes) crosses, in order with what follows.
    let offer = json!({ "type": "offer", "sdp": format!("v=0\r\n{}", "a=x\r\n".repeat(4000)) });
    let candidate =
        json!({ "type": "candidate", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host" });
    for message in [&offer, &candidate] {
        clerk
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("sent");
    }
    assert_eq!(next(&mut citizen).await, offer);
    assert_eq!(next(&mut citizen).await, candidate);
    let answer = json!({ "type": "answer", "sdp": "v=0" });
    citizen
        .send(Message::Text(answer.to_string().into()))
        .await
        .expect("sent");
    assert_eq!(next(&mut clerk).await, answer);
    // A reload: the citizen leaves and comes back through the other replica.
    citizen.close(None).await.expect("closed");
    assert_eq!(next(&mut clerk).await["type"], "peer-left");
    let (mut citizen, _) = tokio_tungstenite::connect_async(ws(app.address, &join))
        .await
        .expect("the citizen reconnects");
    assert_eq!(next(&mut citizen).await["type"], "peer-present");
    assert_eq!(next(&mut clerk).await["type"], "peer-joined");
}

#[tokio::test]
async fn the_call_says_who_waits_the_wording_and_issues_turn_credentials_per_participant() {
    let mut settings = open_settings();
    settings.call.early_join_minutes = 60;
    settings.call.turn = Some(infrastructure::calls::TurnSettings {
        urls: vec!["turn:127.0.0.1:3478?transport=udp".into()],
        secret: "a-shared-secret-for-coturn".into(),
        ttl_seconds: 600,
    });
    let app = spawn_app_with(settings).await;
    let id = book_soon(&app, 0).await;
    let join = issue_link(&app, &id, "join").await;
    let call_as = |token: String| {
        let request = app
            .client
            .get(app.url(&format!("/v1/requests/{id}/call")))
            .bearer_auth(token);
        async move {
            let response = request.send().await.expect("sent");
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.expect("json")
        }
    };
    let before = call_as(staff_token("clerk", "clerk-01")).await;
    assert_eq!(before["citizen_waiting"], false);
    // The wording in the case's language (Basque), with its version.
    assert_eq!(before["consent_wording"]["language"], "eu");
    assert!(
        before["consent_wording"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("grabatu"))
    );
    let presence = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/call/presence")))
        .bearer_auth(&join)
        .send()
        .await
        .expect("sent");
    assert_eq!(presence.status(), StatusCode::NO_CONTENT);
    let waiting = call_as(staff_token("clerk", "clerk-01")).await;
    assert_eq!(waiting["citizen_waiting"], true);
    // Each participant gets its own TURN credential, never a shared password; an auditor none.
    let turn = |view: &Value| {
        view["ice_servers"]
            .as_array()
            .expect("servers")
            .iter()
            .find(|s| {
                s["urls"][0]
                    .as_str()
                    .is_some_and(|u| u.starts_with("turn:"))
            })
            .cloned()
    };
    let citizen = call_as(join.clone()).await;
    let clerk = waiting;
    let (citizen_turn, clerk_turn) = (
        turn(&citizen).expect("the citizen's TURN"),
        turn(&clerk).expect("the clerk's TURN"),
    );
    assert_ne!(citizen_turn["username"], clerk_turn["username"]);
    let username = citizen_turn["username"].as_str().expect("username");
    assert!(username.ends_with(&format!(":{id}:citizen")), "{username}");
    assert_eq!(
        citizen_turn["credential"].as_str(),
        Some(
            infrastructure::calls::turn::password(b"a-shared-secret-for-coturn", username).as_str()
        )
    );
    let expiry: i64 = username
        .split(':')
        .next()
        .and_then(|e| e.parse().ok())
        .expect("expiry");
    let ahead = expiry - chrono::Utc::now().timestamp();
    assert!((590..=601).contains(&ahead), "{ahead} s");
    let auditor = call_as(staff_token("auditor", "auditor-01")).await;
    assert!(turn(&auditor).is_none(), "{auditor}");
}

#[tokio::test]
async fn cors_answers_the_pages_origin_only() {
    let app = app().await;
    let preflight = |origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/requests"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, idempotency-key",
            )
            .send()
    };
    // The local default's pages are on the origin of mail.public_url.
    let origin =
        infrastructure::cors::origin_of(&app.state.settings.mail.public_url).expect("an origin");
    let allowed = preflight(&origin).await.expect("sent");
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        origin.as_str()
    );
    assert!(
        allowed.headers()["access-control-allow-headers"]
            .to_str()
            .expect("text")
            .contains("idempotency-key")
    );
    let other = preflight("https://elsewhere.example").await.expect("sent");
    assert!(
        !other
            .headers()
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "{:?}",
        other.headers()
    );
    let read = app
        .client
        .get(app.url("/v1/procedures"))
        .header("origin", &origin)
        .send()
        .await
        .expect("sent");
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(
        read.headers()["access-control-allow-origin"],
        origin.as_str()
    );
    assert!(
        read.headers()["access-control-expose-headers"]
            .to_str()
            .expect("text")
            .contains("etag")
    );
}

#[tokio::test]
async fn in_the_call_the_citizen_uploads_and_downloads_what_the_clerk_handed_over() {
    let app = app().await;
    let id = book_soon(&app, 0).await;
    let join = issue_link(&app, &id, "join").await;
    let pdf = |text: &str| format!("%PDF-1.7\n{text}\n%%EOF\n").into_bytes();
    let upload = |token: String, name: &str, bytes: Vec<u8>| {
        app.client
            .post(app.url(&format!("/v1/requests/{id}/documents?name={name}")))
            .bearer_auth(token)
            .header("content-type", "application/pdf")
            .body(bytes)
            .send()
    };
    // Before the call the join link does not reach the document space.
    let early = upload(join.clone(), "nan.pdf", pdf("nan"))
        .await
        .expect("sent");
    assert_eq!(early.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        start_as(&app, &id, "clerk-01").await.status(),
        StatusCode::OK
    );
    let shown = upload(join.clone(), "nan.pdf", pdf("nan"))
        .await
        .expect("sent");
    assert_eq!(shown.status(), StatusCode::CREATED);
    let shown: Value = shown.json().await.expect("json");
    let handed = upload(
        staff_token("clerk", "clerk-01"),
        "ebazpena.pdf",
        pdf("ebazpena"),
    )
    .await
    .expect("sent");
    assert_eq!(handed.status(), StatusCode::CREATED);
    let handed: Value = handed.json().await.expect("json");
    let listed: Value = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/documents")))
        .bearer_auth(&join)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["documents"].as_array().map(Vec::len), Some(2));
    let read = |doc: &Value| {
        app.client
            .get(app.url(&format!(
                "/v1/requests/{id}/documents/{}/content?why=deian%20emana",
                doc["id"].as_str().expect("id")
            )))
            .bearer_auth(&join)
            .send()
    };
    let download = read(&handed).await.expect("sent");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.bytes().await.expect("bytes").as_ref(),
        pdf("ebazpena").as_slice()
    );
    // What the citizen uploaded is not read back through the join link.
    assert_eq!(
        read(&shown).await.expect("sent").status(),
        StatusCode::NOT_FOUND
    );
    let accesses = app
        .db
        .count(&format!(
            "SELECT count(*) FROM events WHERE aggregate_id = '{id}' AND event_type = 'DocumentAccessed' \
             AND payload -> 'DocumentAccessed' ->> 'by' = 'citizen:{id}'"
        ))
        .await;
    assert_eq!(accesses, 1, "the citizen's read is recorded");
    assert_eq!(end_as(&app, &id, "clerk-01").await, StatusCode::OK);
    let late = upload(join, "berria.pdf", pdf("berria"))
        .await
        .expect("sent");
    assert_eq!(late.status(), StatusCode::FORBIDDEN);
}
