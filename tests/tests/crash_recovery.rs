//! kill -9 of the server during a burst of bookings: after a restart every committed event is in
//! every read model exactly once, and a rebuild from position zero gives identical rows.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, SubsecRound as _, Utc};
use domain::agenda::AgendaEvent;
use infrastructure::read_models;
use projections::LogPosition;
use projections::agenda::{AgendaChange, AgendaEntry, change};
use rand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ServerProcess, TestDb, as_clerk, booking_body, local_at, open_settings, write_config};
use tokio::sync::Mutex;
use uuid::Uuid;

/// Books and moves appointments on random days from 16 clients until told to stop; returns the
/// ids of the cases the server confirmed.
async fn burst(address: std::net::SocketAddr, stop: Arc<AtomicBool>) -> Vec<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let confirmed = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (client, stop, confirmed) = (client.clone(), stop.clone(), confirmed.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let (day, slot) = {
                        let mut rng = rand::rng();
                        (rng.random_range(1..200), rng.random_range(0..40))
                    };
                    let start = local_at(day, 8 + slot / 4, (slot % 4) * 15);
                    let sent = as_clerk(client.post(format!("http://{address}/v1/requests")))
                        .json(&booking_body("PADRON-ALTA", start))
                        .send()
                        .await;
                    let Ok(response) = sent else { break };
                    if response.status() != StatusCode::CREATED {
                        continue;
                    }
                    let Ok(case) = response.json::<Value>().await else {
                        break;
                    };
                    let id = case["id"].as_str().expect("id").to_string();
                    confirmed.lock().await.push(id.clone());
                    if slot % 3 == 0 {
                        let moved = local_at(day + 1, 8 + slot / 4, (slot % 4) * 15);
                        let _ = as_clerk(
                            client.post(format!("http://{address}/v1/requests/{id}/reschedule")),
                        )
                        .json(&json!({ "start": moved.to_rfc3339() }))
                        .send()
                        .await;
                    } else if slot % 5 == 0 {
                        let _ = as_clerk(
                            client.post(format!("http://{address}/v1/requests/{id}/cancel")),
                        )
                        .json(&json!({ "reason": "test" }))
                        .send()
                        .await;
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    Arc::try_unwrap(confirmed)
        .expect("workers done")
        .into_inner()
}

/// The agenda rows the events say there should be, folded in log order.
async fn expected_agenda(db: &TestDb) -> Vec<AgendaEntry> {
    let mut conn = db.conn().await;
    let events = infrastructure::global_log::read_after(
        &mut conn,
        &tests::test_personal_data(),
        LogPosition::START,
        i64::MAX,
    )
    .await
    .expect("log");
    let mut rows: BTreeMap<(Uuid, DateTime<Utc>), AgendaEntry> = BTreeMap::new();
    for event in events.iter().filter(|e| e.aggregate_type == "Agenda") {
        match change(&event.decode::<AgendaEvent>().expect("agenda event")) {
            AgendaChange::Insert(mut entry) => {
                // PostgreSQL keeps microseconds; the event's JSON keeps nanoseconds.
                entry.reserved_at = entry.reserved_at.trunc_subsecs(6);
                assert!(
                    rows.insert((entry.request_id, entry.slot_start), entry)
                        .is_none()
                );
            }
            AgendaChange::Remove {
                request_id,
                slot_start,
            } => {
                assert!(rows.remove(&(request_id, slot_start)).is_some());
            }
            AgendaChange::AssignClerk {
                request_id,
                slot_start,
                clerk,
            } => {
                rows.get_mut(&(request_id, slot_start))
                    .expect("reserved")
                    .clerk = Some(clerk);
            }
            AgendaChange::Nothing => {}
        }
    }
    let mut rows: Vec<AgendaEntry> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        (a.day, a.slot_start, a.room, a.request_id).cmp(&(
            b.day,
            b.slot_start,
            b.room,
            b.request_id,
        ))
    });
    rows
}

async fn assert_read_models_match_events(db: &TestDb) {
    let cases: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT aggregate_id, max(sequence), count(*) FROM events WHERE aggregate_type = 'CitizenRequest' GROUP BY aggregate_id",
    )
    .fetch_all(&db.pool)
    .await
    .expect("cases");
    let mut conn = db.conn().await;
    let summaries = read_models::all_case_summaries(&mut conn)
        .await
        .expect("summaries");
    assert_eq!(summaries.len(), cases.len(), "one summary per case");
    let by_id: BTreeMap<String, _> = summaries
        .iter()
        .map(|s| (s.request_id.to_string(), s))
        .collect();
    for (id, version, count) in &cases {
        let summary = by_id
            .get(id)
            .unwrap_or_else(|| panic!("case {id} has no summary"));
        assert_eq!(summary.version, *version, "case {id}");
        assert_eq!(
            summary.events_applied, *count,
            "case {id}: an event applied twice or skipped"
        );
    }
    let agenda = read_models::agenda(&mut conn, None).await.expect("agenda");
    let expected = expected_agenda(db).await;
    assert_eq!(agenda.len(), expected.len(), "agenda rows");
    for (row, want) in agenda.iter().zip(&expected) {
        assert_eq!(row, want);
    }
    let total = db.event_count().await;
    for name in infrastructure::projector::NAMES {
        let applied = db
            .count(&format!(
                "SELECT events_applied FROM projector_checkpoints WHERE projector = '{name}'"
            ))
            .await;
        assert_eq!(
            applied, total,
            "{name} applied every logged event exactly once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_and_doubles_nothing() {
    let db = TestDb::new().await;
    let config = write_config(&open_settings());
    let server = ServerProcess::start(config.path(), &db.url);
    let stop = Arc::new(AtomicBool::new(false));
    let clients = tokio::spawn(burst(server.address, stop.clone()));
    // Let the burst run, then kill the server with requests and projector batches in flight.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.kill_9();
    stop.store(true, Ordering::Relaxed);
    let confirmed = clients.await.expect("clients");
    assert!(
        confirmed.len() > 20,
        "the burst booked too little to prove anything: {}",
        confirmed.len()
    );

    // Every booking the server confirmed is committed.
    for id in &confirmed {
        let booked = db
            .count(&format!(
                "SELECT count(*) FROM events WHERE aggregate_type = 'CitizenRequest' AND aggregate_id = '{id}' AND sequence = 1"
            ))
            .await;
        assert_eq!(booked, 1, "confirmed booking {id} was lost");
    }

    let restarted = ServerProcess::start(config.path(), &db.url);
    db.wait_for_projections().await;
    restarted.kill_9();
    // A commit the killed server had already sent may still land after the kill: wait until none
    // of its backends is busy, so the log has its final length.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while db
        .count(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'",
        )
        .await
        > 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the killed server's backends stay busy"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The restarted server's mail sender may have recorded a NotificationSent after the wait:
    // bring every projection to the end of the log before comparing.
    for projector in infrastructure::projector::all(chrono_tz::Europe::Madrid) {
        db.run_reactor(projector.as_ref()).await;
    }
    assert_read_models_match_events(&db).await;

    // A rebuild from position zero, by the operator's command, gives identical rows.
    let mut conn = db.conn().await;
    let summaries_before = read_models::all_case_summaries(&mut conn)
        .await
        .expect("summaries");
    let agenda_before = read_models::agenda(&mut conn, None).await.expect("agenda");
    let far = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).expect("date");
    let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let report_before = read_models::report_daily(&mut conn, epoch, far)
        .await
        .expect("report");
    let output = std::process::Command::new(tests::arreta_binary())
        .args(["projections", "rebuild"])
        .env("ARRETA_CONFIG", config.path())
        .env("ARRETA_DATABASE_URL", &db.url)
        .output()
        .expect("arreta projections rebuild runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("case_summary: rebuilt from")
            && report.contains("agenda: rebuilt from")
            && report.contains("report: rebuilt from"),
        "{report}"
    );
    assert_eq!(
        read_models::all_case_summaries(&mut conn)
            .await
            .expect("summaries"),
        summaries_before
    );
    assert_eq!(
        read_models::agenda(&mut conn, None).await.expect("agenda"),
        agenda_before
    );
    assert!(!report_before.is_empty());
    assert_eq!(
        read_models::report_daily(&mut conn, epoch, far)
            .await
            .expect("report"),
        report_before
    );
    assert_read_models_match_events(&db).await;
}
