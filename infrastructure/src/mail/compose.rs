//! One outbox row made into a MIME message: headers, the text and HTML parts in the case's
//! language, the calendar event where the appointment is concerned, and fresh capability links.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use domain::capability::Purpose;
use domain::citizen_request::{CancelledBy, CitizenRequest, CitizenRequestEvent};
use domain::notification::NotificationKind;
use domain::procedure::Catalogue;
use domain::values::Language;
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use uuid::Uuid;

use super::MailSettings;
use super::dates::date_time;
use super::texts::{Details, Facts, content};
use crate::ical::{self, Event, Method, Person};
use crate::tokens::Authenticator;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("request {0} has no booking to write about")]
    NotBooked(Uuid),
    #[error("request {0}: the citizen's data was erased")]
    PersonalDataErased(Uuid),
    #[error("event #{sequence} of request {request_id} does not call for a {kind} message")]
    WrongTrigger {
        request_id: Uuid,
        sequence: i64,
        kind: &'static str,
    },
    #[error("procedure {0} is not in the catalogue")]
    UnknownProcedure(String),
    #[error("issuing a link: {0}")]
    Link(String),
    #[error("building the message: {0}")]
    Build(String),
}

/// What a message is about: the case as it stood after the event that called for it.
pub struct Subject<'a> {
    pub message_id: Uuid,
    pub kind: NotificationKind,
    pub request_id: Uuid,
    /// The case folded up to and including `trigger`.
    pub case: &'a CitizenRequest,
    pub trigger: &'a CitizenRequestEvent,
    pub trigger_sequence: i64,
    /// How many times the appointment had moved by then: the calendar event's SEQUENCE.
    pub reschedules: u32,
}

pub struct Composer<'a> {
    pub settings: &'a MailSettings,
    pub catalogue: &'a Catalogue,
    pub timezone: Tz,
    pub authenticator: &'a Authenticator,
}

impl Composer<'_> {
    pub fn compose(&self, s: &Subject, now: DateTime<Utc>) -> Result<Message, ComposeError> {
        let booking = s
            .case
            .booking()
            .ok_or(ComposeError::NotBooked(s.request_id))?;
        let citizen = booking
            .citizen
            .known()
            .ok_or(ComposeError::PersonalDataErased(s.request_id))?;
        let language = booking.language;
        let procedure = self
            .catalogue
            .get(&booking.procedure)
            .ok_or_else(|| ComposeError::UnknownProcedure(booking.procedure.as_str().into()))?;
        let when = |instant| date_time(instant, self.timezone, language);
        let facts = Facts {
            language,
            citizen_name: citizen.name.as_str(),
            request_id: s.request_id,
            procedure: procedure.name.get(language),
            when: when(booking.slot.start),
            minutes: booking.slot.minutes,
            prepare: procedure
                .documents
                .iter()
                .map(|d| d.get(language).to_string())
                .collect(),
            phone: &self.settings.phone,
        };
        let link =
            |purpose: Purpose| self.link(s.request_id, purpose, booking.slot.start, language, now);
        let wrong = || ComposeError::WrongTrigger {
            request_id: s.request_id,
            sequence: s.trigger_sequence,
            kind: s.kind.as_str(),
        };
        let details = match (s.kind, s.trigger) {
            (NotificationKind::Receipt, CitizenRequestEvent::AppointmentBooked { .. }) => {
                Details::Receipt {
                    manage_url: link(Purpose::Manage)?,
                }
            }
            (
                NotificationKind::Rescheduled,
                CitizenRequestEvent::AppointmentRescheduled { previous, .. },
            ) => Details::Rescheduled {
                previous_when: when(previous.start),
                manage_url: link(Purpose::Manage)?,
            },
            (
                NotificationKind::Cancelled,
                CitizenRequestEvent::AppointmentCancelled {
                    reason,
                    cancelled_by,
                    ..
                },
            ) => Details::Cancelled {
                // Erased only with the citizen, whose erasure already stopped every message.
                reason: reason.known().map(String::as_str).unwrap_or_default(),
                by_citizen: *cancelled_by == CancelledBy::Citizen,
            },
            (
                NotificationKind::UploadLink,
                CitizenRequestEvent::DocumentsRequested {
                    documents, due_at, ..
                },
            ) => Details::UploadLink {
                documents: documents
                    .iter()
                    .map(|d| d.label.get(language).to_string())
                    .collect(),
                due: when(*due_at),
                upload_url: link(Purpose::Upload)?,
            },
            (NotificationKind::Reminder, _) => Details::Reminder {
                manage_url: link(Purpose::Manage)?,
            },
            (NotificationKind::ManageLink, CitizenRequestEvent::ManageLinkRequested { .. }) => {
                Details::ManageLink {
                    manage_url: link(Purpose::Manage)?,
                }
            }
            (NotificationKind::CallLink, _) => Details::CallLink {
                join_url: link(Purpose::Join)?,
            },
            (
                NotificationKind::Summary,
                CitizenRequestEvent::CaseClosed {
                    outcome,
                    summary,
                    registry_entry,
                    ..
                },
            ) => Details::Summary {
                outcome: *outcome,
                notes: summary.known().map(String::as_str).unwrap_or_default(),
                registry_entry: registry_entry.as_deref(),
            },
            (
                NotificationKind::SignCode,
                CitizenRequestEvent::SignatureRequested {
                    signature_id,
                    kind,
                    addressee,
                    code_expires_at: Some(expires),
                    requested_at,
                    ..
                },
            ) => {
                let url = link(Purpose::Sign)?;
                // The page needs to know which signature: a query before the token's fragment.
                let sign_url = match url.split_once('#') {
                    Some((base, token)) => format!("{base}?signature={signature_id}#{token}"),
                    None => url,
                };
                Details::SignCode {
                    code: self.authenticator.one_time_codes().code(
                        s.request_id,
                        *signature_id,
                        *requested_at,
                    ),
                    expires: when(*expires),
                    sign_url,
                    kind: *kind,
                    addressee,
                }
            }
            (
                NotificationKind::RegistryReceipt,
                CitizenRequestEvent::RegistryEntryMade {
                    signature_id,
                    number,
                    registered_at,
                },
            ) => {
                let signature = s.case.signature(*signature_id).ok_or_else(wrong)?;
                Details::RegistryReceipt {
                    number: *number,
                    registered: when(*registered_at),
                    kind: signature.kind,
                    addressee: &signature.addressee,
                    sha256: &signature.sha256,
                }
            }
            _ => return Err(wrong()),
        };
        let content = content(&facts, &details);
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(content.text()))
            .singlepart(SinglePart::html(content.html(language)));
        let calendar = match s.kind {
            NotificationKind::Receipt | NotificationKind::Rescheduled => {
                Some((Method::Request, s.reschedules))
            }
            // The cancellation outranks every version the citizen may have.
            NotificationKind::Cancelled => Some((Method::Cancel, s.reschedules + 1)),
            _ => None,
        };
        let from: Mailbox = self
            .settings
            .from
            .parse()
            .map_err(|e| ComposeError::Build(format!("mail.from: {e}")))?;
        let to = Mailbox::new(
            Some(citizen.name.as_str().to_string()),
            citizen
                .email
                .as_str()
                .parse()
                .map_err(|e| ComposeError::Build(format!("recipient: {e}")))?,
        );
        let body = match calendar {
            None => body,
            Some((method, sequence)) => {
                let description = format!("{}\n{}", facts.procedure, s.request_id);
                let location = match language {
                    Language::Eu => "Bideodeia",
                    Language::Es => "Videollamada",
                };
                let organizer = from.name.clone().unwrap_or_default();
                let organizer_email = from.email.to_string();
                let event = Event {
                    uid: format!("{}@{}", s.request_id, self.settings.domain),
                    sequence,
                    stamp: event_time(s.trigger).unwrap_or(now),
                    start: booking.slot.start,
                    end: booking.slot.end(),
                    cancelled: method == Method::Cancel,
                    summary: facts.procedure,
                    description: &description,
                    location,
                    organizer: Some(Person {
                        name: &organizer,
                        email: &organizer_email,
                    }),
                    attendee: Some(Person {
                        name: citizen.name.as_str(),
                        email: citizen.email.as_str(),
                    }),
                };
                let ics = ical::calendar(method, None, &[event]);
                let content_type = ContentType::parse(&format!(
                    "text/calendar; charset=utf-8; method={}",
                    method.as_str()
                ))
                .map_err(|e| ComposeError::Build(format!("calendar content type: {e}")))?;
                let name = match language {
                    Language::Eu => "hitzordua.ics",
                    Language::Es => "cita.ics",
                };
                MultiPart::mixed()
                    .multipart(body)
                    .singlepart(Attachment::new(name.to_string()).body(ics, content_type))
            }
        };
        Message::builder()
            .from(from)
            .to(to)
            .subject(content.subject)
            .message_id(Some(format!("<{}@{}>", s.message_id, self.settings.domain)))
            .date(std::time::SystemTime::from(now))
            .header(ContentLanguage(language.as_str().into()))
            .header(AutoSubmitted("auto-generated".into()))
            .header(ArretaRequest(s.request_id.to_string()))
            .header(ArretaNotification(s.kind.as_str().into()))
            .multipart(body)
            .map_err(|e| ComposeError::Build(e.to_string()))
    }

    /// `{public_url}/{language}/{purpose}/{request}#{token}`: the token travels in the fragment,
    /// which browsers never send to a server nor put in a Referer.
    fn link(
        &self,
        request_id: Uuid,
        purpose: Purpose,
        slot_start: DateTime<Utc>,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<String, ComposeError> {
        let (token, _) = self
            .authenticator
            .issue_link(request_id, purpose, slot_start, now)
            .map_err(|e| ComposeError::Link(e.to_string()))?;
        Ok(format!(
            "{}/{}/{}/{}#{}",
            self.settings.public_url.trim_end_matches('/'),
            language.as_str(),
            purpose.as_str(),
            request_id,
            token
        ))
    }
}

/// When the change the message reports was made.
fn event_time(event: &CitizenRequestEvent) -> Option<DateTime<Utc>> {
    match event {
        CitizenRequestEvent::AppointmentBooked { booked_at, .. } => Some(*booked_at),
        CitizenRequestEvent::AppointmentRescheduled { rescheduled_at, .. } => Some(*rescheduled_at),
        CitizenRequestEvent::AppointmentCancelled { cancelled_at, .. } => Some(*cancelled_at),
        _ => None,
    }
}

/// Headers lettre has no type for. Their values are ASCII written here, never user data.
macro_rules! plain_header {
    ($type:ident, $name:literal) => {
        #[derive(Clone)]
        struct $type(String);

        impl Header for $type {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self(s.to_string()))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

plain_header!(ContentLanguage, "Content-Language");
plain_header!(AutoSubmitted, "Auto-Submitted");
plain_header!(ArretaRequest, "X-Arreta-Request");
plain_header!(ArretaNotification, "X-Arreta-Notification");
