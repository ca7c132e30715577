//! Helpers for end-to-end tests over a real PostgreSQL: a fresh database per test, the api
//! served in process on port 0 (`spawn_app`), or the `arreta` binary as a child process
//! (`ServerProcess`) for crash tests.
//!
//! The PostgreSQL server comes from `ARRETA_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432`), which the test script starts when none answers.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use api::state::AppState;
use chrono::{DateTime, Duration as ChronoDuration, NaiveDate, TimeZone, Utc};
use domain::metadata::Role;
use infrastructure::config::{OpeningHours, Settings};
use infrastructure::database;
use infrastructure::personal_data::{LocalKeyFile, PersonalData};
use infrastructure::projector::{self, ProjectorRunner};
use infrastructure::tokens::DevelopmentKeys;
use projections::LogPosition;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::watch;
use uuid::Uuid;

pub fn postgres_server() -> String {
    std::env::var("ARRETA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database of its own for one test, migrated.
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
    /// The personal-data keys the test servers use (`auth.data_dir` is `test_keys_dir()`).
    pub personal: PersonalData,
}

/// The wrapping key every test server finds in `test_keys_dir()`.
pub fn test_personal_data() -> PersonalData {
    let path = test_keys_dir().join("personal-data.key");
    let wrapper = LocalKeyFile::load_or_create(&path).expect("the test wrapping key");
    PersonalData::new(std::sync::Arc::new(wrapper))
}

impl TestDb {
    pub async fn new() -> Self {
        let name = format!("arreta_test_{}", Uuid::new_v4().simple());
        let url = format!("{}/{name}", postgres_server());
        let pool = database::connect(&url, 30, true)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL for tests at {}: {e}", postgres_server()));
        database::migrate(&pool).await.expect("migrations apply");
        Self {
            name,
            url,
            pool,
            personal: test_personal_data(),
        }
    }

    pub async fn conn(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.expect("connect")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect("count query")
    }

    pub async fn event_count(&self) -> i64 {
        self.count("SELECT count(*) FROM events").await
    }

    /// Waits until every projector's checkpoint has reached the last committed event.
    pub async fn wait_for_projections(&self) {
        self.wait_for_checkpoints(&projector::NAMES).await;
    }

    /// Runs a reactor (or projector) in the test's own task until it has passed every committed
    /// event, so a test decides exactly when reactions happen.
    pub async fn run_reactor(&self, reactor: &dyn projector::Projector) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            projector::catch_up(&self.pool, &self.personal, reactor, 500)
                .await
                .expect("reactor batch");
            let behind: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM events e LEFT JOIN projector_checkpoints c \
                   ON c.projector = $1 \
                 WHERE c.projector IS NULL \
                   OR (e.transaction_id::text::bigint, e.global_position) > (c.transaction_id, c.global_position))",
            )
            .bind(reactor.name())
            .fetch_one(&self.pool)
            .await
            .expect("checkpoint");
            if !behind {
                return;
            }
            assert!(Instant::now() < deadline, "{} fell behind", reactor.name());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until each named projector or reactor has passed the last committed event.
    pub async fn wait_for_checkpoints(&self, names: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut conn = self.pool.acquire().await.expect("connection");
            // Every committed event, not only those below the cluster-wide xmin: another test's
            // transaction in flight must not make this return before our last event is applied.
            let head: LogPosition = sqlx::query_as::<_, (i64, i64)>(
                "SELECT transaction_id::text::bigint, global_position FROM events \
                 ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
            )
            .fetch_optional(&mut *conn)
            .await
            .expect("head")
            .map_or(LogPosition::START, |(transaction_id, position)| {
                LogPosition {
                    transaction_id,
                    position,
                }
            });
            let mut behind = false;
            for name in names {
                let at = projector::checkpoint(&mut conn, name)
                    .await
                    .expect("checkpoint");
                behind |= head != LogPosition::START && at < head;
            }
            if !behind {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "projections did not catch up within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A calendar open around the clock every day, booking allowed up to a year ahead with no lead
/// time: tests pick any aligned future slot.
pub fn open_settings() -> Settings {
    let mut settings = Settings::default();
    let all_day = || vec!["00:00-24:00".to_string()];
    settings.calendar.opening_hours = OpeningHours {
        monday: all_day(),
        tuesday: all_day(),
        wednesday: all_day(),
        thursday: all_day(),
        friday: all_day(),
        saturday: all_day(),
        sunday: all_day(),
    };
    settings.calendar.holidays.clear();
    // Servers started by tests write their mail files here, never into the working tree.
    settings.mail.folder =
        std::env::temp_dir().join(format!("arreta-test-mail-{}", std::process::id()));

    settings.calendar.min_lead_minutes = 0;
    settings.calendar.horizon_days = 3650;
    settings.projections.poll_interval_ms = 50;
    for_tests(settings)
}

/// `settings` with the tests' development keys, and rate limits that a test calling from one
/// address many times a second does not hit.
pub fn for_tests(mut settings: Settings) -> Settings {
    settings.auth.data_dir = test_keys_dir();
    settings.rate_limits.public_per_minute = 60_000;
    settings.rate_limits.citizen_per_minute = 60_000;
    settings.rate_limits.burst = 10_000;
    // Web bookings still solve a challenge, one a test solves in microseconds.
    settings.booking_guard.challenge_bits = TEST_CHALLENGE_BITS;
    settings
}

/// The proof of work asked in tests (the default asks a browser about a second).
pub const TEST_CHALLENGE_BITS: u8 = 6;

/// The api served in process on an ephemeral port, with its projectors running.
pub struct TestApp {
    pub address: SocketAddr,
    pub db: TestDb,
    pub state: AppState,
    pub client: reqwest::Client,
    stop: watch::Sender<bool>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(open_settings()).await
}

pub async fn spawn_app_with(mut settings: Settings) -> TestApp {
    let db = TestDb::new().await;
    settings.database_url = db.url.clone();
    let state = api::server::state(db.pool.clone(), settings.clone()).expect("state");
    let (stop, stopped) = watch::channel(false);
    ProjectorRunner {
        pool: db.pool.clone(),
        personal: state.booking.personal().clone(),
        projectors: projector::all(state.booking.calendar().timezone),
        batch: settings.projections.batch_size,
        poll: Duration::from_millis(settings.projections.poll_interval_ms),
    }
    .spawn(stopped);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let app = api::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    TestApp {
        address,
        db,
        state,
        client: reqwest::Client::new(),
        stop,
    }
}

/// A second api process on a test app's database: its own state (signalling hub, rate limits)
/// and port, as another replica behind a load balancer would be.
pub struct Replica {
    pub address: SocketAddr,
}

impl Replica {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl TestApp {
    pub async fn replica(&self) -> Replica {
        let settings = (*self.state.settings).clone();
        let state = api::server::state(self.db.pool.clone(), settings).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let app = api::app(state).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Replica { address }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Where the tests keep the development keys every test server trusts.
pub fn test_keys_dir() -> PathBuf {
    std::env::temp_dir().join("arreta-test-keys")
}

/// The development keys the test servers trust.
pub fn test_keys() -> &'static DevelopmentKeys {
    static KEYS: OnceLock<DevelopmentKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        DevelopmentKeys::load_or_create(&test_keys_dir()).expect("test development keys")
    })
}

/// A staff token for `role`, as the identity provider would issue it.
pub fn staff_token(role: &str, subject: &str) -> String {
    let role = Role::parse(role).expect("a known role");
    let auth = Settings::default().auth;
    test_keys().mint(
        subject,
        &[role],
        &auth.issuer,
        &auth.audience,
        ChronoDuration::minutes(30),
    )
}

/// A request made by clerk `clerk-01`.
pub fn as_clerk(builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    builder.bearer_auth(staff_token("clerk", "clerk-01"))
}

/// A request made by `<role>-01` in `role`.
pub fn as_role(builder: reqwest::RequestBuilder, role: &str) -> reqwest::RequestBuilder {
    builder.bearer_auth(staff_token(role, &format!("{role}-01")))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn book(&self, body: &Value) -> reqwest::Response {
        as_clerk(self.client.post(self.url("/v1/requests")))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A fresh booking challenge: its text and its difficulty in bits.
    pub async fn challenge(&self) -> (String, u8) {
        let challenge: Value = self
            .client
            .get(self.url("/v1/booking-challenge"))
            .send()
            .await
            .expect("challenge asked")
            .json()
            .await
            .expect("a challenge");
        let text = challenge["challenge"].as_str().expect("challenge text");
        let bits =
            u8::try_from(challenge["difficulty"].as_u64().expect("difficulty")).expect("bits");
        (text.to_string(), bits)
    }

    /// A fresh booking challenge, solved: the `proof` of an anonymous web booking.
    pub async fn solved_proof(&self) -> Value {
        let (text, bits) = self.challenge().await;
        json!({
            "nonce": infrastructure::booking_guard::challenge::solve(&text, bits),
            "challenge": text,
        })
    }

    /// `body` booked anonymously on the web, with a solved challenge.
    pub async fn web_book(&self, body: &Value) -> reqwest::Response {
        let mut body = body.clone();
        body["channel"] = json!("web");
        body["proof"] = self.solved_proof().await;
        self.client
            .post(self.url("/v1/requests"))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_case(&self, id: &str) -> reqwest::Response {
        as_clerk(self.client.get(self.url(&format!("/v1/requests/{id}"))))
            .send()
            .await
            .expect("request sent")
    }

    /// GETs `path` as `<role>-01` in `role` and reads the JSON answer.
    pub async fn get_json_as(&self, role: &str, path: &str) -> Value {
        as_role(self.client.get(self.url(path)), role)
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("a JSON answer")
    }

    pub fn calendar(&self) -> &domain::calendar::ServiceCalendar {
        self.state.booking.calendar()
    }
}

/// A valid booking body for a slot starting at `start`.
pub fn booking_body(procedure: &str, start: DateTime<Utc>) -> Value {
    json!({
        "procedure": procedure,
        "start": start.to_rfc3339(),
        "channel": "phone_010",
        "language": "eu",
        "citizen": {
            "name": "Miren Etxeberria Ruiz",
            "national_id": "12345678Z",
            "email": "miren@example.org",
            "phone": "600123456"
        }
    })
}

/// Local 10:00 in Madrid, `days` days from today.
pub fn local_ten(days: i64) -> DateTime<Utc> {
    local_at(days, 10, 0)
}

pub fn local_at(days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    let madrid = chrono_tz::Europe::Madrid;
    let day: NaiveDate =
        Utc::now().with_timezone(&madrid).date_naive() + ChronoDuration::days(days);
    madrid
        .from_local_datetime(&day.and_hms_opt(hour, minute, 0).expect("time"))
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

/// The next day at least `after` days ahead that is a weekday and not a default holiday.
pub fn next_working_day(after: i64) -> i64 {
    let settings = Settings::default();
    let calendar = settings.service_calendar().expect("calendar");
    let today = Utc::now().with_timezone(&calendar.timezone).date_naive();
    (after..after + 30)
        .find(|d| {
            !calendar
                .windows(today + ChronoDuration::days(*d))
                .is_empty()
        })
        .expect("a working day within a month")
}

/// The `arreta` binary of the same build: beside this executable (a binary such as the
/// benchmark) or one folder up (a test executable lives in `deps/`).
pub fn arreta_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("executable path");
    let dir = exe.parent().expect("executable directory");
    let candidates = [
        dir.join("arreta"),
        dir.parent().unwrap_or(dir).join("arreta"),
    ];
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "the arreta binary is missing beside {}: build it first (cargo build -p api --bin arreta)",
                dir.display()
            )
        })
}

/// `arreta serve` as a child process, on a port of its own choosing.
pub struct ServerProcess {
    pub child: Child,
    pub address: SocketAddr,
}

impl ServerProcess {
    pub fn start(config_file: &std::path::Path, database_url: &str) -> Self {
        let mut child = Command::new(arreta_binary())
            .arg("serve")
            .env("ARRETA_CONFIG", config_file)
            .env("ARRETA_DATABASE_URL", database_url)
            .env("ARRETA_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("arreta serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("arreta serve printed its address before exiting")
                .expect("stdout line");
            if let Some(url) = line.strip_prefix("arreta listening on http://") {
                break url.trim().parse().expect("socket address");
            }
        };
        Self { child, address }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes settings as a TOML configuration file for a child process.
pub fn write_config(settings: &Settings) -> tempfile_path::TempFile {
    let text = toml::to_string(settings).expect("settings serialise as TOML");
    tempfile_path::TempFile::with_content("arreta-test", ".toml", &text)
}

/// Books PADRON-ALTA at 10:00 local, `day` days from today, as a clerk; the case id.
pub async fn book_case(app: &TestApp, day: i64) -> String {
    let response = app
        .book(&booking_body("PADRON-ALTA", local_at(day, 10, 0)))
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// A capability link's token for `purpose` on case `id`, issued by a clerk.
pub async fn issue_link(app: &TestApp, id: &str, purpose: &str) -> String {
    let response = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/links"))),
    )
    .json(&json!({ "purpose": purpose }))
    .send()
    .await
    .expect("links");
    assert_eq!(
        response.status(),
        reqwest::StatusCode::CREATED,
        "issuing a {purpose} link"
    );
    response.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string()
}

/// The start of a 30-minute slot `quarters` quarter hours after the next one, for a call that
/// must open now; moved to the next local midnight when it would cross one (the test calendar
/// opens 00:00-24:00, and a slot may not span two days).
pub fn soon_slot(quarters: i64) -> DateTime<Utc> {
    use chrono::DurationRound;
    let start = (Utc::now() + ChronoDuration::minutes(1))
        .duration_trunc(ChronoDuration::minutes(15))
        .expect("truncated")
        + ChronoDuration::minutes(15 * (1 + quarters));
    let madrid = chrono_tz::Europe::Madrid;
    let local_start = start.with_timezone(&madrid);
    let local_end = (start + ChronoDuration::minutes(29)).with_timezone(&madrid);
    if local_start.date_naive() == local_end.date_naive() {
        return start;
    }
    local_end
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| midnight.and_local_timezone(madrid).earliest())
        .map(|t| t.with_timezone(&Utc))
        .expect("local midnight")
}

/// The S3 server with Object Lock the test script started (LocalStack's S3): tests of storage
/// fail, on purpose, without it.
pub fn s3_endpoint() -> String {
    match std::env::var("ARRETA_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!(
            "ARRETA_TEST_S3_ENDPOINT is not set: these tests need a real S3 server with \
             Object Lock. Run scripts/test.sh (it starts LocalStack's S3), or start one with \
             `scripts/localstack.sh run 4566` and export ARRETA_TEST_S3_ENDPOINT=http://127.0.0.1:4566"
        ),
    }
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4().simple())
}

/// Test settings storing on the S3 server at `endpoint`, in buckets of the test's own.
pub fn s3_settings(endpoint: String) -> Settings {
    use infrastructure::config::StorageBackend;
    use infrastructure::object_store::s3;
    let mut settings = open_settings();
    settings.storage.backend = StorageBackend::S3;
    settings.storage.endpoint = endpoint;
    settings.storage.access_key = Some("test".into());
    settings.storage.secret_key = Some("test".into());
    settings.storage.recordings_bucket = unique("rec");
    settings.storage.documents_bucket = unique("doc");
    settings.storage.documents_retention_days = 2;
    settings.storage.part_size_bytes = s3::MIN_PART_SIZE;
    settings.storage.request_timeout_seconds = 10;
    settings.request_timeout_seconds = 120;
    settings
}

/// Every object version in `bucket`, straight from S3: (key, version id).
pub async fn bucket_versions(
    storage: &infrastructure::config::StorageSettings,
    bucket: &str,
) -> Vec<(String, Option<String>)> {
    use futures::StreamExt;
    use minio::s3::types::ToStream;
    let store = infrastructure::object_store::s3::S3Store::from_settings(storage).expect("store");
    let mut stream = store
        .client()
        .list_objects(bucket)
        .expect("bucket name")
        .recursive(true)
        .include_versions(true)
        .build()
        .to_stream()
        .await;
    let mut versions = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page.expect("listing a bucket");
        versions.extend(
            page.contents
                .into_iter()
                .map(|entry| (entry.name, entry.version_id)),
        );
    }
    versions
}

/// A TCP proxy that forwards faithfully until told to stall, then holds every byte the client
/// sends from then on (a request caught mid-way, as on a line that froze).
pub struct StallingProxy {
    pub address: SocketAddr,
    stalled: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl StallingProxy {
    pub async fn start(target: SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let stalled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stall = stalled.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let stall = stall.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut from_client, mut to_client) = inbound.into_split();
                    let (mut from_server, mut to_server) = outbound.into_split();
                    let upstream = async move {
                        let mut buffer = vec![0u8; 16 * 1024];
                        loop {
                            let n = match from_client.read(&mut buffer).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            while stall.load(Ordering::SeqCst) {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            if to_server.write_all(&buffer[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    let downstream = async move {
                        let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                    };
                    tokio::join!(upstream, downstream);
                });
            }
        });
        Self { address, stalled }
    }

    pub fn stall(&self) {
        self.stalled
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The `arreta-recorder` binary, built beside `arreta`.
pub fn recorder_binary() -> PathBuf {
    let arreta = arreta_binary();
    let recorder = arreta.with_file_name("arreta-recorder");
    assert!(
        recorder.is_file(),
        "the arreta-recorder binary is missing beside {}: build it first (cargo build --workspace --bins)",
        arreta.display()
    );
    recorder
}

/// `arreta-recorder` as a child process, on a port of its own choosing.
pub struct RecorderProcess {
    pub child: Child,
    pub address: SocketAddr,
}

impl RecorderProcess {
    pub fn start(config_file: &std::path::Path) -> Self {
        let mut child = Command::new(recorder_binary())
            .env("ARRETA_CONFIG", config_file)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("arreta-recorder starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("arreta-recorder printed its address before exiting")
                .expect("stdout line");
            if let Some(url) = line.strip_prefix("arreta-recorder listening on http://") {
                break url.trim().parse().expect("socket address");
            }
        };
        Self { child, address }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RecorderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub mod mail;
pub mod webhook;

pub mod tempfile_path {
    //! A file in the temporary directory, removed when dropped.
    use std::path::{Path, PathBuf};

    pub struct TempFile(PathBuf);

    impl TempFile {
        pub fn with_content(prefix: &str, suffix: &str, content: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "{prefix}-{}{suffix}",
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::write(&path, content).expect("temporary file written");
            Self(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// A TCP proxy between the api and PostgreSQL that a test can cut and restore, to play a
/// database outage without touching the server other tests share.
pub struct CuttableProxy {
    pub address: SocketAddr,
    enabled: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl CuttableProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let enabled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (on, open) = (enabled.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !on.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                open.lock().expect("lock").push(task.abort_handle());
            }
        });
        Self {
            address,
            enabled,
            connections,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.enabled
            .store(false, std::sync::atomic::Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    pub fn restore(&self) {
        self.enabled
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
