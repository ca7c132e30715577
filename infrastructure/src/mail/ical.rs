//! The appointment as an iCalendar event (RFC 5545, iTIP methods of RFC 5546): one UID per case,
//! a SEQUENCE that grows with every change, and a CANCEL when it is cancelled, so the citizen's
//! calendar keeps one entry that follows the appointment.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A new or changed appointment.
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CalendarEvent<'a> {
    pub method: Method,
    /// `<request id>@<mail domain>`: the same for every message about the case.
    pub uid: String,
    /// 0 when booked, one more at each reschedule, and one more for the cancellation.
    pub sequence: u32,
    /// When the change was made.
    pub stamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendee_name: &'a str,
    pub attendee_email: &'a str,
}

impl CalendarEvent<'_> {
    /// The calendar object, CRLF-terminated and folded at 75 octets.
    pub fn render(&self) -> String {
        let status = match self.method {
            Method::Request => "CONFIRMED",
            Method::Cancel => "CANCELLED",
        };
        let lines = [
            "BEGIN:VCALENDAR".to_string(),
            "VERSION:2.0".into(),
            "PRODID:-//Arreta//Vitoria-Gasteiz//EU".into(),
            "CALSCALE:GREGORIAN".into(),
            format!("METHOD:{}", self.method.as_str()),
            "BEGIN:VEVENT".into(),
            format!("UID:{}", escape(&self.uid)),
            format!("SEQUENCE:{}", self.sequence),
            format!("DTSTAMP:{}", utc(self.stamp)),
            format!("DTSTART:{}", utc(self.start)),
            format!("DTEND:{}", utc(self.end)),
            format!("SUMMARY:{}", escape(self.summary)),
            format!("DESCRIPTION:{}", escape(self.description)),
            format!("LOCATION:{}", escape(self.location)),
            format!("STATUS:{status}"),
            format!(
                "ORGANIZER;CN={}:mailto:{}",
                parameter(self.organizer_name),
                self.organizer_email
            ),
            format!(
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT:mailto:{}",
                parameter(self.attendee_name),
                self.attendee_email
            ),
            "END:VEVENT".into(),
            "END:VCALENDAR".into(),
        ];
        lines.iter().map(|line| fold(line)).collect()
    }
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

    fn event(method: Method) -> CalendarEvent<'static> {
        CalendarEvent {
            method,
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
            summary: "Alta en el Padrón, municipal; 1\\2",
            description: "Línea 1\nLínea 2 con acentos: áéíóú ñ, una línea bastante larga para que haya que plegarla en varias",
            location: "Videollamada",
            organizer_name: "Ayuntamiento \"VG\"",
            organizer_email: "arreta@vitoria-gasteiz.eus",
            attendee_name: "Miren",
            attendee_email: "miren@example.org",
        }
    }

    #[test]
    fn renders_times_in_utc_with_uid_sequence_and_method() {
        let text = event(Method::Request).render();
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
        let cancelled = event(Method::Cancel).render();
        assert!(cancelled.contains("METHOD:CANCEL\r\n"));
        assert!(cancelled.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_and_unfold_to_the_original() {
        let text = event(Method::Request).render();
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(
            "DESCRIPTION:Línea 1\\nLínea 2 con acentos: áéíóú ñ\\, una línea bastante larga para que haya que plegarla en varias\r\n"
        ));
    }
}
