//! The citizen's view of their case: staff reads of the whole case (history, export, case file)
//! recorded before the answer and listed among the accesses the citizen sees, a bad reason
//! writing nothing, and the case file as a readable page in the case's language.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tests::{TestApp, as_clerk, as_role, booking_body, issue_link, local_at, spawn_app};

/// A case booked by the 010 line in `language`, 3 days ahead.
async fn case_in(app: &TestApp, language: &str) -> String {
    let mut body = booking_body("PADRON-ALTA", local_at(3, 10, 0));
    body["language"] = json!(language);
    let response = app.book(&body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// The `CaseFileAccessed` payloads of case `id`, oldest first, as stored.
async fn reads_of(app: &TestApp, id: &str) -> Vec<Value> {
    let mut conn = app.db.conn().await;
    sqlx::query_scalar::<_, Value>(
        "SELECT payload FROM events WHERE aggregate_id = $1 AND event_type = 'CaseFileAccessed' \
         ORDER BY sequence",
    )
    .bind(id)
    .fetch_all(&mut conn)
    .await
    .expect("reads")
    .into_iter()
    .map(|p| p["CaseFileAccessed"].clone())
    .collect()
}

async fn events_of(app: &TestApp, id: &str) -> i64 {
    app.db
        .count(&format!(
            "SELECT count(*) FROM events WHERE aggregate_id = '{id}'"
        ))
        .await
}

#[tokio::test]
async fn staff_reads_of_history_and_export_are_recorded_first_and_the_citizen_sees_them() {
    let app = spawn_app().await;
    let id = case_in(&app, "eu").await;

    // An auditor reads the history's first page, giving a reason: recorded by the time the
    // answer arrives (it is written before the answer is sent).
    let page = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
        "auditor",
    )
    .query(&[("why", "complaint 2027/14"), ("limit", "1")])
    .send()
    .await
    .expect("history");
    assert_eq!(page.status(), StatusCode::OK);
    let page: Value = page.json().await.expect("json");
    // The page is the history as it stood before this read was recorded.
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    assert_eq!(page["version"], 1);
    let reads = reads_of(&app, &id).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(reads[0]["what"], "history");
    assert_eq!(reads[0]["by"], "staff:auditor-01");
    assert_eq!(reads[0]["role"], "auditor");
    assert_eq!(reads[0]["why"], "complaint 2027/14");

    // The first page again, then the second: each is an access (the first read is on the
    // second page now).
    let again: Value = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
        "auditor",
    )
    .query(&[("limit", "1")])
    .send()
    .await
    .expect("history")
    .json()
    .await
    .expect("json");
    let cursor = again["next_cursor"].as_str().expect("a second page");
    let second = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
        "auditor",
    )
    .query(&[("cursor", cursor), ("limit", "1")])
    .send()
    .await
    .expect("history");
    assert_eq!(second.status(), StatusCode::OK);
    let second: Value = second.json().await.expect("json");
    assert_eq!(second["items"][0]["event_type"], "CaseFileAccessed");

    // A supervisor's export without a reason, and an auditor's staff read of the case file.
    let export = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/export"))),
        "supervisor",
    )
    .send()
    .await
    .expect("export");
    assert_eq!(export.status(), StatusCode::OK);
    let export: Value = export.json().await.expect("json");
    assert_eq!(export["verification"]["intact"], true);
    let file = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/case-file"))),
        "auditor",
    )
    .query(&[("why", "art. 15 request")])
    .send()
    .await
    .expect("case file");
    assert_eq!(file.status(), StatusCode::OK);
    let reads = reads_of(&app, &id).await;
    let whats: Vec<&str> = reads.iter().filter_map(|r| r["what"].as_str()).collect();
    assert_eq!(
        whats,
        ["history", "history", "history", "export", "case_file"]
    );
    assert_eq!(reads[3]["why"], Value::Null);
    assert_eq!(reads[3]["role"], "supervisor");

    // The citizen sees every one with the manage link: what, who, role, when, why.
    let manage = issue_link(&app, &id, "manage").await;
    let before = events_of(&app, &id).await;
    let seen: Value = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/accesses")))
        .bearer_auth(&manage)
        .send()
        .await
        .expect("accesses")
        .json()
        .await
        .expect("json");
    let accesses = seen["accesses"].as_array().expect("accesses");
    assert_eq!(accesses.len(), 5, "{seen}");
    assert_eq!(
        accesses[0],
        json!({
            "kind": "history",
            "subject": null,
            "by": "staff:auditor-01",
            "role": "auditor",
            "at": accesses[0]["at"],
            "why": "complaint 2027/14",
        })
    );
    assert!(accesses[0]["at"].is_string());
    assert_eq!(accesses[3]["kind"], "export");
    assert_eq!(accesses[3]["by"], "staff:supervisor-01");
    assert_eq!(accesses[3]["role"], "supervisor");
    assert_eq!(accesses[3]["why"], Value::Null);
    assert_eq!(accesses[4]["kind"], "case_file");
    assert_eq!(accesses[4]["why"], "art. 15 request");

    // The citizen's own reads of the case file (either copy) are not someone else's access:
    // nothing is written, and a reason sent along is ignored.
    for accept in ["application/json", "text/html"] {
        let own = app
            .client
            .get(app.url(&format!("/v1/requests/{id}/case-file")))
            .query(&[("why", "x".repeat(600))])
            .header("accept", accept)
            .bearer_auth(&manage)
            .send()
            .await
            .expect("case file");
        assert_eq!(own.status(), StatusCode::OK, "{accept}");
    }
    assert_eq!(events_of(&app, &id).await, before);

    // Clerks may not read the history, and their refusal records nothing either.
    let clerk = as_clerk(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
    )
    .send()
    .await
    .expect("history");
    assert_eq!(clerk.status(), StatusCode::FORBIDDEN);
    assert_eq!(events_of(&app, &id).await, before);
}

#[tokio::test]
async fn a_read_of_a_closed_case_is_still_recorded() {
    let app = spawn_app().await;
    let id = case_in(&app, "es").await;
    let cancelled = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .json(&json!({ "reason": "duplicada" }))
    .send()
    .await
    .expect("cancel");
    assert_eq!(cancelled.status(), StatusCode::OK);
    let export = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/export"))),
        "auditor",
    )
    .query(&[("why", "auditoría anual")])
    .send()
    .await
    .expect("export");
    assert_eq!(export.status(), StatusCode::OK);
    let reads = reads_of(&app, &id).await;
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["why"], "auditoría anual");
}

#[tokio::test]
async fn a_bad_reason_is_a_problem_in_the_callers_language_and_writes_nothing() {
    let app = spawn_app().await;
    let id = case_in(&app, "eu").await;
    let before = events_of(&app, &id).await;
    let long = "x".repeat(501);
    for (path, why, language, title) in [
        ("history", long.as_str(), "eu", "Arrazoi baliogabea"),
        ("export", long.as_str(), "es", "Motivo no válido"),
        ("case-file", "a\u{7}b", "es", "Motivo no válido"),
        ("history", "line\nbreak", "eu", "Arrazoi baliogabea"),
    ] {
        let refused = as_role(
            app.client
                .get(app.url(&format!("/v1/requests/{id}/{path}"))),
            "auditor",
        )
        .query(&[("why", why)])
        .header("accept-language", language)
        .send()
        .await
        .expect("read");
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let problem: Value = refused.json().await.expect("problem");
        assert_eq!(problem["type"], "urn:arreta:problem:access-reason");
        assert_eq!(problem["title"], title, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("500")),
            "{problem}"
        );
    }
    // 500 characters are fine.
    let longest = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
        "auditor",
    )
    .query(&[("why", "y".repeat(500))])
    .send()
    .await
    .expect("history");
    assert_eq!(longest.status(), StatusCode::OK);
    assert_eq!(events_of(&app, &id).await, before + 1);
    // An unknown query parameter is refused too, and writes nothing.
    let unknown = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/export"))),
        "auditor",
    )
    .query(&[("reason", "x")])
    .send()
    .await
    .expect("export");
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(events_of(&app, &id).await, before + 1);
}

/// The readable case file with the manage link `manage`, as a browser asks for a page.
async fn readable(app: &TestApp, id: &str, manage: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/requests/{id}/case-file")))
        .header(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .bearer_auth(manage)
        .send()
        .await
        .expect("case file")
}

/// Checks the policy: no script at all, the one `<style>` allowed by its hash.
fn check_policy(policy: &str, body: &str) {
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let style = body
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(style, _)| style)
        .expect("a <style>");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style.as_bytes()));
    assert!(
        policy.contains(&format!("style-src 'sha256-{hash}'")),
        "{policy}"
    );
    assert!(!body.contains("<script"), "no script in the page");
    // The same policy travels inside the page, for a saved copy opened offline.
    assert!(
        body.contains(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;sha256-{hash}&#39;"
        )),
        "{body}"
    );
}

#[tokio::test]
async fn the_readable_case_file_is_in_basque_for_a_basque_case_and_escapes_what_it_shows() {
    let app = spawn_app().await;
    let id = case_in(&app, "eu").await;
    // Closed (the manage link, issued before, still reads a closed case) with a summary that
    // is markup.
    let manage = issue_link(&app, &id, "manage").await;
    let hostile = "<script>alert(1)</script> & \"quoted\"";
    let closed = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/close"))),
    )
    .json(&json!({ "outcome": "resolved", "summary": hostile, "registry_entry": "RE-2027-14" }))
    .send()
    .await
    .expect("close");
    assert_eq!(closed.status(), StatusCode::OK);
    let read = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/history"))),
        "auditor",
    )
    .query(&[("why", "kexa 2027/14")])
    .send()
    .await
    .expect("history");
    assert_eq!(read.status(), StatusCode::OK);

    let answer = readable(&app, &id, &manage).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let headers = answer.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains(&format!("arreta-{id}.html"))
    );
    assert_eq!(headers["vary"], "accept");
    let policy = headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_string();
    let body = answer.text().await.expect("html");
    check_policy(&policy, &body);

    assert!(
        body.starts_with("<!doctype html>\n<html lang=\"eu\">"),
        "{body}"
    );
    assert!(body.contains("<h1>Zure espedientea</h1>"), "{body}");
    // The citizen's data.
    for value in [
        "Miren Etxeberria Ruiz",
        "12345678Z",
        "miren@example.org",
        "600123456",
        id.as_str(),
    ] {
        assert!(body.contains(value), "{value} in {body}");
    }
    // The history as sentences, with dates in Basque.
    assert!(body.contains("Hitzordua hartu da: "), "{body}");
    assert!(body.contains("Bidea: telefonoa (010)."), "{body}");
    assert!(
        body.contains("Espedientea itxi da: egina. Erregistroko sarrera: RE-2027-14."),
        "{body}"
    );
    assert!(
        body.contains("<dd>Itxita</dd>") && body.contains("<dd>RE-2027-14</dd>"),
        "{body}"
    );
    assert!(
        body.contains("Espedientearen historia irakurri da. Arrazoia: kexa 2027/14"),
        "{body}"
    );
    assert!(
        body.contains("ko ") && body.contains("aren "),
        "a Basque date in {body}"
    );
    assert!(
        !body.contains("AppointmentBooked"),
        "raw event names in {body}"
    );
    // The staff read among the accesses, with its role and reason.
    assert!(body.contains("auditor-01 (ikuskaria)"), "{body}");
    // The hostile summary is text, never markup.
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;"),
        "{body}"
    );
    assert!(!body.contains("<script>"), "{body}");
}

#[tokio::test]
async fn the_readable_case_file_is_in_spanish_for_a_spanish_case() {
    let app = spawn_app().await;
    let id = case_in(&app, "es").await;
    let export = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/export"))),
        "supervisor",
    )
    .send()
    .await
    .expect("export");
    assert_eq!(export.status(), StatusCode::OK);
    // Whatever the page's language, the copy is in the case's.
    let manage = issue_link(&app, &id, "manage").await;
    let answer = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/case-file")))
        .header("accept", "text/html")
        .header("accept-language", "eu")
        .bearer_auth(&manage)
        .send()
        .await
        .expect("case file");
    assert_eq!(answer.status(), StatusCode::OK);
    let policy = answer.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_string();
    let body = answer.text().await.expect("html");
    check_policy(&policy, &body);
    assert!(
        body.starts_with("<!doctype html>\n<html lang=\"es\">"),
        "{body}"
    );
    assert!(body.contains("<h1>Su expediente</h1>"), "{body}");
    assert!(body.contains("Miren Etxeberria Ruiz") && body.contains("12345678Z"));
    assert!(body.contains("Cita reservada para el "), "{body}");
    assert!(body.contains("Canal: teléfono (010)."), "{body}");
    assert!(
        body.contains("Se exportó el expediente entero. No indicó el motivo."),
        "{body}"
    );
    assert!(body.contains("supervisor-01 (responsable)"), "{body}");
    assert!(body.contains(" de 20"), "a Spanish date in {body}");
    // Without asking for HTML the same route still answers JSON.
    let json: Value = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/case-file")))
        .bearer_auth(&manage)
        .send()
        .await
        .expect("case file")
        .json()
        .await
        .expect("json");
    assert_eq!(json["case"]["language"], "es");
    assert_eq!(json["accesses"][0]["kind"], "export");

    // Cancelled by the council with a reason that is markup: the manage link is void now, and
    // an auditor gets the same page, the reason escaped.
    let hostile = "<script>alert(1)</script>";
    let cancelled = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/cancel"))),
    )
    .json(&json!({ "reason": hostile }))
    .send()
    .await
    .expect("cancel");
    assert_eq!(cancelled.status(), StatusCode::OK);
    let audited = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/case-file"))),
        "auditor",
    )
    .header("accept", "text/html")
    .send()
    .await
    .expect("case file");
    assert_eq!(audited.status(), StatusCode::OK);
    let body = audited.text().await.expect("html");
    assert!(
        body.contains(
            "Cita anulada (por el Ayuntamiento). Motivo: &lt;script&gt;alert(1)&lt;/script&gt;"
        ),
        "{body}"
    );
    assert!(body.contains("<dd>Anulada</dd>"), "{body}");
    assert!(!body.contains("<script>"), "{body}");

    // Once the case's personal data is erased, the page says so and shows none of it.
    infrastructure::personal_data::erase_case(
        &app.state.booking,
        &app.db.pool,
        app.state.booking.personal(),
        id.parse().expect("uuid"),
        &domain::metadata::EventMetadata::system(
            "retention",
            chrono::Utc::now(),
            uuid::Uuid::new_v4(),
        ),
    )
    .await
    .expect("erasure");
    let erased = as_role(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/case-file"))),
        "auditor",
    )
    .header("accept", "text/html")
    .send()
    .await
    .expect("case file")
    .text()
    .await
    .expect("html");
    assert!(
        erased.contains("Su nombre, DNI/NIE, correo electrónico y teléfono se borraron"),
        "{erased}"
    );
    assert!(
        erased.contains("Se borraron sus datos personales al acabar el plazo"),
        "{erased}"
    );
    for value in [
        "Miren Etxeberria",
        "12345678Z",
        "miren@example.org",
        "600123456",
    ] {
        assert!(!erased.contains(value), "{value} in {erased}");
    }
}
