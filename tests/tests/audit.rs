//! Auditors' tools: the hash chain names tampering, a case replays to any version, and a whole
//! case file exports as one document.

use cqrs_es::Aggregate;
use domain::citizen_request::{CitizenRequest, CitizenRequestEvent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, as_clerk, as_role, booking_body, local_at, spawn_app};

async fn case_with_events(
    app: &TestApp,
    day: i64,
    reschedules: i64,
    cancel: bool,
) -> (String, Vec<Value>) {
    let created: Value = app
        .book(&booking_body("PADRON-ALTA", local_at(day, 9, 0)))
        .await
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_string();
    let mut answers = vec![created];
    for n in 1..=reschedules {
        let moved = as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/reschedule"))),
        )
        .json(&json!({ "start": local_at(day + n, 9, 30).to_rfc3339() }))
        .send()
        .await
        .expect("reschedule");
        assert_eq!(moved.status(), StatusCode::OK);
        answers.push(moved.json().await.expect("json"));
    }
    if cancel {
        let cancelled = as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/cancel"))),
        )
        .json(&json!({ "reason": "auditing" }))
        .send()
        .await
        .expect("cancel");
        answers.push(cancelled.json().await.expect("json"));
    }
    (id, answers)
}

async fn verification(app: &TestApp, id: &str) -> Value {
    app.get_json_as("auditor", &format!("/v1/requests/{id}/history/verify"))
        .await
}

fn audit_verify(app: &TestApp, args: &[&str]) -> (bool, String) {
    let config = tests::write_config(&tests::open_settings());
    let output = std::process::Command::new(tests::arreta_binary())
        .args(["audit", "verify"])
        .args(args)
        .env("ARRETA_CONFIG", config.path())
        .env("ARRETA_DATABASE_URL", &app.db.url)
        .output()
        .expect("arreta audit verify runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test]
async fn verification_names_an_altered_payload_an_altered_metadata_value_and_a_deleted_event() {
    let app = spawn_app().await;
    let (a, _) = case_with_events(&app, 3, 2, false).await;
    let (b, _) = case_with_events(&app, 7, 1, true).await;
    let (c, _) = case_with_events(&app, 11, 2, false).await;
    let (clean, _) = case_with_events(&app, 15, 1, false).await;
    for id in [&a, &b, &c, &clean] {
        let v = verification(&app, id).await;
        assert_eq!(v["intact"], true, "{v}");
    }
    let (ok, report) = audit_verify(&app, &["--all"]);
    assert!(ok, "{report}");
    assert!(report.contains("every hash chain is intact"), "{report}");

    // Someone with database rights goes around the application's append-only rule.
    let mut conn = app.db.conn().await;
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_append_only")
        .execute(&mut conn)
        .await
        .expect("disable");
    sqlx::query(
        "UPDATE events SET payload = jsonb_set(payload::jsonb, '{AppointmentRescheduled,slot,minutes}', '45')::json \
         WHERE aggregate_id = $1 AND sequence = 2",
    )
    .bind(&a)
    .execute(&mut conn)
    .await
    .expect("alter payload");
    sqlx::query(
        "UPDATE events SET metadata = (metadata::jsonb || '{\"actor\": \"staff:someone-else\"}')::json \
         WHERE aggregate_id = $1 AND sequence = 1",
    )
    .bind(&b)
    .execute(&mut conn)
    .await
    .expect("alter metadata");
    sqlx::query("DELETE FROM events WHERE aggregate_id = $1 AND sequence = 2")
        .bind(&c)
        .execute(&mut conn)
        .await
        .expect("delete");
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_append_only")
        .execute(&mut conn)
        .await
        .expect("enable");

    let v = verification(&app, &a).await;
    assert_eq!(v["intact"], false);
    assert_eq!(v["first_mismatch"]["kind"], "altered");
    assert_eq!(v["first_mismatch"]["sequence"], 2);
    let v = verification(&app, &b).await;
    assert_eq!(
        (
            v["first_mismatch"]["kind"].as_str(),
            v["first_mismatch"]["sequence"].as_i64()
        ),
        (Some("altered"), Some(1))
    );
    let v = verification(&app, &c).await;
    assert_eq!(
        (
            v["first_mismatch"]["kind"].as_str(),
            v["first_mismatch"]["sequence"].as_i64()
        ),
        (Some("missing"), Some(2))
    );
    assert_eq!(verification(&app, &clean).await["intact"], true);

    let (ok, report) = audit_verify(&app, &["--all"]);
    assert!(!ok, "a tampered database must not verify: {report}");
    assert!(
        report.contains(&format!("CitizenRequest/{a}: event #2 (global position")),
        "{report}"
    );
    assert!(
        report.contains(&format!("CitizenRequest/{b}: event #1 (global position")),
        "{report}"
    );
    assert!(
        report.contains(&format!("CitizenRequest/{c}: event #2 is missing")),
        "{report}"
    );
    assert!(!report.contains(&clean), "{report}");
    let (ok, _) = audit_verify(&app, &["--case", &clean]);
    assert!(ok);
    let (ok, report) = audit_verify(&app, &["--case", &a]);
    assert!(!ok && report.contains("was altered"), "{report}");
}

#[tokio::test]
async fn a_case_replays_to_each_version_as_the_aggregate_stood_then() {
    let app = spawn_app().await;
    let (id, answers) = case_with_events(&app, 3, 4, true).await;
    let history: Value = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/history"))
        .await;
    let events: Vec<CitizenRequestEvent> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| serde_json::from_value(item["payload"].clone()).expect("event"))
        .collect();
    assert_eq!(events.len(), answers.len());
    let mut aggregate = CitizenRequest::default();
    for (version, event) in (1..).zip(events) {
        aggregate.apply(event);
        let replayed: Value = app
            .get_json_as(
                "auditor",
                &format!("/v1/requests/{id}/history?as_of={version}"),
            )
            .await;
        let state = &replayed["state"];
        assert_eq!(state["version"], version);
        assert_eq!(
            replayed["items"].as_array().expect("items").len(),
            version as usize
        );
        assert_eq!(
            state["status"],
            aggregate.status().as_str(),
            "version {version}"
        );
        let booking = aggregate.booking().expect("booked");
        assert_eq!(
            state["slot"]["start"],
            json!(booking.slot.start),
            "version {version}"
        );
        assert_eq!(state["room"], booking.room, "version {version}");
        // And as the command that made this version answered at the time.
        let answer = &answers[version as usize - 1];
        for field in ["status", "slot", "room", "reschedule_count", "cancellation"] {
            assert_eq!(state[field], answer[field], "{field} at version {version}");
        }
    }
    let beyond = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history?as_of=99"))),
        "auditor",
    )
    .send()
    .await
    .expect("history");
    assert_eq!(beyond.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_case_file_exports_as_one_document() {
    let app = spawn_app().await;
    let (id, _) = case_with_events(&app, 3, 1, true).await;
    let export: Value = app
        .get_json_as("supervisor", &format!("/v1/requests/{id}/export"))
        .await;
    assert_eq!(export["version"], 3);
    assert_eq!(export["state"]["status"], "cancelled");
    assert_eq!(export["verification"]["intact"], true);
    let events = export["events"].as_array().expect("events");
    assert_eq!(events.len(), 3);
    assert!(
        events
            .iter()
            .all(|e| e["chain_hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    assert_eq!(events[0]["metadata"]["actor"], "staff:clerk-01");
    let clerk = as_clerk(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/export"))),
    )
    .send()
    .await
    .expect("export");
    assert_eq!(clerk.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_daily_anchor_reveals_a_deleted_last_event_and_a_rewritten_anchor() {
    let app = spawn_app().await;
    let (a, _) = case_with_events(&app, 3, 1, true).await;
    let (_b, _) = case_with_events(&app, 8, 1, false).await;
    let key = infrastructure::anchors::SealingKeys::development(&tests::test_keys_dir())
        .expect("sealing key");
    let today = chrono::Utc::now().date_naive();
    let mut conn = app.db.conn().await;
    assert!(
        infrastructure::anchors::anchor_day(&mut conn, today, &key)
            .await
            .expect("anchor")
    );
    assert!(
        !infrastructure::anchors::anchor_day(&mut conn, today, &key)
            .await
            .expect("anchor"),
        "anchored once"
    );
    let (checked, breaks) = infrastructure::anchors::verify_anchors(&mut conn, &key)
        .await
        .expect("verify");
    assert_eq!((checked, breaks.len()), (1, 0));
    let (ok, report) = audit_verify(&app, &["--all"]);
    assert!(ok && report.contains("1 daily anchors checked"), "{report}");

    // The last event of a case leaves no gap in its chain; only the anchor shows it is gone.
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_append_only")
        .execute(&mut conn)
        .await
        .expect("disable");
    sqlx::query("DELETE FROM events WHERE aggregate_id = $1 AND sequence = 3")
        .bind(&a)
        .execute(&mut conn)
        .await
        .expect("delete");
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_append_only")
        .execute(&mut conn)
        .await
        .expect("enable");
    assert_eq!(
        verification(&app, &a).await["intact"],
        true,
        "the chain alone cannot see it"
    );
    let (_, breaks) = infrastructure::anchors::verify_anchors(&mut conn, &key)
        .await
        .expect("verify");
    assert_eq!(breaks.len(), 1);
    assert_eq!(breaks[0].day, today);
    assert!(
        breaks[0].reason.contains("altered, deleted or added"),
        "{}",
        breaks[0].reason
    );
    let (ok, report) = audit_verify(&app, &["--all"]);
    assert!(
        !ok && report.contains(&format!("anchor of {today}")),
        "{report}"
    );

    // Rewriting the anchor to match the tampered events breaks its seal.
    let (heads, digest) = infrastructure::anchors::heads_digest(
        &mut conn,
        chrono::Utc::now() + chrono::Duration::days(1),
    )
    .await
    .expect("digest");
    sqlx::query("UPDATE audit_anchors SET heads = $1, digest = $2")
        .bind(heads as i32)
        .bind(digest)
        .execute(&mut conn)
        .await
        .expect("rewrite");
    let (_, breaks) = infrastructure::anchors::verify_anchors(&mut conn, &key)
        .await
        .expect("verify");
    assert_eq!(breaks.len(), 1);
    assert!(
        breaks[0].reason.contains("differs from what was sealed"),
        "{}",
        breaks[0].reason
    );
}
