//! Response bodies shared by several routes.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use projections::case_summary::CaseSummary;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An appointment's time: UTC instants, and the start in the council's local time.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub minutes: u16,
    /// The start in the council's time zone (Europe/Madrid), RFC 3339 with offset.
    #[schema(example = "2026-12-02T09:00:00+01:00")]
    pub local_start: String,
}

impl SlotView {
    pub fn new(start: DateTime<Utc>, minutes: u16, timezone: Tz) -> Self {
        Self {
            start,
            end: start + chrono::Duration::minutes(i64::from(minutes)),
            minutes,
            local_start: start.with_timezone(&timezone).to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenView {
    pub name: String,
    pub national_id: String,
    pub email: String,
    pub phone: Option<String>,
    /// The case's retention for personal data ended and it was erased: name, DNI/NIE, email
    /// and phone are empty.
    pub erased: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CancellationView {
    pub reason: String,
    /// `citizen` or `council`.
    pub by: String,
}

/// A citizen request (case) as it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: Uuid,
    /// The case's version (its number of events); also its ETag.
    pub version: i64,
    /// `booked`, `cancelled`, `no_show` or `closed`.
    pub status: String,
    pub procedure: String,
    pub slot: SlotView,
    /// The video room, 1 to the number of rooms.
    pub room: i16,
    /// `web`, `phone_010`, `counter` or `municipal_sync`.
    pub channel: String,
    /// `eu` or `es`: the language of every message to the citizen.
    pub language: String,
    pub citizen: CitizenView,
    pub external_reference: Option<String>,
    pub reschedule_count: i32,
    pub cancellation: Option<CancellationView>,
    /// `resolved`, `referred`, `withdrawn` or `abandoned` once closed.
    pub outcome: Option<String>,
    pub closing_summary: Option<String>,
    pub registry_entry: Option<String>,
    pub booked_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Only in the answer to a citizen's own web booking, and to a reschedule made with the
    /// manage link: the bearer token of the link to see, reschedule or cancel it (after a
    /// reschedule, one that lasts until a month after the new time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manage_token: Option<String>,
}

impl CaseView {
    pub fn new(s: CaseSummary, timezone: Tz) -> Self {
        Self {
            id: s.request_id,
            version: s.version,
            status: s.status.as_str().to_string(),
            procedure: s.procedure,
            slot: SlotView::new(
                s.slot_start,
                u16::try_from(s.slot_minutes).unwrap_or(0),
                timezone,
            ),
            room: s.room,
            channel: s.channel,
            language: s.language,
            citizen: CitizenView {
                name: s.citizen_name,
                national_id: s.citizen_national_id,
                email: s.citizen_email,
                phone: s.citizen_phone,
                erased: s.personal_data_erased,
            },
            external_reference: s.external_reference,
            reschedule_count: s.reschedule_count,
            cancellation: match (s.cancellation_reason, s.cancelled_by) {
                (Some(reason), Some(by)) => Some(CancellationView { reason, by }),
                _ => None,
            },
            outcome: s.outcome,
            closing_summary: s.closing_summary,
            registry_entry: s.registry_entry,
            booked_at: s.booked_at,
            updated_at: s.updated_at,
            manage_token: None,
        }
    }
}
