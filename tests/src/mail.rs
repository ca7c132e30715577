//! Mail test helpers: a real SMTP server (aiosmtpd, through `scripts/smtp-sink.sh`) per test, the
//! messages it received, parsed, and a clock that moves only when told.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use infrastructure::clock::Clock;
use mail_parser::{MessageParser, MimeHeaders};

/// The script that runs the SMTP server: `ARRETA_TEST_SMTP_SINK`, which the test command sets
/// after installing it, or the repository's own.
fn sink_script() -> PathBuf {
    std::env::var_os("ARRETA_TEST_SMTP_SINK")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("scripts")
                .join("smtp-sink.sh")
        })
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One SMTP server on its own port, saving what it accepts into its own folder.
pub struct SmtpSink {
    pub port: u16,
    pub folder: PathBuf,
    pub options: Vec<String>,
    child: Option<Child>,
}

impl SmtpSink {
    /// Starts a server; `options` are smtp_sink.py's (`--delay-rcpt`, `--fail-first`).
    pub fn start(options: &[&str]) -> Self {
        let folder = std::env::temp_dir().join(format!("arreta-smtp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&folder).expect("sink folder");
        let mut sink = Self {
            port: free_port(),
            folder,
            options: options.iter().map(|o| o.to_string()).collect(),
            child: None,
        };
        sink.resume();
        sink
    }

    /// Starts the server again on the same port and folder after `stop`.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "the SMTP server is already running");
        let mut child = Command::new("bash")
            .arg(sink_script())
            .args(["--port", &self.port.to_string()])
            .arg("--dir")
            .arg(&self.folder)
            .args(&self.options)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the SMTP server starts (scripts/smtp-sink.sh)");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        match lines.next() {
            Some(Ok(line)) if line.starts_with("smtp-sink listening on") => {}
            other => panic!("the SMTP server did not start: {other:?}"),
        }
        self.child = Some(child);
    }

    /// SIGTERM, and wait until the port is closed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.folder)
            .expect("sink folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| Received::parse(&std::fs::read(p).expect("message file")))
            .collect()
    }

    /// Waits until at least `count` messages arrived.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} messages arrived within {within:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// A received message, with what the tests look at.
#[derive(Debug, Clone)]
pub struct Received {
    pub envelope_to: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// Without the angle brackets.
    pub message_id: String,
    pub content_language: String,
    pub request: String,
    pub kind: String,
    pub auto_submitted: String,
    pub text: String,
    pub html: String,
    /// The `text/calendar` attachment, if any, with its content type.
    pub calendar: Option<(String, String)>,
}

impl Received {
    pub fn parse(raw: &[u8]) -> Self {
        let message = MessageParser::default()
            .parse(raw)
            .expect("a message that parses");
        let header = |name: &str| {
            message
                .header_raw(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let address = |list: Option<&mail_parser::Address>| {
            list.and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string()
        };
        let calendar = message.attachments().find_map(|part| {
            let ct = part.content_type()?;
            (ct.ctype() == "text" && ct.subtype() == Some("calendar")).then(|| {
                (
                    String::from_utf8_lossy(part.contents()).to_string(),
                    format!(
                        "text/calendar; method={}",
                        ct.attribute("method").unwrap_or_default()
                    ),
                )
            })
        });
        Self {
            envelope_to: header("X-Envelope-To"),
            from: address(message.from()),
            to: address(message.to()),
            subject: message.subject().unwrap_or_default().to_string(),
            message_id: message.message_id().unwrap_or_default().to_string(),
            content_language: header("Content-Language"),
            request: header("X-Arreta-Request"),
            kind: header("X-Arreta-Notification"),
            auto_submitted: header("Auto-Submitted"),
            text: message
                .body_text(0)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            html: message
                .body_html(0)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            calendar,
        }
    }

    /// The capability token of the first link to `{language}/{purpose}/{request}#token`.
    pub fn link_token(&self, purpose: &str) -> Option<String> {
        let marker = format!("/{}/{purpose}/{}#", self.content_language, self.request);
        let start = self.text.find(&marker)? + marker.len();
        let token: String = self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .collect();
        (!token.is_empty()).then_some(token)
    }

    /// The VEVENT's properties of the calendar attachment, parsed by an independent parser.
    pub fn calendar_event(&self) -> Option<CalendarFacts> {
        let (text, content_type) = self.calendar.as_ref()?;
        let unfolded = icalendar::parser::unfold(text);
        let calendar = icalendar::parser::read_calendar(&unfolded).expect("the iCalendar parses");
        // The parser lifts the VCALENDAR's properties and components to the top.
        let event = calendar
            .components
            .iter()
            .find(|c| c.name == "VEVENT")
            .expect("a VEVENT");
        let get = |props: &[icalendar::parser::Property], name: &str| {
            props
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.val.as_str().to_string())
                .unwrap_or_default()
        };
        let time = |value: String| {
            chrono::NaiveDateTime::parse_from_str(&value, "%Y%m%dT%H%M%SZ")
                .map(|t| t.and_utc())
                .expect("a UTC date-time")
        };
        Some(CalendarFacts {
            content_type: content_type.clone(),
            method: get(&calendar.properties, "METHOD"),
            uid: get(&event.properties, "UID"),
            sequence: get(&event.properties, "SEQUENCE")
                .parse()
                .expect("SEQUENCE"),
            status: get(&event.properties, "STATUS"),
            start: time(get(&event.properties, "DTSTART")),
            end: time(get(&event.properties, "DTEND")),
            summary: get(&event.properties, "SUMMARY"),
            attendee: get(&event.properties, "ATTENDEE"),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarFacts {
    pub content_type: String,
    pub method: String,
    pub uid: String,
    pub sequence: u32,
    pub status: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub attendee: String,
}

/// A clock that stands still until a test moves it.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}
