//! Anonymous booking's guards, from outside: a script that does not solve the challenge books
//! nothing and writes nothing; one that solves it is held to one active appointment per DNI/NIE
//! and procedure and to the cap per email; clerks booking for the 010 line in the same minute
//! are not held to either.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, as_clerk, as_role, booking_body, local_at, spawn_app};

/// A web booking body for `national_id`/`email` at local `hour:minute`, `days` from today.
fn web_body(national_id: &str, email: &str, procedure: &str, days: i64, minute: u32) -> Value {
    let mut body = booking_body(procedure, local_at(days, 9, minute));
    body["channel"] = json!("web");
    body["citizen"]["national_id"] = json!(national_id);
    body["citizen"]["email"] = json!(email);
    body
}

async fn post(app: &TestApp, body: &Value, language: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/v1/requests"))
        .header("accept-language", language)
        .json(body)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Everything a booking writes: events, spent challenges, recent bookings.
async fn written(app: &TestApp) -> (i64, i64, i64) {
    (
        app.db.event_count().await,
        app.db.count("SELECT count(*) FROM spent_challenges").await,
        app.db.count("SELECT count(*) FROM recent_bookings").await,
    )
}

#[tokio::test]
async fn a_script_that_does_not_solve_the_challenge_books_nothing_and_writes_nothing() {
    let app = spawn_app().await;
    let before = written(&app).await;
    // As fast as it can: no proof at all.
    for minute in [0, 15, 30, 45] {
        let (status, problem) = post(
            &app,
            &web_body("12345678Z", "bot@example.org", "QUEJA", 2, minute),
            "eu",
        )
        .await;
        assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{problem}");
        assert_eq!(problem["type"], "urn:arreta:problem:challenge-required");
        assert_eq!(problem["title"], "Egiaztapena falta da");
    }
    // A challenge taken but not solved, one made up, and one whose difficulty was edited.
    let (text, bits) = app.challenge().await;
    let solution = infrastructure::booking_guard::challenge::solve(&text, bits);
    let unsolved = (0u64..)
        .map(|n| n.to_string())
        .find(|n| {
            infrastructure::booking_guard::challenge::leading_zero_bits(
                &infrastructure::booking_guard::challenge::digest(&text, n),
            ) < u32::from(bits)
        })
        .expect("a nonce that does not solve it");
    let edited = text.replacen(&format!("v1.{bits}."), "v1.0.", 1);
    for proof in [
        json!({ "challenge": text, "nonce": unsolved }),
        json!({ "challenge": "v1.0.9999999999.00.00", "nonce": "0" }),
        json!({ "challenge": edited, "nonce": "0" }),
    ] {
        let mut body = web_body("12345678Z", "bot@example.org", "QUEJA", 2, 0);
        body["proof"] = proof;
        let (status, problem) = post(&app, &body, "es").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["type"], "urn:arreta:problem:challenge-invalid");
        assert_eq!(problem["title"], "La comprobación no es válida");
    }
    assert_eq!(written(&app).await, before, "refusals write nothing");
    // The challenge itself was not spent by those failures: solved, it books.
    let mut body = web_body("12345678Z", "bot@example.org", "QUEJA", 2, 0);
    body["proof"] = json!({ "challenge": text, "nonce": solution });
    let (status, created) = post(&app, &body, "eu").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created["manage_token"].is_string());
    // And only once.
    let mut again = web_body("87654321X", "other@example.org", "QUEJA", 2, 15);
    again["proof"] = json!({ "challenge": text, "nonce": solution });
    let (status, problem) = post(&app, &again, "eu").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], "urn:arreta:problem:challenge-invalid");
}

#[tokio::test]
async fn one_that_solves_it_is_held_to_one_appointment_per_dni_and_procedure_while_staff_are_not() {
    let app = spawn_app().await;
    let first = app
        .web_book(&web_body(
            "12345678Z",
            "ane@example.org",
            "PADRON-ALTA",
            3,
            0,
        ))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let before = written(&app).await;

    // The same person, the same procedure, another time and another email: refused.
    let mut body = web_body("12345678z", "ane.bis@example.org", "PADRON-ALTA", 4, 30);
    let proof = app.solved_proof().await;
    body["proof"] = proof.clone();
    let (status, problem) = post(&app, &body, "es").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["type"], "urn:arreta:problem:already-booked");
    assert_eq!(problem["title"], "Ya tiene una cita");
    assert_eq!(written(&app).await, before, "the refusal wrote nothing");

    // The challenge of the refused booking was not spent: another procedure books with it.
    let mut other = web_body("12345678Z", "ane@example.org", "QUEJA", 4, 30);
    other["proof"] = proof;
    let (status, created) = post(&app, &other, "eu").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // A clerk on the 010 line books the same person and procedure in the same minute.
    let mut phone = booking_body("PADRON-ALTA", local_at(5, 10, 0));
    phone["citizen"]["national_id"] = json!("12345678Z");
    let by_phone = as_clerk(app.client.post(app.url("/v1/requests")))
        .json(&phone)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        by_phone.status(),
        StatusCode::CREATED,
        "a clerk is not held to the limits"
    );
    // Nor is a 010 operator, with no proof: the caller has no browser, the operator is named
    // staff (the README says why).
    phone["start"] = json!(local_at(5, 11, 0).to_rfc3339());
    let by_operator = as_role(app.client.post(app.url("/v1/requests")), "operator")
        .json(&phone)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        by_operator.status(),
        StatusCode::CREATED,
        "an operator is not held to the limits"
    );

    // Once the first appointment is cancelled (by its manage link), the clerk's and the
    // operator's bookings remain: the web still refuses until they go too.
    let id = first["id"].as_str().expect("id");
    let cancel = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/cancel")))
        .bearer_auth(first["manage_token"].as_str().expect("token"))
        .json(&json!({}))
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancel.status(), StatusCode::OK);
    let again = app
        .web_book(&web_body(
            "12345678Z",
            "ane@example.org",
            "PADRON-ALTA",
            6,
            0,
        ))
        .await;
    assert_eq!(
        again.status(),
        StatusCode::CONFLICT,
        "the clerk's booking counts"
    );
}

#[tokio::test]
async fn simultaneous_web_bookings_of_one_person_and_procedure_give_one_appointment() {
    let app = spawn_app().await;
    let mut bodies = Vec::new();
    for minute in [0u32, 15, 30, 45, 0, 15, 30, 45] {
        let days = if bodies.len() < 4 { 7 } else { 8 };
        let mut body = web_body("11111111H", "jon@example.org", "TRIBUTOS", days, minute);
        body["proof"] = app.solved_proof().await;
        bodies.push(body);
    }
    let answers = futures::future::join_all(bodies.iter().map(|b| post(&app, b, "eu"))).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let refused = answers
        .iter()
        .filter(|(s, p)| {
            *s == StatusCode::CONFLICT && p["type"] == "urn:arreta:problem:already-booked"
        })
        .count();
    assert_eq!((created, refused), (1, 7), "{answers:?}");
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE aggregate_type = 'CitizenRequest' AND event_type = 'AppointmentBooked'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_email_holds_at_most_its_cap_of_active_appointments() {
    let app = spawn_app().await;
    let cap = app.state.settings.booking_guard.max_active_per_email;
    let people = ["12345678Z", "87654321X", "11111111H", "22222222J"];
    assert!(cap < 4, "the test books one more than the cap");
    for (n, person) in people.iter().take(cap as usize).enumerate() {
        let booked = app
            .web_book(&web_body(
                person,
                "Familia@Example.org",
                "QUEJA",
                9,
                15 * n as u32,
            ))
            .await;
        assert_eq!(booked.status(), StatusCode::CREATED);
    }
    let mut body = web_body(people[cap as usize], "familia@example.org", "QUEJA", 10, 0);
    body["proof"] = app.solved_proof().await;
    let (status, problem) = post(&app, &body, "eu").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["type"], "urn:arreta:problem:email-limit");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains(&cap.to_string()),
        "{problem}"
    );
}

#[tokio::test]
async fn a_surge_of_anonymous_bookings_makes_the_next_challenges_harder() {
    let app = spawn_app().await;
    let base = app.state.settings.booking_guard.challenge_bits;
    let surge = i64::from(app.state.settings.booking_guard.surge_bookings);
    assert_eq!(app.challenge().await.1, base, "a quiet hour asks the base");
    // Bookings made by a script, some long enough ago not to count.
    let insert = |count: i64, minutes_ago: i64| {
        sqlx::query(
            "INSERT INTO recent_bookings (request_id, national_id, email, procedure_code, booked_at)
             SELECT gen_random_uuid(), 'X' || n, 'bot' || n || '@example.org', 'QUEJA',
                    now() - make_interval(mins => $2::int)
               FROM generate_series(1, $1) AS n",
        )
        .bind(count)
        .bind(i32::try_from(minutes_ago).expect("minutes"))
        .execute(&app.db.pool)
    };
    insert(500, 12).await.expect("old rows");
    assert_eq!(app.challenge().await.1, base, "older than the window");
    insert(2 * surge + 1, 1).await.expect("recent rows");
    let (text, bits) = app.challenge().await;
    assert_eq!(bits, base + 2, "more than twice the surge: two bits more");
    // The harder challenge is what a booking must solve.
    let mut body = web_body("12345678Z", "ane@example.org", "QUEJA", 2, 0);
    let easy = (0u64..)
        .map(|n| n.to_string())
        .find(|n| {
            let zeros = infrastructure::booking_guard::challenge::leading_zero_bits(
                &infrastructure::booking_guard::challenge::digest(&text, n),
            );
            zeros >= u32::from(base) && zeros < u32::from(bits)
        })
        .expect("a nonce good enough for the base only");
    body["proof"] = json!({ "challenge": text, "nonce": easy });
    let (status, problem) = post(&app, &body, "eu").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    body["proof"] = json!({
        "challenge": text,
        "nonce": infrastructure::booking_guard::challenge::solve(&text, bits),
    });
    let (status, created) = post(&app, &body, "eu").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}
