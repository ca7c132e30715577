//! The video call as the api runs it: opening takes one of the day's call places in the Agenda
//! (at most `calendar.rooms` calls at once, a clerk in one call) before the case records it, and
//! gives the place back if the case refuses; ending does the reverse. Consent is the case's.

pub mod consent;
pub mod presence;
mod settings;
pub mod signalling;
pub mod turn;

use chrono::Duration;
use domain::agenda::{AgendaCommand, CloseCall, OpenCall};
use domain::citizen_request::{
    CitizenRequestCommand, ConsentDecision, ConsentWording, EndCall, RecordConsent, StartCall,
};
use domain::metadata::EventMetadata;
use uuid::Uuid;

pub use settings::{CallSettings, IceServer, RecorderSettings, TurnSettings};

use crate::booking::{BookingError, BookingService, CaseState};

/// Opens the call of `request_id` for the clerk acting in `metadata`.
pub async fn start(
    booking: &BookingService,
    settings: &CallSettings,
    request_id: Uuid,
    metadata: &EventMetadata,
) -> Result<CaseState, BookingError> {
    let (case, _) = booking.load(request_id).await?;
    let now = booking.now();
    let command = StartCall {
        call_id: Uuid::now_v7(),
        clerk: metadata.actor.clone(),
        early_join: Duration::minutes(i64::from(settings.early_join_minutes)),
        at: now,
    };
    case.check_start_call(&command)
        .map_err(BookingError::Request)?;
    let slot_start = case
        .booking()
        .map(|b| b.slot.start)
        .ok_or(BookingError::NotFound(request_id))?;
    booking
        .on_agenda(
            slot_start,
            AgendaCommand::OpenCall(OpenCall {
                request_id,
                clerk: metadata.actor.clone(),
                at: now,
            }),
            metadata,
        )
        .await?;
    match booking
        .execute(
            request_id,
            CitizenRequestCommand::StartCall(command),
            metadata,
            None,
        )
        .await
    {
        Ok((state, _)) => Ok(state),
        Err(error) => {
            // The case refused after the place was taken: give it back.
            let _ = booking
                .on_agenda(
                    slot_start,
                    AgendaCommand::CloseCall(CloseCall {
                        request_id,
                        at: now,
                    }),
                    metadata,
                )
                .await;
            Err(error)
        }
    }
}

/// The case a recording belongs to, from its `RecordingStarted` event.
pub async fn recording_case(
    pool: &sqlx::PgPool,
    recording_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT aggregate_id FROM events WHERE event_type = 'RecordingStarted' \
         AND payload -> 'RecordingStarted' ->> 'recording_id' = $1 LIMIT 1",
    )
    .bind(recording_id.to_string())
    .fetch_optional(pool)
    .await?;
    Ok(id.and_then(|id| Uuid::parse_str(&id).ok()))
}

/// Records the citizen's answer to recording.
pub async fn consent(
    booking: &BookingService,
    request_id: Uuid,
    decision: ConsentDecision,
    wording: ConsentWording,
    metadata: &EventMetadata,
) -> Result<CaseState, BookingError> {
    let command = CitizenRequestCommand::RecordConsent(RecordConsent {
        decision,
        wording,
        by: metadata.actor.clone(),
        at: booking.now(),
    });
    Ok(booking
        .execute(request_id, command, metadata, None)
        .await?
        .0)
}

/// Ends the call and frees its place in the day's Agenda.
pub async fn end(
    booking: &BookingService,
    request_id: Uuid,
    metadata: &EventMetadata,
) -> Result<CaseState, BookingError> {
    let now = booking.now();
    let (state, _) = booking
        .execute(
            request_id,
            CitizenRequestCommand::EndCall(EndCall {
                by: metadata.actor.clone(),
                at: now,
            }),
            metadata,
            None,
        )
        .await?;
    if let Some(slot) = state.case.booking().map(|b| b.slot.start) {
        booking
            .on_agenda(
                slot,
                AgendaCommand::CloseCall(CloseCall {
                    request_id,
                    at: now,
                }),
                metadata,
            )
            .await?;
    }
    Ok(state)
}
