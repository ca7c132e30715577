//! Mail end to end: the reactor plans messages from the log, the sender delivers them to a real
//! SMTP server (aiosmtpd), and every delivery is recorded on the case.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as Minutes, Utc};
use domain::capability::Purpose;
use domain::notification::NotificationKind;
use infrastructure::mail::{MailReactor, MailSender, Round, TransportKind, outbox};
use infrastructure::tokens::Credential;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::mail::{ManualClock, Received, SmtpSink};
use tests::{
    ServerProcess, TestApp, TestDb, as_clerk, as_role, booking_body, for_tests, local_at,
    open_settings, spawn_app_with, write_config,
};
use uuid::Uuid;

const DOMAIN: &str = "arreta.vitoria-gasteiz.eus";

fn smtp_settings(port: u16) -> infrastructure::config::Settings {
    let mut settings = for_tests(open_settings());
    settings.mail.transport = TransportKind::Smtp;
    settings.mail.smtp.host = "127.0.0.1".into();
    settings.mail.smtp.port = port;
    settings.mail.smtp.timeout_seconds = 5;
    settings.mail.retry_base_seconds = 60;
    settings.mail.retry_max_seconds = 600;
    settings.mail.public_url = "https://arreta.example/app".into();
    settings
}

/// The api in process, with the mail reactor and sender driven by the test on a manual clock.
struct Rig {
    app: TestApp,
    reactor: MailReactor,
    sender: MailSender,
    clock: Arc<ManualClock>,
}

impl Rig {
    async fn new(settings: infrastructure::config::Settings) -> Self {
        let app = spawn_app_with(settings).await;
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let (reactor, sender) = api::server::mail(&app.state, clock.clone())
            .await
            .expect("mail starts");
        Self {
            app,
            reactor,
            sender,
            clock,
        }
    }

    /// Runs the reactor until it has passed every committed event.
    async fn plan(&self) {
        self.app.db.run_reactor(&self.reactor).await;
    }

    /// Plans what is pending, then runs one sender round at `at`.
    async fn send_at(&self, at: DateTime<Utc>) -> Round {
        self.plan().await;
        self.clock.set(at);
        self.sender.run_once().await.expect("a mail round")
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        as_clerk(self.app.client.post(self.app.url(path)))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    async fn book(&self, language: &str, email: &str, start: DateTime<Utc>) -> Uuid {
        let mut body = booking_body("PADRON-ALTA", start);
        body["language"] = json!(language);
        body["citizen"]["email"] = json!(email);
        let response = self.app.book(&body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let case: Value = response.json().await.expect("json");
        case["id"].as_str().expect("id").parse().expect("uuid")
    }

    /// The claims of a capability token, as the api verifies them.
    fn link(&self, token: &str) -> (Uuid, Purpose, Option<DateTime<Utc>>) {
        match self.app.state.authenticator.verify(token) {
            Ok(Credential::Link(claims)) => (claims.sub, claims.purpose, claims.slot_start()),
            other => panic!("not a capability link: {other:?}"),
        }
    }

    async fn get_with(&self, token: &str, id: Uuid) -> StatusCode {
        self.app
            .client
            .get(self.app.url(&format!("/v1/requests/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
            .status()
    }

    async fn cancel_with(&self, token: &str, id: Uuid) -> StatusCode {
        self.app
            .client
            .post(self.app.url(&format!("/v1/requests/{id}/cancel")))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await
            .expect("request sent")
            .status()
    }

    /// The message ids recorded on the case as NotificationSent, in order.
    async fn recorded(&self, id: Uuid) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT payload->'NotificationSent'->>'message_id' FROM events \
             WHERE aggregate_id = $1 AND event_type = 'NotificationSent' ORDER BY sequence",
        )
        .bind(id.to_string())
        .fetch_all(&self.app.db.pool)
        .await
        .expect("events")
    }
}

fn message_id(id: Uuid, kind: NotificationKind, sequence: i64) -> String {
    format!("{}@{DOMAIN}", outbox::message_id(id, kind, sequence))
}

fn only(received: &[Received], id: Uuid, kind: &str) -> Received {
    let matching: Vec<&Received> = received
        .iter()
        .filter(|m| m.request == id.to_string() && m.kind == kind)
        .collect();
    assert_eq!(matching.len(), 1, "one {kind} for {id}: {matching:#?}");
    matching[0].clone()
}

#[tokio::test]
async fn every_message_kind_reaches_the_citizen_in_their_language() {
    let sink = SmtpSink::start(&[]);
    let rig = Rig::new(smtp_settings(sink.port)).await;
    for (language, greeting, procedure, preparing) in [
        (
            "eu",
            "Kaixo, Miren Etxeberria Ruiz:",
            "Erroldan alta ematea",
            "Etxebizitza okupatzeko titulua",
        ),
        (
            "es",
            "Hola, Miren Etxeberria Ruiz:",
            "Alta en el Padrón municipal",
            "Título de ocupación de la vivienda",
        ),
    ] {
        let email = format!("miren.{language}@example.org");
        let start = local_at(3, 10, 0);
        let id = rig.book(language, &email, start).await;
        let mut seen = sink.received().len();
        let mut next = |received: &Vec<Received>| {
            assert_eq!(received.len(), seen + 1, "exactly one new message");
            seen += 1;
            received[seen - 1].clone()
        };

        // The receipt: headers, language, a manage link, the appointment as a calendar event.
        assert_eq!(rig.send_at(Utc::now()).await.sent, 1);
        let receipt = next(&sink.received());
        assert_eq!(receipt.kind, "receipt");
        assert_eq!(receipt.request, id.to_string());
        assert_eq!(receipt.to, email);
        assert!(receipt.envelope_to.contains(&email));
        assert_eq!(receipt.from, "arreta@vitoria-gasteiz.eus");
        assert_eq!(
            receipt.message_id,
            message_id(id, NotificationKind::Receipt, 1)
        );
        assert_eq!(receipt.content_language, language);
        assert_eq!(receipt.auto_submitted, "auto-generated");
        assert!(receipt.subject.contains(procedure), "{}", receipt.subject);
        assert!(receipt.subject.contains("10:00"), "{}", receipt.subject);
        for part in [&receipt.text, &receipt.html] {
            assert!(part.contains(greeting), "{part}");
            assert!(part.contains(&id.to_string()));
            assert!(part.contains(preparing), "{part}");
        }
        assert!(
            receipt
                .html
                .contains(&format!("<html lang=\"{language}\">"))
        );
        let manage = receipt.link_token("manage").expect("a manage link");
        assert!(
            receipt.html.contains(&manage),
            "the HTML part has the same link"
        );
        assert_eq!(rig.link(&manage), (id, Purpose::Manage, None));
        assert_eq!(rig.get_with(&manage, id).await, StatusCode::OK);
        let calendar = receipt.calendar_event().expect("a calendar attachment");
        assert_eq!(calendar.method, "REQUEST");
        assert_eq!(calendar.content_type, "text/calendar; method=REQUEST");
        assert_eq!(calendar.uid, format!("{id}@{DOMAIN}"));
        assert_eq!(calendar.sequence, 0);
        assert_eq!(
            (calendar.start, calendar.end),
            (start, start + Minutes::minutes(30))
        );
        assert_eq!(calendar.status, "CONFIRMED");
        assert_eq!(calendar.summary, procedure);
        assert!(calendar.attendee.ends_with(&format!("mailto:{email}")));

        // Documents asked for: the upload link, which opens the case but cannot cancel it.
        let asked = rig
            .post(
                &format!("/v1/requests/{id}/document-requests"),
                json!({
                    "documents": [{ "eu": "Diru-sarreren egiaztagiria", "es": "Justificante de ingresos" }],
                    "due_at": (start - Minutes::hours(2)).to_rfc3339(),
                }),
            )
            .await;
        assert_eq!(asked.status(), StatusCode::OK);
        assert_eq!(rig.send_at(Utc::now()).await.sent, 1);
        let upload = next(&sink.received());
        assert_eq!(upload.kind, "upload_link");
        let label = if language == "eu" {
            "Diru-sarreren egiaztagiria"
        } else {
            "Justificante de ingresos"
        };
        assert!(upload.text.contains(label) && upload.html.contains(label));
        assert!(upload.calendar.is_none());
        let token = upload.link_token("upload").expect("an upload link");
        assert_eq!(rig.link(&token), (id, Purpose::Upload, None));
        assert_eq!(rig.get_with(&token, id).await, StatusCode::OK);
        assert_eq!(rig.cancel_with(&token, id).await, StatusCode::FORBIDDEN);

        // Moved: the calendar event is updated (same UID, next SEQUENCE, new time).
        let moved_to = local_at(4, 11, 30);
        let moved = rig
            .post(
                &format!("/v1/requests/{id}/reschedule"),
                json!({ "start": moved_to.to_rfc3339() }),
            )
            .await;
        assert_eq!(moved.status(), StatusCode::OK);
        assert_eq!(rig.send_at(Utc::now()).await.sent, 1);
        let rescheduled = next(&sink.received());
        assert_eq!(rescheduled.kind, "rescheduled");
        assert!(rescheduled.text.contains("11:30") && rescheduled.text.contains("10:00"));
        let calendar = rescheduled.calendar_event().expect("a calendar attachment");
        assert_eq!(calendar.uid, format!("{id}@{DOMAIN}"));
        assert_eq!(
            (calendar.method.as_str(), calendar.sequence),
            ("REQUEST", 1)
        );
        assert_eq!(calendar.start, moved_to);

        // The old slot's reminder never goes; the new one's the day before at 10:00.
        assert_eq!(rig.send_at(local_at(2, 10, 0)).await.sent, 0);
        assert_eq!(
            rig.send_at(local_at(3, 10, 0) - Minutes::seconds(1))
                .await
                .sent,
            0
        );
        assert_eq!(rig.send_at(local_at(3, 10, 0)).await.sent, 1);
        let reminder = next(&sink.received());
        assert_eq!(reminder.kind, "reminder");
        assert!(reminder.text.contains("11:30"));
        assert_eq!(
            rig.link(&reminder.link_token("manage").expect("link")).1,
            Purpose::Manage
        );

        // The call link, 15 minutes before the new start, bound to it.
        let call_at = moved_to - Minutes::minutes(15);
        assert_eq!(rig.send_at(call_at - Minutes::seconds(1)).await.sent, 0);
        assert_eq!(rig.send_at(call_at).await.sent, 1);
        let call = next(&sink.received());
        assert_eq!(call.kind, "call_link");
        let join = call.link_token("join").expect("a join link");
        assert_eq!(rig.link(&join), (id, Purpose::Join, Some(moved_to)));
        assert_eq!(rig.get_with(&join, id).await, StatusCode::OK);
        assert_eq!(rig.cancel_with(&join, id).await, StatusCode::FORBIDDEN);

        // Closed: the summary, with the clerk's words escaped in HTML and intact in text.
        let notes = "<b>Ondo</b> & \"agur\"";
        let closed = rig
            .post(
                &format!("/v1/requests/{id}/close"),
                json!({ "outcome": "resolved", "summary": notes }),
            )
            .await;
        assert_eq!(closed.status(), StatusCode::OK);
        assert_eq!(rig.send_at(call_at).await.sent, 1);
        let summary = next(&sink.received());
        assert_eq!(summary.kind, "summary");
        assert!(summary.text.contains(notes));
        assert!(
            summary
                .html
                .contains("&lt;b&gt;Ondo&lt;/b&gt; &amp; &quot;agur&quot;")
        );
        assert!(!summary.html.contains("<b>Ondo"));

        // Every message is on the case, once, in the order sent.
        let sent: Vec<String> = sink.received()[seen - 6..]
            .iter()
            .map(|m| {
                m.message_id
                    .trim_end_matches(&format!("@{DOMAIN}"))
                    .to_string()
            })
            .collect();
        assert_eq!(rig.recorded(id).await, sent);

        // A cancelled appointment: the calendar event is cancelled.
        let other = rig.book(language, &email, local_at(5, 9, 0)).await;
        let cancelled = rig
            .post(
                &format!("/v1/requests/{other}/cancel"),
                json!({ "reason": "Gaixorik" }),
            )
            .await;
        assert_eq!(cancelled.status(), StatusCode::OK);
        assert_eq!(rig.send_at(call_at).await.sent, 2);
        let received = sink.received();
        only(&received, other, "receipt");
        let notice = only(&received, other, "cancelled");
        assert!(notice.text.contains("Gaixorik"));
        let calendar = notice.calendar_event().expect("a calendar attachment");
        assert_eq!(calendar.uid, format!("{other}@{DOMAIN}"));
        assert_eq!(
            (
                calendar.method.as_str(),
                calendar.sequence,
                calendar.status.as_str()
            ),
            ("CANCEL", 1, "CANCELLED")
        );
        assert_eq!(calendar.content_type, "text/calendar; method=CANCEL");
    }
}

#[tokio::test]
async fn scheduled_messages_are_never_sent_for_a_cancelled_or_moved_slot() {
    let sink = SmtpSink::start(&[]);
    let rig = Rig::new(smtp_settings(sink.port)).await;
    let start = local_at(3, 10, 0);
    let kept = rig.book("es", "kept@example.org", start).await;
    let cancelled = rig.book("eu", "cancelled@example.org", start).await;
    let raced = rig
        .book("es", "raced@example.org", start + Minutes::minutes(30))
        .await;
    assert_eq!(rig.send_at(Utc::now()).await.sent, 3);

    // Cancelled and planned: the reactor drops its reminder and call link.
    rig.post(&format!("/v1/requests/{cancelled}/cancel"), json!({}))
        .await;
    rig.plan().await;
    // Cancelled after its reminder was planned, and the reactor has not seen the cancellation
    // yet: the sender checks the case itself and drops the reminder.
    rig.post(&format!("/v1/requests/{raced}/cancel"), json!({}))
        .await;
    rig.clock.set(local_at(2, 10, 0));
    let round = rig.sender.run_once().await.expect("round");
    assert_eq!((round.sent, round.dropped), (2, 1), "{round:?}");
    let dropped: String = sqlx::query_scalar(
        "SELECT last_error FROM mail_outbox WHERE request_id = $1 AND kind = 'reminder' AND status = 'dropped'",
    )
    .bind(raced)
    .fetch_one(&rig.app.db.pool)
    .await
    .expect("the raced reminder is dropped");
    assert!(dropped.contains("cancelled"), "{dropped}");

    // At the call-link time only the kept case gets one.
    assert_eq!(rig.send_at(start - Minutes::minutes(15)).await.sent, 2);
    let received = sink.received();
    only(&received, kept, "reminder");
    only(&received, kept, "call_link");
    only(&received, raced, "cancelled");
    for id in [cancelled, raced] {
        for kind in ["reminder", "call_link"] {
            assert!(
                !received
                    .iter()
                    .any(|m| m.request == id.to_string() && m.kind == kind),
                "no {kind} for a cancelled case"
            );
        }
    }
    // Too late is never: a sender that was down until after the appointment sends the
    // receipt, but neither the reminder nor the call link.
    let late = rig.book("eu", "late@example.org", local_at(6, 10, 0)).await;
    let round = rig.send_at(local_at(6, 10, 30)).await;
    assert_eq!((round.sent, round.dropped), (1, 2), "{round:?}");
    assert!(
        !sink
            .received()
            .iter()
            .any(|m| m.request == late.to_string() && m.kind != "receipt")
    );
}

#[tokio::test]
async fn messages_wait_while_the_relay_refuses_or_is_down_and_go_out_once_it_is_back() {
    let mut sink = SmtpSink::start(&["--fail-first", "1"]);
    let rig = Rig::new(smtp_settings(sink.port)).await;
    let start = local_at(3, 10, 0);
    let first = rig.book("eu", "first@example.org", start).await;
    let t0 = Utc::now();
    // 451 "try again later": kept, retried after the backoff.
    let round = rig.send_at(t0).await;
    assert_eq!((round.sent, round.retried), (0, 1), "{round:?}");
    let (attempts, error): (i32, String) = sqlx::query_as(
        "SELECT attempts, last_error FROM mail_outbox WHERE request_id = $1 AND status = 'pending' AND kind = 'receipt'",
    )
    .bind(first)
    .fetch_one(&rig.app.db.pool)
    .await
    .expect("still queued");
    assert_eq!(attempts, 1);
    assert!(error.contains("451"), "{error}");
    // Not before the backoff.
    assert_eq!(
        rig.send_at(t0 + Minutes::seconds(30)).await,
        Round::default()
    );

    // The relay goes away: every message stays queued.
    sink.stop();
    sink.options.clear();
    let second = rig.book("es", "second@example.org", start).await;
    let third = rig
        .book("eu", "third@example.org", start + Minutes::minutes(30))
        .await;
    let round = rig.send_at(Utc::now() + Minutes::seconds(61)).await;
    assert_eq!((round.sent, round.retried), (0, 3), "{round:?}");
    assert!(sink.received().is_empty());
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox WHERE status = 'pending' AND kind = 'receipt' AND last_error IS NOT NULL")
        .fetch_one(&rig.app.db.pool)
        .await
        .expect("count");
    assert_eq!(pending, 3);

    // Back: everything goes out once.
    sink.resume();
    let round = rig.send_at(Utc::now() + Minutes::minutes(10)).await;
    assert_eq!((round.sent, round.recorded), (3, 3), "{round:?}");
    let received = sink.received();
    assert_eq!(received.len(), 3);
    for id in [first, second, third] {
        let receipt = only(&received, id, "receipt");
        assert_eq!(
            receipt.message_id,
            message_id(id, NotificationKind::Receipt, 1)
        );
        assert_eq!(rig.recorded(id).await.len(), 1);
    }
}

#[tokio::test]
async fn the_local_default_writes_each_message_once_as_a_file() {
    let folder = std::env::temp_dir().join(format!("arreta-mail-files-{}", Uuid::new_v4()));
    let mut settings = for_tests(open_settings());
    settings.mail.folder = folder.clone();
    let rig = Rig::new(settings).await;
    let id = rig
        .book("eu", "files@example.org", local_at(3, 10, 0))
        .await;
    assert_eq!(rig.send_at(Utc::now()).await.sent, 1);
    assert_eq!(rig.send_at(Utc::now()).await.sent, 0);
    let expected = folder.join(format!(
        "{}.eml",
        outbox::message_id(id, NotificationKind::Receipt, 1)
    ));
    let message = Received::parse(&std::fs::read(&expected).expect("the receipt's file"));
    assert_eq!(
        (message.kind.as_str(), message.to.as_str()),
        ("receipt", "files@example.org")
    );
    assert_eq!(std::fs::read_dir(&folder).expect("folder").count(), 1);
    let _ = std::fs::remove_dir_all(folder);
}

#[tokio::test]
async fn kill_9_while_sending_neither_loses_nor_doubles_a_message() {
    // Each RCPT answer takes 0.4 s, so the kill lands inside an SMTP transaction.
    let sink = SmtpSink::start(&["--delay-rcpt", "0.4"]);
    let db = TestDb::new().await;
    let mut settings = smtp_settings(sink.port);
    settings.mail.smtp.timeout_seconds = 2;
    settings.mail.retry_base_seconds = 1;
    settings.mail.retry_max_seconds = 2;
    settings.mail.poll_interval_ms = 100;
    let config = write_config(&settings);
    let server = ServerProcess::start(config.path(), &db.url);
    let client = reqwest::Client::new();
    let mut cases = Vec::new();
    for n in 0..8 {
        let mut body = booking_body("PADRON-ALTA", local_at(3, 9, 0) + Minutes::minutes(15 * n));
        body["citizen"]["email"] = json!(format!("crash{n}@example.org"));
        let response = as_clerk(client.post(format!("http://{}/v1/requests", server.address)))
            .json(&body)
            .send()
            .await
            .expect("booked");
        assert_eq!(response.status(), StatusCode::CREATED);
        let case: Value = response.json().await.expect("json");
        cases.push(case["id"].as_str().expect("id").to_string());
    }
    sink.wait_for(3, Duration::from_secs(30)).await;
    // The next message's transaction has started and sits in its 0.4 s RCPT answer.
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.kill_9();
    let before = sink.received().len();
    assert!(
        before < 8,
        "the kill came while messages were still going out"
    );

    let restarted = ServerProcess::start(config.path(), &db.url);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM mail_outbox WHERE kind = 'receipt' AND status = 'sent' AND recorded_at IS NOT NULL",
        )
        .fetch_one(&db.pool)
        .await
        .expect("count");
        if done == 8 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{done} of 8 receipts sent and recorded after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Anything still in flight would have arrived by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(restarted);

    // The messages the kill cut off were taken again after the restart.
    let resent: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox WHERE attempts >= 2")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert!(
        resent >= 1,
        "a message in flight at the kill was sent again"
    );
    let received = sink.received();
    assert_eq!(
        received.len(),
        8,
        "no message lost, none doubled: {:#?}",
        received
            .iter()
            .map(|m| (&m.request, &m.message_id))
            .collect::<Vec<_>>()
    );
    for id in &cases {
        let id: Uuid = id.parse().expect("uuid");
        let receipt = only(&received, id, "receipt");
        assert_eq!(
            receipt.message_id,
            message_id(id, NotificationKind::Receipt, 1)
        );
        let recorded: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = 'NotificationSent'",
        )
        .bind(id.to_string())
        .fetch_one(&db.pool)
        .await
        .expect("count");
        assert_eq!(recorded, 1, "one NotificationSent for {id}");
    }
}

/// A CA and a server certificate it signed for 127.0.0.1, as PEM files in `folder`: (CA
/// certificate, server certificate, server key). rustls refuses a self-signed CA certificate as a
/// server's own, as a council's relay would never present one.
fn certificates(folder: &std::path::Path) -> (String, String, String) {
    std::fs::create_dir_all(folder).expect("folder");
    let path = |name: &str| folder.join(name).display().to_string();
    let (ca, ca_key, cert, key, csr, ext) = (
        path("ca.pem"),
        path("ca-key.pem"),
        path("cert.pem"),
        path("key.pem"),
        path("cert.csr"),
        path("ext.cnf"),
    );
    std::fs::write(
        &ext,
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("extensions");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=Arreta test CA",
                "-keyout",
                &ca_key,
                "-out",
                &ca,
            ],
        ]
        .concat(),
        [
            &["req"][..],
            &ec,
            &["-subj", "/CN=127.0.0.1", "-keyout", &key, "-out", &csr],
        ]
        .concat(),
        vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    ];
    for args in steps {
        let made = std::process::Command::new("openssl")
            .args(&args)
            .output()
            .expect("openssl runs");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    (ca, cert, key)
}

#[tokio::test]
async fn starttls_and_credentials_from_the_configuration_are_used_and_required() {
    let folder = std::env::temp_dir().join(format!("arreta-smtp-tls-{}", Uuid::new_v4()));
    let (ca, cert, key) = certificates(&folder);
    let sink = SmtpSink::start(&[
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--auth",
        "arreta:s3cret",
    ]);
    let configured = |security, password: &str| {
        let mut settings = smtp_settings(sink.port);
        settings.mail.smtp.security = security;
        settings.mail.smtp.username = Some("arreta".into());
        settings.mail.smtp.password = Some(password.into());
        settings.mail.smtp.ca_file = Some(ca.clone().into());
        settings
    };

    let rig = Rig::new(configured(
        infrastructure::mail::SmtpSecurity::Starttls,
        "s3cret",
    ))
    .await;
    let id = rig.book("es", "tls@example.org", local_at(3, 10, 0)).await;
    assert_eq!(rig.send_at(Utc::now()).await.sent, 1);
    assert_eq!(only(&sink.received(), id, "receipt").to, "tls@example.org");

    // A wrong password, or no STARTTLS where the relay insists: our configuration is wrong, not
    // the message. Messages stay queued with the relay's answer until the operators fix it.
    for (security, password, answer) in [
        (
            infrastructure::mail::SmtpSecurity::Starttls,
            "wrong",
            // lettre reports either the 535 or that no mechanism (PLAIN, LOGIN) was accepted.
            &["535", "authentication"][..],
        ),
        (
            infrastructure::mail::SmtpSecurity::None,
            "s3cret",
            // Without TLS the relay offers no AUTH at all, and would answer MAIL with 530.
            &["530", "authentication"][..],
        ),
    ] {
        let rig = Rig::new(configured(security, password)).await;
        let id = rig
            .book("eu", "refused@example.org", local_at(3, 10, 0))
            .await;
        let round = rig.send_at(Utc::now()).await;
        let (status, error): (String, String) = sqlx::query_as(
            "SELECT status, last_error FROM mail_outbox WHERE request_id = $1 AND kind = 'receipt'",
        )
        .bind(id)
        .fetch_one(&rig.app.db.pool)
        .await
        .expect("row");
        assert_eq!((round.sent, round.retried), (0, 1), "{round:?}: {error}");
        assert_eq!(status, "pending");
        assert!(answer.iter().any(|a| error.contains(a)), "{error}");
    }
    assert_eq!(sink.received().len(), 1);
    let _ = std::fs::remove_dir_all(folder);
}

#[tokio::test]
async fn a_citizen_who_lost_the_mail_gets_the_manage_link_again_without_staff() {
    let sink = SmtpSink::start(&[]);
    let rig = Rig::new(smtp_settings(sink.port)).await;
    let email = "ane.galdu@example.org";
    let id = rig.book("eu", email, local_at(40, 10, 0)).await;
    assert_eq!(rig.send_at(Utc::now()).await.sent, 1, "the receipt");
    let ask = |national_id: &str, email: &str| {
        let request = rig
            .app
            .client
            .post(rig.app.url("/v1/links/manage"))
            .json(&json!({ "national_id": national_id, "email": email }));
        async move { request.send().await.expect("sent").status() }
    };

    // Anonymous, with the DNI/NIE and the email (in other capitals): accepted, and mailed.
    assert_eq!(
        ask("12345678z", "ANE.GALDU@example.org").await,
        StatusCode::ACCEPTED
    );
    assert_eq!(rig.send_at(Utc::now()).await.sent, 1);
    let resent = only(&sink.received(), id, "manage_link");
    assert_eq!(resent.to, email);
    assert_eq!(resent.content_language, "eu");
    let token = resent.link_token("manage").expect("a manage link");
    assert_eq!(rig.link(&token).0, id);
    assert_eq!(rig.get_with(&token, id).await, StatusCode::OK);
    // Booked 40 days ahead: the link works until a month after the appointment.
    match rig.app.state.authenticator.verify(&token) {
        Ok(Credential::Link(claims)) => {
            assert_eq!(
                claims.exp,
                (local_at(40, 10, 0) + Minutes::days(30)).timestamp()
            );
        }
        other => panic!("not a link: {other:?}"),
    }

    // Whatever does not match gets the same answer and no mail.
    let events = rig.app.db.event_count().await;
    assert_eq!(ask("87654321X", email).await, StatusCode::ACCEPTED);
    assert_eq!(
        ask("12345678Z", "someone.else@example.org").await,
        StatusCode::ACCEPTED
    );
    assert_eq!(rig.app.db.event_count().await, events, "nothing written");
    // Malformed input is a problem, in the caller's language.
    let bad = rig
        .app
        .client
        .post(rig.app.url("/v1/links/manage"))
        .header("accept-language", "es")
        .json(&json!({ "national_id": "12345678A", "email": email }))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = bad.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "national_id");

    // Three a day: the fourth is answered alike and sends nothing.
    for _ in 0..3 {
        assert_eq!(ask("12345678Z", email).await, StatusCode::ACCEPTED);
    }
    assert_eq!(
        rig.send_at(Utc::now()).await.sent,
        2,
        "two more, then the cap"
    );
    assert_eq!(
        sink.received()
            .iter()
            .filter(|m| m.kind == "manage_link")
            .count(),
        3
    );
}

/// A 010 operator books for a caller as a clerk does: the receipt and its manage link go to the
/// caller's address; the operator's cancellation tells the caller it was at their request.
#[tokio::test]
async fn an_operators_booking_and_cancellation_reach_the_caller() {
    let sink = SmtpSink::start(&[]);
    let rig = Rig::new(smtp_settings(sink.port)).await;
    let mut body = booking_body("PADRON-ALTA", local_at(6, 10, 0));
    body["language"] = json!("es");
    body["citizen"]["email"] = json!("caller@example.org");
    let booked = as_role(rig.app.client.post(rig.app.url("/v1/requests")), "operator")
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(booked.status(), StatusCode::CREATED);
    let id: Uuid = booked.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(rig.send_at(Utc::now()).await.sent, 1);
    let receipt = only(&sink.received(), id, "receipt");
    assert_eq!(receipt.to, "caller@example.org");
    let manage = receipt
        .link_token("manage")
        .expect("the caller's manage link");
    assert_eq!(rig.link(&manage), (id, Purpose::Manage, None));

    let cancel = rig.app.url(&format!("/v1/requests/{id}/cancel"));
    let cancelled = as_role(rig.app.client.post(cancel), "operator")
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(cancelled.status(), StatusCode::OK);
    assert_eq!(rig.send_at(Utc::now()).await.sent, 1);
    let notice = only(&sink.received(), id, "cancelled");
    assert!(notice.text.contains("A petición suya"), "{}", notice.text);
}
