//! Report figures match figures counted by hand on a generated month of activity, in JSON and
//! CSV, and survive a rebuild from position zero.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Utc};
use futures::StreamExt;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{as_clerk, as_role, booking_body, local_at, open_settings, spawn_app_with};

const PROCEDURES: [&str; 6] = [
    "PADRON-ALTA",
    "PADRON-CERT",
    "QUEJA",
    "AYUDA-EMERGENCIA",
    "TRIBUTOS",
    "OBRA-MENOR",
];
const CHANNELS: [&str; 3] = ["web", "phone_010", "counter"];
const LANGUAGES: [&str; 2] = ["eu", "es"];

#[derive(Debug, Default, Clone, PartialEq)]
struct Expected {
    booked: i64,
    rescheduled_in: i64,
    rescheduled_out: i64,
    cancelled: i64,
    closed: i64,
    waiting_days: i64,
}

type Key = (NaiveDate, String, String, String);

#[derive(Clone)]
struct Case {
    id: String,
    procedure: &'static str,
    channel: &'static str,
    language: &'static str,
    day: i64,
}

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Madrid)
        .date_naive()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_figures_match_a_hand_count_of_a_generated_month() {
    // Six rooms, so that a month holds several thousand cases.
    let mut settings = open_settings();
    settings.calendar.rooms = 6;
    let app = spawn_app_with(settings).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let wanted: Vec<(i64, u32, u32, &str, &str, &str)> = (0..5000)
        .map(|_| {
            (
                rng.random_range(1..=30),
                rng.random_range(0..23),
                rng.random_range(0..4) * 15,
                PROCEDURES[rng.random_range(0..PROCEDURES.len())],
                CHANNELS[rng.random_range(0..CHANNELS.len())],
                LANGUAGES[rng.random_range(0..LANGUAGES.len())],
            )
        })
        .collect();
    let booked: Vec<Option<Case>> = futures::stream::iter(wanted)
        .map(|(day, hour, minute, procedure, channel, language)| {
            let app = &app;
            async move {
                let mut body = booking_body(procedure, local_at(day, hour, minute));
                body["channel"] = json!(channel);
                body["language"] = json!(language);
                let response = app.book(&body).await;
                if response.status() != StatusCode::CREATED {
                    assert_eq!(
                        response.status(),
                        StatusCode::CONFLICT,
                        "only a full slot may refuse"
                    );
                    return None;
                }
                let created: Value = response.json().await.expect("json");
                Some(Case {
                    id: created["id"].as_str().expect("id").to_string(),
                    procedure,
                    channel,
                    language,
                    day,
                })
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut cases: Vec<Case> = booked.into_iter().flatten().collect();
    assert!(
        cases.len() > 3500,
        "too few bookings to mean anything: {}",
        cases.len()
    );

    let mut expected: BTreeMap<Key, Expected> = BTreeMap::new();
    let key = |c: &Case, day: i64| {
        (
            today() + Duration::days(day),
            c.procedure.to_string(),
            c.channel.to_string(),
            c.language.to_string(),
        )
    };
    for case in &cases {
        let row = expected.entry(key(case, case.day)).or_default();
        row.booked += 1;
        row.waiting_days += case.day;
    }
    // A tenth cancelled, a tenth moved (some then cancelled), a tenth closed.
    for (n, case) in cases.iter_mut().enumerate() {
        let path = |what: &str| app.url(&format!("/v1/requests/{}/{what}", case.id));
        if n % 10 == 1 || n % 20 == 2 {
            let new_day = 31 + (n as i64 % 5);
            let moved = as_clerk(app.client.post(path("reschedule")))
                .json(&json!({ "start": local_at(new_day, 8 + (n as u32 % 12), 0).to_rfc3339() }))
                .send()
                .await
                .expect("reschedule");
            if moved.status() == StatusCode::OK {
                expected
                    .entry(key(case, case.day))
                    .or_default()
                    .rescheduled_out += 1;
                expected
                    .entry(key(case, new_day))
                    .or_default()
                    .rescheduled_in += 1;
                case.day = new_day;
            }
        }
        if n % 10 == 0 || n % 20 == 2 {
            let cancelled = as_clerk(app.client.post(path("cancel")))
                .json(&json!({}))
                .send()
                .await
                .expect("cancel");
            assert_eq!(cancelled.status(), StatusCode::OK);
            expected.entry(key(case, case.day)).or_default().cancelled += 1;
        } else if n % 10 == 3 {
            let closed = as_clerk(app.client.post(path("close")))
                .json(&json!({ "outcome": "resolved", "summary": "" }))
                .send()
                .await
                .expect("close");
            assert_eq!(closed.status(), StatusCode::OK);
            expected.entry(key(case, case.day)).or_default().closed += 1;
        }
    }
    app.db.wait_for_projections().await;

    let (from, to) = (today(), today() + Duration::days(40));
    let report: Value = app
        .get_json_as(
            "reporting",
            &format!("/v1/reports/daily?from={from}&to={to}"),
        )
        .await;
    let mut reported: BTreeMap<Key, Expected> = BTreeMap::new();
    for row in report["items"].as_array().expect("items") {
        let k: Key = (
            row["service_day"]
                .as_str()
                .expect("day")
                .parse()
                .expect("date"),
            row["procedure"].as_str().expect("procedure").into(),
            row["channel"].as_str().expect("channel").into(),
            row["language"].as_str().expect("language").into(),
        );
        let booked = row["booked"].as_i64().expect("booked");
        assert_eq!(row["no_shows"], 0);
        let waiting = row["mean_waiting_days"]
            .as_f64()
            .map_or(0, |m| (m * booked as f64).round() as i64);
        reported.insert(
            k,
            Expected {
                booked,
                rescheduled_in: row["rescheduled_in"].as_i64().expect("in"),
                rescheduled_out: row["rescheduled_out"].as_i64().expect("out"),
                cancelled: row["cancelled"].as_i64().expect("cancelled"),
                closed: row["closed"].as_i64().expect("closed"),
                waiting_days: waiting,
            },
        );
    }
    assert_eq!(reported.len(), expected.len(), "rows");
    for (k, want) in &expected {
        assert_eq!(reported.get(k), Some(want), "{k:?}");
    }

    let csv = as_role(
        app.client
            .get(app.url(&format!("/v1/reports/daily?from={from}&to={to}&format=csv"))),
        "supervisor",
    )
    .send()
    .await
    .expect("csv");
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    let text = csv.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "service_day,procedure,channel,language,booked,rescheduled_in,rescheduled_out,cancelled,no_shows,closed,mean_waiting_days"
    );
    assert_eq!(lines.len(), expected.len() + 1);
    let booked_in_csv: i64 = lines[1..]
        .iter()
        .map(|l| {
            l.split(',')
                .nth(4)
                .expect("booked")
                .parse::<i64>()
                .expect("number")
        })
        .sum();
    assert_eq!(booked_in_csv, cases.len() as i64);

    let occupancy: Value = app
        .get_json_as(
            "reporting",
            &format!("/v1/reports/occupancy?from={from}&to={to}"),
        )
        .await;
    let rooms = occupancy["rooms"].as_array().expect("rooms");
    assert!(!rooms.is_empty());
    assert!(rooms.iter().all(|r| {
        r["occupancy"]
            .as_f64()
            .is_some_and(|o| (0.0..=1.0).contains(&o))
    }));

    // The same figures after a rebuild from position zero.
    let before = infrastructure::read_models::report_daily(&mut app.db.conn().await, from, to)
        .await
        .expect("rows");
    let report = infrastructure::projector::ReportProjector {
        timezone: chrono_tz::Europe::Madrid,
    };
    infrastructure::projector::rebuild(&app.db.pool, app.state.booking.personal(), &report, 500)
        .await
        .expect("rebuild");
    let after = infrastructure::read_models::report_daily(&mut app.db.conn().await, from, to)
        .await
        .expect("rows");
    assert_eq!(before, after);
    let clerk = as_clerk(
        app.client
            .get(app.url(&format!("/v1/reports/daily?from={from}&to={to}"))),
    )
    .send()
    .await
    .expect("report");
    assert_eq!(clerk.status(), StatusCode::FORBIDDEN);
}
