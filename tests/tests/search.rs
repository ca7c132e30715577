//! Staff search (`GET /v1/requests`): every filter, pagination, refusals, the record of searches
//! by personal data and the citizen's view of it; and the benchmark at 100,000 cases.

use std::collections::HashSet;

use domain::metadata::EventMetadata;
use infrastructure::personal_data::erase_case;
use infrastructure::staff_search::forget_searched_values;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, as_clerk, as_role, booking_body, issue_link, local_at, spawn_app};
use uuid::Uuid;

struct Person {
    name: &'static str,
    national_id: &'static str,
    email: &'static str,
    phone: &'static str,
}

const MIREN: Person = Person {
    name: "Miren Etxeberria Ruiz",
    national_id: "12345678Z",
    email: "miren@example.org",
    phone: "600123456",
};
const INIGO: Person = Person {
    name: "Íñigo Ibáñez Goñi",
    national_id: "X1234567L",
    email: "Inigo.Ibanez@Example.org",
    phone: "+34 611 22 33 44",
};
const ANE: Person = Person {
    name: "Ane Zubia",
    national_id: "87654321X",
    email: "ane@example.org",
    phone: "622000111",
};

async fn book(
    app: &TestApp,
    procedure: &str,
    day: i64,
    hour: u32,
    channel: &str,
    who: &Person,
    reference: Option<&str>,
) -> String {
    let mut body = booking_body(procedure, local_at(day, hour, 0));
    body["channel"] = json!(channel);
    body["citizen"] = json!({
        "name": who.name, "national_id": who.national_id, "email": who.email, "phone": who.phone,
    });
    if let Some(reference) = reference {
        body["external_reference"] = json!(reference);
    }
    let response = app.book(&body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "booking");
    response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn cancel(app: &TestApp, id: &str) {
    let cancelled = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .json(&json!({ "reason": "Beste egun batean" }))
    .send()
    .await
    .expect("cancel");
    assert_eq!(cancelled.status(), StatusCode::OK);
}

/// The ids a search answers (as `role`), checking the answer's shape.
async fn found(app: &TestApp, role: &str, query: &str) -> Vec<String> {
    let answer = app
        .get_json_as(role, &format!("/v1/requests?{query}"))
        .await;
    answer["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{query}: {answer}"))
        .iter()
        .map(|case| case["id"].as_str().expect("id").to_string())
        .collect()
}

fn local_day(app: &TestApp, day: i64) -> String {
    local_at(day, 10, 0)
        .with_timezone(&app.calendar().timezone)
        .date_naive()
        .to_string()
}

/// Percent-encodes what the tests' values hold beyond URL-safe characters.
fn enc(text: &str) -> String {
    text.replace('%', "%25")
        .replace(' ', "%20")
        .replace('+', "%2B")
        .replace('@', "%40")
}

async fn searches_recorded(app: &TestApp) -> i64 {
    app.db.count("SELECT count(*) FROM staff_searches").await
}

#[tokio::test]
async fn every_filter_finds_what_it_names() {
    let app = spawn_app().await;
    let a = book(&app, "PADRON-ALTA", 3, 10, "phone_010", &MIREN, None).await;
    let b = book(
        &app,
        "PADRON-CERT",
        3,
        11,
        "counter",
        &INIGO,
        Some("CITA-77"),
    )
    .await;
    let c = book(&app, "PADRON-ALTA", 4, 10, "web", &ANE, None).await;
    cancel(&app, &c).await;
    let assigned = as_clerk(app.client.post(app.url(&format!("/v1/requests/{a}/clerk"))))
        .json(&json!({ "clerk": "clerk-07" }))
        .send()
        .await
        .expect("assign");
    assert_eq!(assigned.status(), StatusCode::OK);
    app.db.wait_for_projections().await;
    let (day3, day4) = (local_day(&app, 3), local_day(&app, 4));

    let cases = [
        (format!("day={day3}"), vec![&a, &b]),
        (format!("day={day4}"), vec![&c]),
        ("status=cancelled".into(), vec![&c]),
        (format!("status=booked&day={day3}"), vec![&a, &b]),
        ("procedure=PADRON-CERT".into(), vec![&b]),
        ("clerk=clerk-07".into(), vec![&a]),
        ("channel=counter".into(), vec![&b]),
        (format!("national_id={}", enc("12.345.678-z")), vec![&a]),
        (format!("national_id={}", enc("x 1234567 l")), vec![&b]),
        ("external_reference=CITA-77".into(), vec![&b]),
        ("name=ibanez".into(), vec![&b]),
        (format!("name={}", enc("ETXEBERRIA r")), vec![&a]),
        (
            format!("email={}", enc("inigo.ibanez@EXAMPLE.ORG")),
            vec![&b],
        ),
        (format!("phone={}", enc("600 12 34 56")), vec![&a]),
        (format!("phone={}", enc("+34611223344")), vec![&b]),
        (format!("national_id=12345678Z&day={day4}"), vec![]),
        ("name=zzz".into(), vec![]),
    ];
    for (query, expected) in cases {
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(found(&app, "clerk", &query).await, expected, "{query}");
    }
    // Supervisors and auditors search too.
    assert_eq!(
        found(&app, "supervisor", "channel=counter").await,
        std::slice::from_ref(&b)
    );
    assert_eq!(found(&app, "auditor", "channel=counter").await, [b]);
}

#[tokio::test]
async fn pages_follow_each_other_without_repeats_or_gaps() {
    let app = spawn_app().await;
    let mut booked = Vec::new();
    for hour in 8..15 {
        booked.push(book(&app, "PADRON-ALTA", 5, hour, "phone_010", &MIREN, None).await);
    }
    app.db.wait_for_projections().await;
    let day = local_day(&app, 5);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("day={day}&national_id=12345678Z&limit=3&cursor={c}"),
            None => format!("day={day}&national_id=12345678Z&limit=3"),
        };
        let answer = app
            .get_json_as("clerk", &format!("/v1/requests?{query}"))
            .await;
        pages += 1;
        for case in answer["items"].as_array().expect("items") {
            seen.push(case["id"].as_str().expect("id").to_string());
        }
        match answer["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    // By slot start: the booking order.
    assert_eq!(seen, booked);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
}

#[tokio::test]
async fn a_bad_filter_is_a_problem_in_the_callers_language_and_writes_nothing() {
    let app = spawn_app().await;
    book(&app, "PADRON-ALTA", 3, 10, "phone_010", &MIREN, None).await;
    app.db.wait_for_projections().await;
    let events = app.db.event_count().await;
    for (language, word) in [("es", "letra"), ("eu", "letra")] {
        let response =
            as_clerk(app.client.get(app.url(
                "/v1/requests?national_id=12345678A&name=ab&day=2026-13-01&status=lost&limit=0",
            )))
            .header("accept-language", language)
            .send()
            .await
            .expect("search");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["content-language"], language);
        let problem: Value = response.json().await.expect("problem");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().expect("field"))
            .collect();
        assert_eq!(fields, ["day", "status", "national_id", "name", "limit"]);
        assert!(
            problem.to_string().to_lowercase().contains(word),
            "{problem}"
        );
    }
    let spanish: Value = as_clerk(app.client.get(app.url("/v1/requests?name=ab")))
        .header("accept-language", "es")
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("problem");
    assert!(
        spanish
            .to_string()
            .contains("Debe tener entre 3 y 120 caracteres")
    );
    for query in [
        "unknown=1",
        "cursor=%25%25",
        "limit=many",
        "phone=12",
        "email=nope",
    ] {
        let response = as_clerk(app.client.get(app.url(&format!("/v1/requests?{query}"))))
            .send()
            .await
            .expect("search");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
    assert_eq!(searches_recorded(&app).await, 0);
    assert_eq!(app.db.event_count().await, events);
}

#[tokio::test]
async fn citizens_and_links_may_not_search() {
    let app = spawn_app().await;
    let id = book(&app, "PADRON-ALTA", 3, 10, "phone_010", &MIREN, None).await;
    let anonymous = app
        .client
        .get(app.url("/v1/requests?national_id=12345678Z"))
        .send()
        .await
        .expect("search");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    for purpose in ["manage", "join"] {
        let link = issue_link(&app, &id, purpose).await;
        let response = app
            .client
            .get(app.url("/v1/requests?national_id=12345678Z"))
            .bearer_auth(link)
            .send()
            .await
            .expect("search");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{purpose} link");
    }
    for role in ["reporting", "municipal_sync", "recorder"] {
        let response = as_role(app.client.get(app.url("/v1/requests?day=2026-12-02")), role)
            .send()
            .await
            .expect("search");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(searches_recorded(&app).await, 0);
}

/// staff id, role, kinds, values looked for, cases returned.
type SearchRow = (String, String, Vec<String>, Option<Value>, i64);

#[tokio::test]
async fn a_search_by_dni_is_recorded_and_its_citizen_sees_it() {
    let app = spawn_app().await;
    let id = book(&app, "PADRON-ALTA", 3, 10, "phone_010", &MIREN, None).await;
    let other = book(&app, "PADRON-ALTA", 3, 11, "phone_010", &ANE, None).await;
    app.db.wait_for_projections().await;

    // Lists by day alone are the day's work: not recorded.
    found(&app, "clerk", &format!("day={}", local_day(&app, 3))).await;
    assert_eq!(searches_recorded(&app).await, 0);

    assert_eq!(
        found(&app, "clerk", "national_id=12345678z").await,
        std::slice::from_ref(&id)
    );
    // One that finds nothing is recorded too.
    assert!(
        found(&app, "supervisor", "national_id=11111111H")
            .await
            .is_empty()
    );
    let rows: Vec<SearchRow> = sqlx::query_as(
        "SELECT staff_id, role, kinds, looked_for, \
         (SELECT count(*) FROM staff_search_matches m WHERE m.search_id = s.search_id) \
         FROM staff_searches s ORDER BY searched_at",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("searches");
    assert_eq!(
        rows,
        [
            (
                "clerk-01".to_string(),
                "clerk".to_string(),
                vec!["national_id".to_string()],
                Some(json!({"national_id": "12345678Z"})),
                1
            ),
            (
                "supervisor-01".to_string(),
                "supervisor".to_string(),
                vec!["national_id".to_string()],
                Some(json!({"national_id": "11111111H"})),
                0
            ),
        ]
    );

    // The citizen sees the search among the accesses, with their manage link.
    let link = issue_link(&app, &id, "manage").await;
    let accesses: Value = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/accesses")))
        .bearer_auth(&link)
        .send()
        .await
        .expect("accesses")
        .json()
        .await
        .expect("json");
    let searches: Vec<&Value> = accesses["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .filter(|a| a["kind"] == "search")
        .collect();
    assert_eq!(searches.len(), 1, "{accesses}");
    assert_eq!(searches[0]["subject"], "national_id");
    assert_eq!(searches[0]["by"], "staff:clerk-01");
    assert_eq!(searches[0]["role"], "clerk");
    assert!(searches[0]["at"].as_str().is_some());
    // The other citizen was not found, and sees nothing.
    let others = app
        .get_json_as("auditor", &format!("/v1/requests/{other}/accesses"))
        .await;
    assert_eq!(others["accesses"], json!([]));
    // The readable case file says it for people.
    let page = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/case-file")))
        .bearer_auth(&link)
        .header("accept", "text/html")
        .send()
        .await
        .expect("case file")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("zure hitzordua aurkitu zuen zure NAN/AIZ bilatuz"),
        "the case file names the search"
    );

    // The values looked for are kept 90 days; then blanked, the records kept.
    let mut conn = app.db.conn().await;
    let now = chrono::Utc::now();
    assert_eq!(
        forget_searched_values(&mut conn, now)
            .await
            .expect("forget"),
        0
    );
    let later = now + chrono::Duration::days(domain::search::SEARCHED_VALUE_KEPT_DAYS + 1);
    assert_eq!(
        forget_searched_values(&mut conn, later)
            .await
            .expect("forget"),
        2
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM staff_searches WHERE looked_for IS NULL")
            .await,
        2
    );
    // The citizen still sees who found them.
    let accesses = app
        .get_json_as("auditor", &format!("/v1/requests/{id}/accesses"))
        .await;
    assert_eq!(accesses["accesses"][0]["kind"], "search");
}

fn system() -> EventMetadata {
    EventMetadata::system("retention", chrono::Utc::now(), Uuid::new_v4())
}

#[tokio::test]
async fn erased_cases_are_not_found_and_the_values_that_found_them_are_forgotten() {
    let app = spawn_app().await;
    let id = book(&app, "PADRON-ALTA", 3, 10, "phone_010", &MIREN, None).await;
    cancel(&app, &id).await;
    app.db.wait_for_projections().await;
    assert_eq!(
        found(&app, "clerk", "national_id=12345678Z").await,
        std::slice::from_ref(&id)
    );

    erase_case(
        &app.state.booking,
        &app.db.pool,
        app.state.booking.personal(),
        id.parse().expect("uuid"),
        &system(),
    )
    .await
    .expect("erasure");
    app.db.wait_for_projections().await;
    for query in [
        "national_id=12345678Z",
        "email=miren%40example.org",
        "phone=600123456",
        "name=miren",
    ] {
        assert!(found(&app, "clerk", query).await.is_empty(), "{query}");
    }
    // The earlier search's value named the erased citizen: blanked, the record kept.
    let mut conn = app.db.conn().await;
    let forgotten = forget_searched_values(&mut conn, chrono::Utc::now())
        .await
        .expect("forget");
    assert_eq!(forgotten, 1);
    let kept = app
        .db
        .count("SELECT count(*) FROM staff_searches WHERE looked_for IS NULL")
        .await;
    assert_eq!(kept, 1);
    assert_eq!(searches_recorded(&app).await, 5);
}

/// Fills `case_summary` and `agenda_reservation` with `n` cases straight in SQL: about 137 a
/// day over two years (16 half-hour slots × 9 rooms, less than full), 75,000 citizens (some
/// with several cases), one in ten cancelled.
async fn fill(app: &TestApp, n: i64) {
    sqlx::query(
        "INSERT INTO case_summary (request_id, version, events_applied, status, procedure_code, \
         slot_start, slot_minutes, room, channel, language, citizen_name, citizen_national_id, \
         citizen_email, citizen_phone, external_reference, reschedule_count, booked_at, updated_at) \
         SELECT gen_random_uuid(), 1, 1, CASE WHEN i % 10 = 0 THEN 'cancelled' ELSE 'booked' END, \
           (ARRAY['PADRON-ALTA','PADRON-CERT','QUEJA','TRIBUTOS','OBRA-MENOR'])[i % 5 + 1], \
           '2026-01-05 08:00 Europe/Madrid'::timestamptz + (i % 730) * interval '1 day' \
             + ((i / 730) % 16) * interval '30 minutes', \
           30, ((i / 730) / 16 + 1)::smallint, \
           (ARRAY['web','phone_010','counter'])[i % 3 + 1], (ARRAY['eu','es'])[i % 2 + 1], \
           'Herritarra ' || (i % 75000), \
           lpad((10000000 + i % 75000)::text, 8, '0') \
             || substr('TRWAGMYFPDXBNJZSQVHLCKE', ((10000000 + i % 75000) % 23)::int + 1, 1), \
           'h' || (i % 75000) || '@example.org', '+346' || lpad((i % 75000)::text, 8, '0'), \
           NULL, 0, now(), now() \
         FROM generate_series(1, $1) AS i",
    )
    .bind(n)
    .execute(&app.db.pool)
    .await
    .expect("fill case_summary");
    sqlx::query(
        "INSERT INTO agenda_reservation (service_day, request_id, procedure_code, slot_start, \
         slot_end, room, clerk_id, reserved_at) \
         SELECT (slot_start AT TIME ZONE 'Europe/Madrid')::date, request_id, procedure_code, \
           slot_start, slot_start + interval '30 minutes', room, 'clerk-0' || (room % 8 + 1), now() \
         FROM case_summary WHERE status = 'booked'",
    )
    .execute(&app.db.pool)
    .await
    .expect("fill agenda");
    sqlx::query("ANALYZE case_summary, agenda_reservation")
        .execute(&app.db.pool)
        .await
        .expect("analyze");
}

fn dni(i: i64) -> String {
    let number = 10_000_000 + i % 75_000;
    let letter = b"TRWAGMYFPDXBNJZSQVHLCKE"[(number % 23) as usize] as char;
    format!("{number:08}{letter}")
}

/// p50 and p99 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    (at(0.50), at(0.99))
}

async fn plan(app: &TestApp, sql: &str) -> String {
    let rows: Vec<(String,)> = sqlx::query_as(&format!("EXPLAIN {sql}"))
        .fetch_all(&app.db.pool)
        .await
        .expect("explain");
    rows.into_iter()
        .map(|(l,)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The benchmark of the README: 100,000 cases, `SEARCHES` HTTP searches by DNI/NIE (each
/// recorded, as in service) and by day (first page, 50 cases), one after another, as a clerk.
#[tokio::test]
#[ignore = "benchmark: cargo test -p tests --test search -- --ignored --nocapture measure"]
async fn measure_search_latency_at_100000_cases() {
    const CASES: i64 = 100_000;
    const SEARCHES: i64 = 500;
    let app = spawn_app().await;
    let filled = std::time::Instant::now();
    fill(&app, CASES).await;
    println!(
        "filled {CASES} cases in {:.1} s",
        filled.elapsed().as_secs_f64()
    );

    // The planner uses the indexes of migration 0015, not a scan of the table.
    let by_dni = plan(
        &app,
        &format!(
            "SELECT * FROM case_summary c WHERE NOT c.personal_data_erased \
             AND c.citizen_national_id = '{}' ORDER BY c.slot_start, c.request_id LIMIT 51",
            dni(42)
        ),
    )
    .await;
    println!("by DNI:\n{by_dni}");
    assert!(
        by_dni.contains("case_summary_search_national_id"),
        "{by_dni}"
    );
    let by_day = plan(
        &app,
        "SELECT * FROM case_summary c WHERE c.slot_start >= '2026-06-01 00:00 Europe/Madrid' \
         AND c.slot_start < '2026-06-02 00:00 Europe/Madrid' \
         ORDER BY c.slot_start, c.request_id LIMIT 51",
    )
    .await;
    println!("by day:\n{by_day}");
    assert!(!by_day.contains("Seq Scan"), "{by_day}");

    let time = |query: String| {
        let app = &app;
        async move {
            let started = std::time::Instant::now();
            let response = as_clerk(app.client.get(app.url(&format!("/v1/requests?{query}"))))
                .send()
                .await
                .expect("search");
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            let body: Value = response.json().await.expect("json");
            assert!(
                !body["items"].as_array().expect("items").is_empty(),
                "{query}"
            );
            started.elapsed().as_secs_f64() * 1000.0
        }
    };
    let mut dni_ms = Vec::new();
    let mut day_ms = Vec::new();
    for s in 0..SEARCHES {
        // Spread over the citizens and the days (a prime stride).
        dni_ms.push(time(format!("national_id={}", dni(s * 7919))).await);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date")
            + chrono::Duration::days((s * 7919) % 730);
        day_ms.push(time(format!("day={day}")).await);
    }
    let (dni50, dni99) = percentiles(dni_ms);
    let (day50, day99) = percentiles(day_ms);
    println!("search at {CASES} cases, {SEARCHES} searches each, HTTP round trip in process:");
    println!("  by DNI/NIE (recorded): p50 {dni50:.2} ms, p99 {dni99:.2} ms");
    println!("  by day (50 a page):    p50 {day50:.2} ms, p99 {day99:.2} ms");
    assert_eq!(
        app.db.count("SELECT count(*) FROM staff_searches").await,
        SEARCHES
    );
}
