//! iCalendar (RFC 5545, with the iTIP methods of RFC 5546): the appointment mailed to a citizen
//! (one UID per case, a SEQUENCE that grows with every change, a CANCEL when cancelled) and the
//! feeds clerks and rooms subscribe to.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A feed: events to show.
    Publish,
    /// A new or changed appointment.
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "PUBLISH",
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

/// A name and an address, for ORGANIZER and ATTENDEE.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// `<request id>@<mail domain>`: the same for every message about the case.
    pub uid: String,
    /// 0 when booked, one more at each change.
    pub sequence: u32,
    /// When the change was made.
    pub stamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub cancelled: bool,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub organizer: Option<Person<'a>>,
    pub attendee: Option<Person<'a>>,
}

/// A calendar object with `events`, CRLF-terminated and folded at 75 octets.
pub fn calendar(method: Method, name: Option<&str>, events: &[Event]) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Arreta//Vitoria-Gasteiz//EU".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", method.as_str()),
    ];
    if let Some(name) = name {
        lines.push(format!("X-WR-CALNAME:{}", escape(name)));
    }
    for event in events {
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}", escape(&event.uid)),
            format!("SEQUENCE:{}", event.sequence),
            format!("DTSTAMP:{}", utc(event.stamp)),
            format!("DTSTART:{}", utc(event.start)),
            format!("DTEND:{}", utc(event.end)),
            format!("SUMMARY:{}", escape(event.summary)),
            format!("DESCRIPTION:{}", escape(event.description)),
            format!("LOCATION:{}", escape(event.location)),
            format!(
                "STATUS:{}",
                if event.cancelled {
                    "CANCELLED"
                } else {
                    "CONFIRMED"
                }
            ),
        ]);
        if let Some(p) = event.organizer {
            lines.push(format!(
                "ORGANIZER;CN={}:mailto:{}",
                parameter(p.name),
                p.email
            ));
        }
        if let Some(p) = event.attendee {
            lines.push(format!(
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT:mailto:{}",
                parameter(p.name),
                p.email
            ));
        }
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|line| fold(line)).collect()
}

fn utc(instant: DateTime<Utc>) -> String {
    instant.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT values escape backslash, semicolon, comma and newlines.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value is quoted; a double quote cannot appear in one at all.
fn parameter(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    format!("\"{clean}\"")
}

/// Folds a content line into pieces of at most 75 octets, never splitting a character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        // Continuation lines start with a space, which counts towards their 75 octets.
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn event(cancelled: bool) -> Event<'static> {
        Event {
            uid: "0190c0de@arreta.example".into(),
            sequence: 2,
            stamp: Utc
                .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
                .single()
                .expect("t"),
            start: Utc
                .with_ymd_and_hms(2026, 12, 2, 8, 0, 0)
                .single()
                .expect("t"),
            end: Utc
                .with_ymd_and_hms(2026, 12, 2, 8, 30, 0)
                .single()
                .expect("t"),
            cancelled,
            summary: "Alta en el Padrón, municipal; 1\\2",
            description: "Línea 1\nLínea 2 con acentos: áéíóú ñ, una línea bastante larga para que haya que plegarla en varias",
            location: "Videollamada",
            organizer: Some(Person {
                name: "Ayuntamiento \"VG\"",
                email: "arreta@vitoria-gasteiz.eus",
            }),
            attendee: Some(Person {
                name: "Miren",
                email: "miren@example.org",
            }),
        }
    }

    #[test]
    fn renders_times_in_utc_with_uid_sequence_and_method() {
        let text = calendar(Method::Request, None, &[event(false)]);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.contains("METHOD:REQUEST\r\n"));
        assert!(text.contains("UID:0190c0de@arreta.example\r\n"));
        assert!(text.contains("SEQUENCE:2\r\n"));
        assert!(text.contains("DTSTART:20261202T080000Z\r\n"));
        assert!(text.contains("DTEND:20261202T083000Z\r\n"));
        assert!(text.contains("STATUS:CONFIRMED\r\n"));
        assert!(text.contains("SUMMARY:Alta en el Padrón\\, municipal\\; 1\\\\2\r\n"));
        assert!(
            text.contains("ORGANIZER;CN=\"Ayuntamiento VG\":mailto:arreta@vitoria-gasteiz.eus")
        );
        let cancelled = calendar(Method::Cancel, None, &[event(true)]);
        assert!(cancelled.contains("METHOD:CANCEL\r\n"));
        assert!(cancelled.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn a_feed_has_a_name_and_every_event() {
        let mut second = event(false);
        second.uid = "second@arreta.example".into();
        second.organizer = None;
        second.attendee = None;
        let text = calendar(
            Method::Publish,
            Some("Gela 1 / Sala 1"),
            &[event(false), second],
        );
        assert!(text.contains("METHOD:PUBLISH\r\n"));
        assert!(text.contains("X-WR-CALNAME:Gela 1 / Sala 1\r\n"));
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
        assert_eq!(text.matches("ATTENDEE").count(), 1);
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_and_unfold_to_the_original() {
        let text = calendar(Method::Request, None, &[event(false)]);
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(
            "DESCRIPTION:Línea 1\\nLínea 2 con acentos: áéíóú ñ\\, una línea bastante larga para que haya que plegarla en varias\r\n"
        ));
    }
}
