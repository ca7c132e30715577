//! Crypto-shredding end to end: the citizen's data is stored sealed, read opened, and once the
//! case's key is erased it reads as erased everywhere while the hash chain still verifies.

use domain::citizen_request::{CitizenRequestCommand, ErasePersonalData};
use domain::metadata::EventMetadata;
use infrastructure::personal_data::{ErasureOutcome, erase_case};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, as_clerk, as_role, booking_body, local_at, spawn_app};
use uuid::Uuid;

const NAME: &str = "Miren Etxeberria Ruiz";
const DNI: &str = "12345678Z";
const EMAIL: &str = "miren@example.org";
const AGENT: &str = "Arreta-test-browser/1.0";
const REASON: &str = "Beste egun batean";

async fn booked_and_cancelled(app: &TestApp, day: i64) -> String {
    let created = as_clerk(app.client.post(app.url("/v1/requests")))
        .header("user-agent", AGENT)
        .json(&booking_body("PADRON-ALTA", local_at(day, 10, 0)))
        .send()
        .await
        .expect("booking");
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let cancelled = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .json(&json!({ "reason": REASON }))
    .send()
    .await
    .expect("cancel");
    assert_eq!(cancelled.status(), StatusCode::OK);
    id
}

fn system() -> EventMetadata {
    EventMetadata::system("retention", chrono::Utc::now(), Uuid::new_v4())
}

async fn stored_text(app: &TestApp, id: &str) -> String {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT payload::text || metadata::text FROM events WHERE aggregate_id = $1",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .expect("events");
    rows.into_iter().map(|(text,)| text).collect()
}

/// The case's events as the log opens them with `personal`'s keys.
async fn opened_events(
    app: &TestApp,
    personal: &infrastructure::personal_data::PersonalData,
    id: &str,
) -> Result<Vec<projections::LoggedEvent>, infrastructure::global_log::LogError> {
    let mut conn = app.db.pool.acquire().await.expect("connection");
    infrastructure::global_log::aggregate_events(&mut conn, personal, "CitizenRequest", id, None)
        .await
}

async fn erase(app: &TestApp, id: &str) -> ErasureOutcome {
    erase_case(
        &app.state.booking,
        &app.db.pool,
        app.state.booking.personal(),
        id.parse().expect("uuid"),
        &system(),
    )
    .await
    .expect("erasure")
}

#[tokio::test]
async fn the_log_holds_the_citizen_only_sealed_and_the_api_reads_it_opened() {
    let app = spawn_app().await;
    let id = booked_and_cancelled(&app, 3).await;
    let stored = stored_text(&app, &id).await;
    for secret in [NAME, DNI, EMAIL, "127.0.0.1", AGENT, REASON] {
        assert!(!stored.contains(secret), "{secret} is stored in clear");
    }
    // Agenda events carry no network details at all: they have no case key to seal them.
    let agenda: Vec<(String,)> =
        sqlx::query_as("SELECT metadata::text FROM events WHERE aggregate_type = 'Agenda'")
            .fetch_all(&app.db.pool)
            .await
            .expect("agenda events");
    assert!(!agenda.is_empty());
    assert!(agenda.iter().all(|(m,)| !m.contains("client_address")));
    app.db.wait_for_projections().await;

    let case = app
        .get_json_as("clerk", &format!("/v1/requests/{id}"))
        .await;
    assert_eq!(case["citizen"]["name"], NAME);
    assert_eq!(case["citizen"]["erased"], false);
    assert_eq!(case["cancellation"]["reason"], REASON);
    let history = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/history"))
        .await;
    let booked = &history["items"][0];
    assert_eq!(
        booked["payload"]["AppointmentBooked"]["citizen"]["national_id"],
        DNI
    );
    assert_eq!(booked["metadata"]["user_agent"], AGENT);
}

#[tokio::test]
async fn after_erasure_the_citizen_reads_as_erased_everywhere_and_the_chain_still_verifies() {
    let app = spawn_app().await;
    let id = booked_and_cancelled(&app, 3).await;
    let other = booked_and_cancelled(&app, 4).await;
    app.db.wait_for_projections().await;

    let outcome = erase(&app, &id).await;
    assert_eq!(
        outcome,
        ErasureOutcome {
            recorded_now: true,
            key_destroyed_now: true
        }
    );

    // The case read model is cleared at once, without waiting for its projector.
    let case = app
        .get_json_as("clerk", &format!("/v1/requests/{id}"))
        .await;
    assert_eq!(case["citizen"]["erased"], true);
    assert_eq!(case["citizen"]["name"], "");
    assert_eq!(case["citizen"]["national_id"], "");
    assert_eq!(
        case["procedure"], "PADRON-ALTA",
        "what is not personal stays"
    );
    assert_eq!(case["status"], "cancelled");
    assert_eq!(
        case["cancellation"]["reason"], "",
        "free text goes with the citizen"
    );
    assert_eq!(case["cancellation"]["by"], "council");

    let history = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/history"))
        .await;
    let items = history["items"].as_array().expect("items");
    assert_eq!(
        items[0]["payload"]["AppointmentBooked"]["citizen"],
        json!({"erased": true})
    );
    assert_eq!(items[0]["metadata"]["personal_data"], "erased");
    assert!(items[0]["metadata"].get("user_agent").is_none());
    assert_eq!(
        items.last().expect("last")["event_type"],
        "PersonalDataErased"
    );
    let text = history.to_string();
    assert!(!text.contains(DNI) && !text.contains(EMAIL) && !text.contains(NAME));
    assert!(!text.contains(REASON));

    let verified = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/history/verify"))
        .await;
    assert_eq!(verified["intact"], true, "{verified}");
    let export = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/export"))
        .await;
    assert_eq!(export["state"]["citizen"]["erased"], true);
    assert!(!export.to_string().contains(DNI));
    // The chain checks outside Arreta from the export alone: each event's stored text, hashed.
    let mut previous = "0".repeat(64);
    for event in export["events"].as_array().expect("events") {
        let text = |field: &str| event[field].as_str().expect(field).to_string();
        let stored = infrastructure::audit::StoredEvent {
            aggregate_type: "CitizenRequest".into(),
            aggregate_id: id.clone(),
            sequence: event["sequence"].as_i64().expect("sequence"),
            global_position: event["global_position"].as_i64().expect("position"),
            event_type: text("event_type"),
            event_version: text("event_version"),
            recorded_at: text("recorded_at").parse().expect("recorded_at"),
            payload: event["stored"]["payload"]
                .as_str()
                .expect("stored payload")
                .into(),
            metadata: event["stored"]["metadata"]
                .as_str()
                .expect("stored metadata")
                .into(),
            chain_hash: text("chain_hash"),
        };
        assert_eq!(
            infrastructure::audit::chain_hash(&previous, &stored),
            stored.chain_hash
        );
        previous = stored.chain_hash;
    }
    assert!(
        export["events"][0]["stored"]["payload"]
            .as_str()
            .expect("stored")
            .contains("\"sealed\"")
    );

    // Another case's key is untouched.
    let kept = app
        .get_json_as("clerk", &format!("/v1/requests/{other}"))
        .await;
    assert_eq!(kept["citizen"]["national_id"], DNI);

    // A rebuild from the log, after the key is gone, agrees.
    app.db.wait_for_projections().await;
    infrastructure::projector::rebuild(
        &app.db.pool,
        app.state.booking.personal(),
        &infrastructure::projector::CaseSummaryProjector,
        500,
    )
    .await
    .expect("rebuild");
    let rebuilt = app
        .get_json_as("clerk", &format!("/v1/requests/{id}"))
        .await;
    assert_eq!(rebuilt["citizen"]["erased"], true);
    assert_eq!(rebuilt["citizen"]["email"], "");
    let kept = app
        .get_json_as("clerk", &format!("/v1/requests/{other}"))
        .await;
    assert_eq!(kept["citizen"]["email"], EMAIL);
}

#[tokio::test]
async fn an_erasure_interrupted_after_its_record_is_finished_by_the_retry() {
    let app = spawn_app().await;
    let id = booked_and_cancelled(&app, 3).await;
    let request_id: Uuid = id.parse().expect("uuid");
    // The crash: the erasure was recorded, the key not yet destroyed.
    app.state
        .booking
        .execute(
            request_id,
            CitizenRequestCommand::ErasePersonalData(ErasePersonalData {
                at: app.state.booking.now(),
            }),
            &system(),
            None,
        )
        .await
        .expect("recorded");
    // The key is still there: the log still opens. (The case summary may already be cleared,
    // by its projector applying PersonalDataErased.)
    let events = opened_events(&app, app.state.booking.personal(), &id)
        .await
        .expect("events");
    assert_eq!(
        events[0].payload["AppointmentBooked"]["citizen"]["national_id"], DNI,
        "still readable"
    );

    let retried = erase(&app, &id).await;
    assert_eq!(
        retried,
        ErasureOutcome {
            recorded_now: false,
            key_destroyed_now: true
        }
    );
    let again = erase(&app, &id).await;
    assert_eq!(
        again,
        ErasureOutcome {
            recorded_now: false,
            key_destroyed_now: false
        }
    );
    let erased_events = app
        .db
        .count("SELECT count(*) FROM events WHERE event_type = 'PersonalDataErased'")
        .await;
    assert_eq!(erased_events, 1);
    let case = app
        .get_json_as("clerk", &format!("/v1/requests/{id}"))
        .await;
    assert_eq!(case["citizen"]["erased"], true);
}

#[tokio::test]
async fn an_open_case_is_not_erased_and_nothing_is_destroyed() {
    let app = spawn_app().await;
    let created = app
        .book(&booking_body("PADRON-ALTA", local_at(3, 10, 0)))
        .await;
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let refused = erase_case(
        &app.state.booking,
        &app.db.pool,
        app.state.booking.personal(),
        id.parse().expect("uuid"),
        &system(),
    )
    .await;
    assert!(refused.is_err());
    let destroyed = app
        .db
        .count("SELECT count(*) FROM case_keys WHERE erased_at IS NOT NULL")
        .await;
    assert_eq!(destroyed, 0);
    let case = app
        .get_json_as("clerk", &format!("/v1/requests/{id}"))
        .await;
    assert_eq!(case["citizen"]["national_id"], DNI);
    // The case goes on: an access by an auditor is still recorded and readable.
    let history = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
        "auditor",
    )
    .send()
    .await
    .expect("history");
    assert_eq!(history.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_rotated_wrapping_key_opens_every_case_and_the_old_one_can_go() {
    use infrastructure::personal_data::{
        KeyWrapper, LocalKeyFile, PersonalData, PersonalDataError, key_counts, rewrap,
    };
    use std::sync::Arc;

    let app = spawn_app().await;
    let id = booked_and_cancelled(&app, 3).await;
    let old = app.state.booking.personal().clone();
    let dir = std::env::temp_dir().join(format!("arreta-rotation-{}", Uuid::new_v4()));
    let new_key = LocalKeyFile::load_or_create(&dir.join("new.key")).expect("new key");
    let new_id = new_key.key_id().to_string();
    let rotating = PersonalData::new(Arc::new(new_key)).with_previous(vec![Arc::new(
        LocalKeyFile::load(&tests::test_keys_dir().join("personal-data.key")).expect("old key"),
    )]);
    let before = key_counts(&app.db.pool).await.expect("counts");
    assert_eq!(before.by_wrapping_key.len(), 1);
    assert_eq!(before.by_wrapping_key[0].0, old.key_id());

    let done = rewrap(&app.db.pool, &rotating).await.expect("rewrap");
    assert_eq!(done.keys, 1);
    assert_eq!(
        rewrap(&app.db.pool, &rotating).await.expect("again").keys,
        0
    );
    let after = key_counts(&app.db.pool).await.expect("counts");
    assert_eq!(after.by_wrapping_key, vec![(new_id, 1)]);

    // The new key alone opens the case; the old one alone no longer does.
    let new_only = PersonalData::new(Arc::new(
        LocalKeyFile::load(&dir.join("new.key")).expect("new key"),
    ));
    let events = opened_events(&app, &new_only, &id)
        .await
        .expect("opens under the new key");
    assert_eq!(
        events[0].payload["AppointmentBooked"]["citizen"]["national_id"],
        DNI
    );
    let refused = opened_events(&app, &old, &id).await;
    assert!(matches!(
        refused,
        Err(infrastructure::global_log::LogError::PersonalData(
            PersonalDataError::UnknownWrappingKey(_)
        ))
    ));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn arreta_personal_data_rewrap_moves_the_case_keys_under_the_new_wrapping_key() {
    use infrastructure::personal_data::{KeyWrapper, LocalKeyFile};

    let app = spawn_app().await;
    let id = booked_and_cancelled(&app, 3).await;
    let dir = std::env::temp_dir().join(format!("arreta-rotation-{}", Uuid::new_v4()));
    let new_path = dir.join("new.key");
    let new_id = LocalKeyFile::load_or_create(&new_path)
        .expect("new key")
        .key_id()
        .to_string();
    let mut settings = (*app.state.settings).clone();
    settings.personal_data.key_file = Some(new_path);
    settings.personal_data.previous_key_files =
        vec![tests::test_keys_dir().join("personal-data.key")];
    let config = tests::write_config(&settings);
    let run = |command: &str| {
        let output = std::process::Command::new(tests::arreta_binary())
            .args(["personal-data", command])
            .env("ARRETA_CONFIG", config.path())
            .env("ARRETA_DATABASE_URL", &app.db.url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("arreta personal-data runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let rewrapped = run("rewrap");
    assert!(
        rewrapped.contains(&format!("1 case key(s) wrapped again under {new_id}")),
        "{rewrapped}"
    );
    assert!(
        rewrapped.contains(&format!("{new_id} (current): 1 case key(s)")),
        "{rewrapped}"
    );
    let status = run("status");
    assert!(status.contains("0 case key(s) erased"), "{status}");
    // The service, on the new settings, still reads the case.
    let personal = infrastructure::personal_data::PersonalData::from_settings(&settings)
        .expect("new settings");
    let events = opened_events(&app, &personal, &id).await.expect("opens");
    assert_eq!(
        events[0].payload["AppointmentBooked"]["citizen"]["email"],
        EMAIL
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_document_s_name_is_sealed_and_once_erased_the_document_is_called_by_its_type() {
    let app = spawn_app().await;
    let created = app
        .book(&booking_body("PADRON-ALTA", local_at(3, 10, 0)))
        .await;
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let uploaded = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/documents"))),
    )
    .query(&[("name", "NAN_Miren_Etxeberria.pdf")])
    .header("content-type", "application/pdf")
    .body(b"%PDF-1.7\nsealed name\n".to_vec())
    .send()
    .await
    .expect("upload");
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    assert!(!stored_text(&app, &id).await.contains("NAN_Miren"));
    let listed = app
        .get_json_as("clerk", &format!("/v1/requests/{id}/documents"))
        .await;
    assert!(
        listed.to_string().contains("NAN_Miren_Etxeberria.pdf"),
        "{listed}"
    );

    let cancelled = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .json(&json!({ "reason": REASON }))
    .send()
    .await
    .expect("cancel");
    assert_eq!(cancelled.status(), StatusCode::OK);
    erase(&app, &id).await;
    let listed = app
        .get_json_as("clerk", &format!("/v1/requests/{id}/documents"))
        .await;
    let text = listed.to_string();
    assert!(!text.contains("NAN_Miren"), "{text}");
    assert!(text.contains("document.pdf"), "{text}");
}
