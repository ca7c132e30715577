//! The `[mail]` section of the configuration: where messages go, who they come from, when the
//! scheduled ones fire and how failed deliveries are retried.

use std::path::PathBuf;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// Each message written as `<message id>.eml` in `folder` (the local default).
    Files,
    /// Sent to the council's SMTP relay.
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP: only for a relay on the same host, and refused in production.
    None,
    /// Upgraded with STARTTLS (port 587), which must succeed.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Connection and command timeout.
    pub timeout_seconds: u64,
    /// A CA certificate (PEM) to trust besides the public roots, e.g. the council's own CA.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: TransportKind,
    /// Where the files transport writes.
    pub folder: PathBuf,
    pub smtp: SmtpSettings,
    /// The sender, e.g. `Gasteizko Udala <arreta@vitoria-gasteiz.eus>`.
    pub from: String,
    /// The right-hand side of every Message-ID and of the calendar events' UIDs.
    pub domain: String,
    /// The front-office web app that opens citizens' links: `{public_url}/{language}/{purpose}/{request}#{token}`.
    pub public_url: String,
    /// The phone line named in messages as the other way to change an appointment.
    pub phone: String,
    /// The reminder goes out the day before the appointment at this local time ("HH:MM").
    pub reminder_time: String,
    /// The call link goes out this many minutes before the start.
    pub call_link_lead_minutes: u32,
    /// First retry after a failed delivery; doubled at each failure up to `retry_max_seconds`.
    pub retry_base_seconds: u64,
    pub retry_max_seconds: u64,
    /// Deliveries tried before a message is given up as failed (and logged as an error).
    pub max_attempts: i32,
    /// Messages taken per round.
    pub batch_size: i64,
    /// How often the sender looks for messages that came due, in milliseconds.
    pub poll_interval_ms: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: TransportKind::Files,
            folder: PathBuf::from("var/mail"),
            smtp: SmtpSettings {
                host: "127.0.0.1".into(),
                port: 25,
                security: SmtpSecurity::None,
                username: None,
                password: None,
                timeout_seconds: 30,
                ca_file: None,
            },
            from: "Gasteizko Udala / Ayuntamiento de Vitoria-Gasteiz <arreta@vitoria-gasteiz.eus>"
                .into(),
            domain: "arreta.vitoria-gasteiz.eus".into(),
            public_url: "http://127.0.0.1:8080/app".into(),
            phone: "010".into(),
            reminder_time: "10:00".into(),
            call_link_lead_minutes: 15,
            retry_base_seconds: 5,
            retry_max_seconds: 1800,
            max_attempts: 40,
            batch_size: 20,
            poll_interval_ms: 1000,
        }
    }
}

impl MailSettings {
    /// The reminder's local time of day, or why it is not one.
    pub fn reminder_time(&self) -> Result<NaiveTime, String> {
        NaiveTime::parse_from_str(&self.reminder_time, "%H:%M")
            .map_err(|_| format!("mail.reminder_time {:?} is not HH:MM", self.reminder_time))
    }

    /// Checks what a parse alone cannot; `production` refuses what is only fit for development.
    pub fn validate(&self, production: bool) -> Result<(), String> {
        self.reminder_time()?;
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!("mail.from {:?} is not a mailbox", self.from));
        }
        if self.domain.is_empty()
            || !self
                .domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(format!("mail.domain {:?} is not a host name", self.domain));
        }
        if !(self.public_url.starts_with("https://") || self.public_url.starts_with("http://")) {
            return Err("mail.public_url must be an http(s) URL".into());
        }
        if self.retry_base_seconds == 0 || self.retry_max_seconds < self.retry_base_seconds {
            return Err(
                "mail.retry_base_seconds must be positive and at most retry_max_seconds".into(),
            );
        }
        if self.max_attempts < 1 || self.batch_size < 1 {
            return Err("mail.max_attempts and mail.batch_size must be positive".into());
        }
        if production {
            if self.transport != TransportKind::Smtp {
                return Err(
                    "the production profile sends mail by SMTP: set mail.transport = \"smtp\""
                        .into(),
                );
            }
            if self.smtp.security == SmtpSecurity::None {
                return Err(
                    "the production profile needs mail.smtp.security = \"starttls\" or \"tls\""
                        .into(),
                );
            }
            if !self.public_url.starts_with("https://") {
                return Err("the production profile needs an https mail.public_url".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_defaults_are_valid_but_not_for_production() {
        let local = MailSettings::default();
        assert_eq!(local.validate(false), Ok(()));
        let refused = local.validate(true).expect_err("files in production");
        assert!(refused.contains("smtp"), "{refused}");
    }

    #[test]
    fn production_needs_an_encrypted_relay_and_https_links() {
        let mut settings = MailSettings {
            transport: TransportKind::Smtp,
            public_url: "https://arreta.vitoria-gasteiz.eus".into(),
            ..MailSettings::default()
        };
        settings.smtp.security = SmtpSecurity::None;
        assert!(settings.validate(true).is_err());
        settings.smtp.security = SmtpSecurity::Starttls;
        assert_eq!(settings.validate(true), Ok(()));
        settings.public_url = "http://arreta.vitoria-gasteiz.eus".into();
        assert!(settings.validate(true).is_err());
    }

    #[test]
    fn malformed_values_are_named() {
        let bad = |change: fn(&mut MailSettings)| {
            let mut settings = MailSettings::default();
            change(&mut settings);
            settings.validate(false).expect_err("refused")
        };
        assert!(bad(|s| s.reminder_time = "25:00".into()).contains("reminder_time"));
        assert!(bad(|s| s.from = "not a mailbox".into()).contains("mail.from"));
        assert!(bad(|s| s.domain = "a b".into()).contains("mail.domain"));
        assert!(bad(|s| s.retry_base_seconds = 0).contains("retry"));
        assert!(bad(|s| s.max_attempts = 0).contains("max_attempts"));
    }
}
