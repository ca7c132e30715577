//! Keeping in step with the municipal appointment system: inbound appointments by reference,
//! outbound signed webhooks from the log (retries, order per case, no echo).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, Utc};
use hmac::{Hmac, Mac};
use infrastructure::municipal::{WebhookReactor, WebhookSender, request_id};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use tests::mail::ManualClock;
use tests::webhook::{Answer, Endpoint};
use tests::{
    TestApp, as_clerk, as_role, booking_body, for_tests, local_at, open_settings, spawn_app_with,
};
use uuid::Uuid;

const SECRET: &str = "a-webhook-secret-of-at-least-32-bytes";
const FEED_SECRET: &str = "a-feed-secret-of-at-least-32-bytes!";

struct Rig {
    app: TestApp,
    endpoint: Endpoint,
    reactor: WebhookReactor,
    sender: WebhookSender,
    clock: Arc<ManualClock>,
}

impl Rig {
    async fn new(script: &[Answer]) -> Self {
        let endpoint = Endpoint::start(script).await;
        let mut settings = for_tests(open_settings());
        settings.municipal.webhook_url = Some(endpoint.url());
        settings.municipal.webhook_secret = Some(SECRET.into());
        settings.municipal.timeout_seconds = 1;
        settings.municipal.retry_base_seconds = 60;
        settings.municipal.feed_secret = Some(FEED_SECRET.into());
        let app = spawn_app_with(settings).await;
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let (reactor, sender) = api::server::webhooks(&app.state, clock.clone())
            .await
            .expect("webhooks start")
            .expect("a webhook is configured");
        Self {
            app,
            endpoint,
            reactor,
            sender,
            clock,
        }
    }

    async fn push_at(&self, at: DateTime<Utc>) -> infrastructure::municipal::Pushed {
        self.app.db.run_reactor(&self.reactor).await;
        self.clock.set(at);
        self.sender.run_once().await.expect("a webhook round")
    }

    async fn clerk(&self, path: &str, body: Value) -> Value {
        let response = as_clerk(self.app.client.post(self.app.url(path)))
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.expect("json")
    }

    async fn municipal(&self, body: &Value) -> (StatusCode, Value) {
        let response = as_role(
            self.app
                .client
                .post(self.app.url("/v1/integrations/municipal/appointments")),
            "municipal_sync",
        )
        .json(body)
        .send()
        .await
        .expect("sent");
        let status = response.status();
        (status, response.json().await.expect("json"))
    }
}

fn appointment(reference: &str, status: &str, start: DateTime<Utc>) -> Value {
    let mut body = booking_body("PADRON-ALTA", start);
    body.as_object_mut().expect("object").remove("channel");
    body["reference"] = json!(reference);
    body["status"] = json!(status);
    body
}

fn verify(delivery: &tests::webhook::Delivery) {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(delivery.body.as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        delivery.signature, expected,
        "the signature covers the exact body"
    );
}

#[tokio::test]
async fn changes_made_here_are_pushed_signed_in_order_per_case_and_once() {
    // A 500, then an answer slower than the 1 s timeout, then OK.
    let rig = Rig::new(&[Answer::Status(500), Answer::Slow(Duration::from_secs(2))]).await;
    let start = local_at(3, 10, 0);
    let booked = rig
        .clerk("/v1/requests", booking_body("PADRON-ALTA", start))
        .await;
    let id = booked["id"].as_str().expect("id").to_string();
    rig.clerk(
        &format!("/v1/requests/{id}/reschedule"),
        json!({ "start": local_at(4, 9, 0).to_rfc3339() }),
    )
    .await;
    rig.clerk(
        &format!("/v1/requests/{id}/cancel"),
        json!({ "reason": "Ezin dut" }),
    )
    .await;
    let t0 = Utc::now();

    // Only the case's first event is tried while it fails; the others wait behind it.
    let first = rig.push_at(t0).await;
    assert_eq!((first.delivered, first.retried), (0, 1), "{first:?}");
    assert_eq!(
        rig.push_at(t0 + Span::seconds(30)).await,
        Default::default(),
        "not before the backoff"
    );
    let second = rig.push_at(t0 + Span::seconds(61)).await;
    assert_eq!(
        (second.delivered, second.retried),
        (0, 1),
        "timed out: {second:?}"
    );
    let last = rig.push_at(t0 + Span::hours(1)).await;
    assert_eq!((last.delivered, last.retried), (3, 0), "{last:?}");
    assert_eq!(
        rig.push_at(t0 + Span::days(1)).await,
        Default::default(),
        "nothing twice"
    );

    let attempts = rig.endpoint.deliveries();
    assert_eq!(attempts.len(), 5);
    // Every attempt of the first event carried the same id and the same bytes.
    assert!(
        attempts[..3]
            .iter()
            .all(|a| a.event_id == attempts[0].event_id && a.body == attempts[0].body)
    );
    let accepted = rig.endpoint.accepted();
    let types: Vec<String> = accepted
        .iter()
        .map(|d| d.json()["type"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "eus.vitoria-gasteiz.arreta.appointment.booked",
            "eus.vitoria-gasteiz.arreta.appointment.rescheduled",
            "eus.vitoria-gasteiz.arreta.appointment.cancelled",
        ]
    );
    let mut ids = Vec::new();
    for delivery in &accepted {
        verify(delivery);
        assert_eq!(delivery.content_type, "application/cloudevents+json");
        let event = delivery.json();
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["id"], delivery.event_id);
        assert_eq!(event["subject"], id.as_str());
        assert_eq!(event["source"], "urn:arreta:vitoria-gasteiz");
        assert_eq!(event["data"]["procedure"], "PADRON-ALTA");
        assert_eq!(event["data"]["citizen"]["national_id"], "12345678Z");
        ids.push(delivery.event_id.clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "three events, three ids");
    let moved = accepted[1].json();
    assert_eq!(moved["data"]["previous_start"], json!(start));
    assert_eq!(moved["data"]["start"], json!(local_at(4, 9, 0)));
    assert_eq!(accepted[2].json()["data"]["status"], "cancelled");
    assert_eq!(accepted[2].json()["data"]["reason"], "Ezin dut");
}

#[tokio::test]
async fn municipal_appointments_apply_by_reference_idempotently_and_are_not_echoed() {
    let rig = Rig::new(&[]).await;
    let reference = format!("CITA-{}", Uuid::new_v4().simple());
    let start = local_at(3, 11, 0);

    let (status, created) = rig
        .municipal(&appointment(&reference, "booked", start))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["outcome"], "created");
    let id = created["case"]["id"].as_str().expect("id").to_string();
    assert_eq!(id, request_id(&reference).to_string());
    assert_eq!(created["case"]["channel"], "municipal_sync");
    assert_eq!(created["case"]["external_reference"], reference.as_str());
    let events = rig.app.db.event_count().await;

    // A replay changes nothing.
    let (status, replay) = rig
        .municipal(&appointment(&reference, "booked", start))
        .await;
    assert_eq!(
        (status, replay["outcome"].as_str()),
        (StatusCode::OK, Some("unchanged"))
    );
    assert_eq!(rig.app.db.event_count().await, events);

    // Moved there: moved here, once.
    let later = local_at(3, 12, 0);
    let (status, moved) = rig
        .municipal(&appointment(&reference, "booked", later))
        .await;
    assert_eq!(
        (status, moved["outcome"].as_str()),
        (StatusCode::OK, Some("rescheduled"))
    );
    let (_, again) = rig
        .municipal(&appointment(&reference, "booked", later))
        .await;
    assert_eq!(again["outcome"], "unchanged");

    // Nothing that came from the municipal system goes back to it.
    assert_eq!(rig.push_at(Utc::now()).await, Default::default());

    // A change made here does.
    rig.clerk(
        &format!("/v1/requests/{id}/reschedule"),
        json!({ "start": local_at(3, 13, 0).to_rfc3339() }),
    )
    .await;
    assert_eq!(rig.push_at(Utc::now()).await.delivered, 1);
    let pushed = rig.endpoint.accepted();
    assert_eq!(pushed.len(), 1);
    assert_eq!(
        pushed[0].json()["data"]["external_reference"],
        reference.as_str()
    );
    assert_eq!(
        pushed[0].json()["type"],
        "eus.vitoria-gasteiz.arreta.appointment.rescheduled"
    );

    // Cancelled there: cancelled here, not echoed, and a replay is unchanged.
    let mut cancel = appointment(&reference, "cancelled", local_at(3, 13, 0));
    cancel["reason"] = json!("Herritarrak deitu du");
    let (status, cancelled) = rig.municipal(&cancel).await;
    assert_eq!(
        (status, cancelled["outcome"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    assert_eq!(cancelled["case"]["status"], "cancelled");
    let (_, again) = rig.municipal(&cancel).await;
    assert_eq!(again["outcome"], "unchanged");
    assert_eq!(rig.push_at(Utc::now()).await, Default::default());
    assert_eq!(rig.endpoint.deliveries().len(), 1);
}

#[tokio::test]
async fn municipal_appointments_that_cannot_apply_are_refused_clearly_and_write_nothing() {
    let rig = Rig::new(&[]).await;
    let start = local_at(3, 9, 0);
    for _ in 0..2 {
        rig.clerk("/v1/requests", booking_body("PADRON-ALTA", start))
            .await;
    }
    let events = rig.app.db.event_count().await;
    let refused = |status: StatusCode, problem: &Value, kind: &str| {
        assert_eq!(
            problem["type"],
            format!("urn:arreta:problem:{kind}"),
            "{problem}"
        );
        assert_eq!(problem["status"], status.as_u16());
    };

    let (status, problem) = rig
        .municipal(&appointment("CITA-FULL", "booked", start))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    refused(status, &problem, "slot-full");

    let (status, problem) = rig
        .municipal(&appointment("CITA-NEVER", "cancelled", start))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    refused(status, &problem, "not-found");

    let mut bad = appointment("", "maybe", start);
    bad["citizen"]["national_id"] = json!("12345678A");
    let (status, problem) = rig.municipal(&bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["reference", "status", "citizen.national_id"]);
    assert_eq!(rig.app.db.event_count().await, events, "nothing written");

    // The procedure of a reference cannot change.
    let (status, _) = rig
        .municipal(&appointment("CITA-OK", "booked", local_at(3, 10, 0)))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut other = appointment("CITA-OK", "booked", local_at(3, 10, 0));
    other["procedure"] = json!("QUEJA");
    let (status, problem) = rig.municipal(&other).await;
    assert_eq!(status, StatusCode::CONFLICT);
    refused(status, &problem, "procedure-changed");

    // Only the municipal system may call.
    let response = as_clerk(
        rig.app
            .client
            .post(rig.app.url("/v1/integrations/municipal/appointments")),
    )
    .json(&appointment("CITA-CLERK", "booked", local_at(3, 10, 0)))
    .send()
    .await
    .expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// Runs `arreta sync reconcile` on the rig's database; (exit code, report).
fn reconcile(rig: &Rig, export: &Value, fix: bool) -> (i32, Value) {
    let config = tests::write_config(&rig.app.state.settings);
    let file =
        tests::tempfile_path::TempFile::with_content("arreta-export", ".json", &export.to_string());
    let mut command = std::process::Command::new(tests::arreta_binary());
    command
        .args(["sync", "reconcile", "--file"])
        .arg(file.path())
        .env("ARRETA_CONFIG", config.path())
        .env("ARRETA_DATABASE_URL", &rig.app.db.url)
        .env("RUST_LOG", "warn");
    if fix {
        command.arg("--fix");
    }
    let output = command.output().expect("arreta runs");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "a JSON report; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

fn differences(report: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = report["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| {
            (
                d["reference"].as_str().unwrap_or_default().to_string(),
                d["kind"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn reconciliation_reports_seeded_differences_and_fixes_them_without_echo() {
    let rig = Rig::new(&[]).await;
    let (a, b, c) = (local_at(3, 9, 0), local_at(3, 10, 0), local_at(3, 11, 0));
    for (reference, start) in [("CITA-A", a), ("CITA-B", b)] {
        let (status, _) = rig
            .municipal(&appointment(reference, "booked", start))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // Booked here by a clerk with a reference the export will not list.
    let mut d = booking_body("PADRON-ALTA", local_at(3, 12, 0));
    d["external_reference"] = json!("CITA-D");
    rig.clerk("/v1/requests", d).await;
    rig.app.db.wait_for_projections().await;
    // The export: A as it is, B moved there, C never sent here.
    let moved_b = local_at(3, 13, 0);
    let export = json!([
        appointment("CITA-A", "booked", a),
        appointment("CITA-B", "booked", moved_b),
        appointment("CITA-C", "booked", c),
    ]);

    let (code, report) = reconcile(&rig, &export, false);
    assert_eq!(code, 2, "{report}");
    assert_eq!(report["compared"], 3);
    assert_eq!(
        differences(&report),
        [
            ("CITA-B".to_string(), "differs".to_string()),
            ("CITA-C".to_string(), "missing_here".to_string()),
            ("CITA-D".to_string(), "missing_there".to_string()),
        ]
    );
    let events = rig.app.db.event_count().await;

    let (code, fixed) = reconcile(&rig, &export, true);
    assert_eq!(code, 2, "CITA-D can only be reported: {fixed}");
    let fixes: Vec<(String, Value)> = fixed["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| {
            (
                d["reference"].as_str().unwrap_or_default().to_string(),
                d["fix"].clone(),
            )
        })
        .collect();
    assert!(
        fixes.contains(&("CITA-B".into(), json!({ "Ok": "rescheduled" }))),
        "{fixed}"
    );
    assert!(
        fixes.contains(&("CITA-C".into(), json!({ "Ok": "created" }))),
        "{fixed}"
    );
    assert!(rig.app.db.event_count().await > events);

    rig.app.db.wait_for_projections().await;
    let (_, after) = reconcile(&rig, &export, false);
    assert_eq!(
        differences(&after),
        [("CITA-D".to_string(), "missing_there".to_string())]
    );
    let case_b: Value = rig
        .app
        .get_json_as("clerk", &format!("/v1/requests/{}", request_id("CITA-B")))
        .await;
    assert_eq!(case_b["slot"]["start"], json!(moved_b));

    // Only the clerk's booking goes to the municipal system; the fixes came from it.
    assert_eq!(rig.push_at(Utc::now()).await.delivered, 1);
    let pushed = rig.endpoint.accepted();
    assert_eq!(pushed[0].json()["data"]["external_reference"], "CITA-D");
}

/// `arreta sync feed-url` for the rig's configuration.
fn feed_path(rig: &Rig, args: &[&str]) -> String {
    let config = tests::write_config(&rig.app.state.settings);
    let output = std::process::Command::new(tests::arreta_binary())
        .args(["sync", "feed-url"])
        .args(args)
        .env("ARRETA_CONFIG", config.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("arreta runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// (UID, DTSTART) of every VEVENT of a feed.
fn feed_events(text: &str) -> Vec<(String, String)> {
    let unfolded = icalendar::parser::unfold(text);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect("the feed parses");
    calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .map(|event| {
            let get = |name: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.val.as_str().to_string())
                    .unwrap_or_default()
            };
            (get("UID"), get("DTSTART"))
        })
        .collect()
}

#[tokio::test]
async fn clerk_and_room_feeds_show_their_own_appointments_to_their_own_token_only() {
    let rig = Rig::new(&[]).await;
    let start = local_at(3, 9, 0);
    let first = rig
        .clerk("/v1/requests", booking_body("PADRON-ALTA", start))
        .await;
    let second = rig
        .clerk("/v1/requests", booking_body("PADRON-ALTA", start))
        .await;
    let (first, second) = (
        first["id"].as_str().expect("id"),
        second["id"].as_str().expect("id"),
    );
    rig.clerk(
        &format!("/v1/requests/{first}/clerk"),
        json!({ "clerk": "clerk-03" }),
    )
    .await;
    rig.app.db.wait_for_projections().await;
    let get = |path: String| {
        let client = rig.app.client.clone();
        let url = rig.app.url(&path);
        async move { client.get(url).send().await.expect("sent") }
    };
    let dtstart = start.format("%Y%m%dT%H%M%SZ").to_string();

    let clerk_path = feed_path(&rig, &["--clerk", "clerk-03"]);
    let response = get(clerk_path.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let text = response.text().await.expect("body");
    assert_eq!(
        feed_events(&text),
        [(
            format!("{first}@arreta.vitoria-gasteiz.eus"),
            dtstart.clone()
        )]
    );
    assert!(!text.contains("Miren"), "no citizen's name in a feed");

    let room_path = feed_path(&rig, &["--room", "2"]);
    let text = get(room_path.clone()).await.text().await.expect("body");
    assert_eq!(
        feed_events(&text),
        [(format!("{second}@arreta.vitoria-gasteiz.eus"), dtstart)]
    );

    // Another feed's token, no token, an unknown clerk.
    let room_token = room_path.split("token=").nth(1).expect("token");
    let wrong = get(format!("/v1/feeds/clerks/clerk-03.ics?token={room_token}")).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get("/v1/feeds/clerks/clerk-03.ics".into()).await.status(),
        StatusCode::BAD_REQUEST
    );
    let unknown = clerk_path.replace("clerk-03", "clerk-99");
    assert_eq!(get(unknown).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_redirect_from_the_receiver_is_retried_never_followed() {
    let rig = Rig::new(&[Answer::Redirect]).await;
    let booked = rig
        .clerk(
            "/v1/requests",
            booking_body("PADRON-ALTA", local_at(3, 10, 0)),
        )
        .await;
    let id = booked["id"].as_str().expect("id").to_string();
    let t0 = Utc::now();
    let first = rig.push_at(t0).await;
    assert_eq!((first.delivered, first.retried), (0, 1), "{first:?}");
    assert_eq!(rig.endpoint.followed(), 0, "the redirect was not followed");
    let error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM webhook_outbox WHERE request_id = $1")
            .bind(uuid::Uuid::parse_str(&id).expect("uuid"))
            .fetch_one(&rig.app.db.pool)
            .await
            .expect("outbox row");
    assert!(
        error.as_deref().is_some_and(|e| e.contains("302")),
        "{error:?}"
    );
    let again = rig.push_at(t0 + Span::hours(1)).await;
    assert_eq!(again.delivered, 1, "{again:?}");
    let accepted = rig.endpoint.accepted();
    assert_eq!(accepted.len(), 1);
    verify(&accepted[0]);
}

#[tokio::test]
async fn one_external_reference_names_one_case_whichever_side_booked_it() {
    let rig = Rig::new(&[]).await;
    let start = local_at(3, 10, 0);
    let mut body = booking_body("PADRON-ALTA", start);
    body["external_reference"] = json!("CITA-D");
    let booked = rig.clerk("/v1/requests", body).await;
    let id = booked["id"].as_str().expect("id").to_string();
    assert_eq!(id, request_id("CITA-D").to_string());
    // The municipal system's own "booked" for it is the same case, unchanged.
    let (status, answer) = rig.municipal(&appointment("CITA-D", "booked", start)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "unchanged", "{answer}");
    assert_eq!(answer["case"]["id"], id.as_str(), "{answer}");
    // And its "cancelled" finds it.
    let (status, answer) = rig
        .municipal(&appointment("CITA-D", "cancelled", start))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "cancelled", "{answer}");
    assert_eq!(
        rig.app
            .db
            .count("SELECT count(*) FROM events WHERE event_type = 'AppointmentBooked'")
            .await,
        1,
        "one case, one room"
    );
}

#[tokio::test]
async fn identical_first_deliveries_at_once_book_once_and_answer_created_once() {
    let rig = Rig::new(&[]).await;
    let body = appointment("CITA-X", "booked", local_at(5, 10, 0));
    let answers = futures::future::join_all((0..6).map(|_| rig.municipal(&body))).await;
    let created = answers
        .iter()
        .filter(|(s, a)| *s == StatusCode::CREATED && a["outcome"] == "created")
        .count();
    let replays = answers
        .iter()
        .filter(|(s, a)| *s == StatusCode::OK && a["outcome"] == "unchanged")
        .count();
    assert_eq!((created, replays), (1, 5), "{answers:?}");
}
