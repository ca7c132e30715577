//! Mail to citizens: a reactor plans messages from the global log into an outbox, a sender
//! delivers them (files locally, SMTP in production) and records each on the case.

mod compose;
pub mod dates;
mod document;
pub mod outbox;
mod reactor;
mod sender;
mod settings;
mod texts;
mod texts_signing;
mod transport;

pub use compose::{ComposeError, Composer, Subject};
pub use reactor::{MailReactor, NAME as REACTOR_NAME};
pub use sender::{MailSender, Round};
pub use settings::{MailSettings, SmtpSecurity, SmtpSettings, TransportKind};
pub use transport::{DeliveryError, MailTransport, TransportSetupError};

use domain::notification::NotificationPolicy;

impl MailSettings {
    /// The reactor's policy in the council's time zone.
    pub fn policy(&self, timezone: chrono_tz::Tz) -> Result<NotificationPolicy, String> {
        Ok(NotificationPolicy {
            timezone,
            reminder_time: self.reminder_time()?,
            call_link_lead: chrono::Duration::minutes(i64::from(self.call_link_lead_minutes)),
        })
    }
}
