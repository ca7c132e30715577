//! The booking process: a small process manager over the day's Agenda (capacity) and the
//! CitizenRequest (the case). The room is reserved first; when the case then refuses, the
//! reservation is released again. Every step is idempotent by request id, so a retry after any
//! failure converges, and a crash between the steps leaves at most a reservation without its
//! booking, which the reconciler releases.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::agenda::{
    Agenda, AgendaCommand, AgendaError, AgendaServices, AssignClerk, ReleaseReason, ReleaseRoom,
    ReserveRoom, agenda_id,
};
use domain::calendar::{ClerkId, ServiceCalendar};
use domain::citizen_request::{
    AttachDocument, BookAppointment, CancelAppointment, CancelledBy, CaseOutcome, CaseStatus,
    Channel, Citizen, CitizenRequest, CitizenRequestCommand, CitizenRequestError,
    CitizenRequestEvent, CloseCase, RecordDocumentAccess, RecordNoShow, RecordNotification,
    RequestDocuments, RequestedDocument, RescheduleAppointment, ReviewDocument,
};
use domain::metadata::EventMetadata;
use domain::procedure::Catalogue;
use domain::slot::Slot;
use domain::values::{Language, ProcedureCode};
use sqlx::PgPool;
use uuid::Uuid;

use crate::clock::Clock;
use crate::command_bus::{CommandBus, CommandError, Outcome};
use crate::personal_data::PersonalData;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("unknown procedure {0}")]
    UnknownProcedure(String),
    #[error(transparent)]
    Agenda(AgendaError),
    #[error(transparent)]
    Request(CitizenRequestError),
    #[error("there is no request {0}")]
    NotFound(Uuid),
    #[error("the request is at version {current}, not {expected}")]
    VersionMismatch { expected: usize, current: usize },
    #[error("the request kept changing under concurrent writers; nothing was written")]
    Conflict,
    #[error("event store unavailable: {0}")]
    Store(String),
}

impl From<CommandError<AgendaError>> for BookingError {
    fn from(error: CommandError<AgendaError>) -> Self {
        match error {
            CommandError::VersionMismatch { expected, current } => {
                Self::VersionMismatch { expected, current }
            }
            CommandError::Rejected(e) => Self::Agenda(e),
            CommandError::Conflict => Self::Conflict,
            CommandError::Store(e) => Self::Store(e),
        }
    }
}

impl From<CommandError<CitizenRequestError>> for BookingError {
    fn from(error: CommandError<CitizenRequestError>) -> Self {
        match error {
            CommandError::VersionMismatch { expected, current } => {
                Self::VersionMismatch { expected, current }
            }
            CommandError::Rejected(e) => Self::Request(e),
            CommandError::Conflict => Self::Conflict,
            CommandError::Store(e) => Self::Store(e),
        }
    }
}

/// A booking as asked for, already parsed.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub request_id: Uuid,
    pub procedure: ProcedureCode,
    pub start: DateTime<Utc>,
    pub channel: Channel,
    pub language: Language,
    pub citizen: Citizen,
    pub external_reference: Option<String>,
}

/// A case as it stands after a command.
#[derive(Debug, Clone)]
pub struct CaseState {
    pub request_id: Uuid,
    pub version: usize,
    pub case: CitizenRequest,
}

pub struct BookingService {
    requests: CommandBus<CitizenRequest>,
    agendas: CommandBus<Agenda>,
    calendar: Arc<ServiceCalendar>,
    catalogue: Arc<Catalogue>,
    clock: Arc<dyn Clock>,
    personal: PersonalData,
}

impl BookingService {
    pub fn new(
        pool: PgPool,
        calendar: Arc<ServiceCalendar>,
        catalogue: Arc<Catalogue>,
        clock: Arc<dyn Clock>,
        personal: PersonalData,
    ) -> Self {
        let services = AgendaServices {
            calendar: calendar.clone(),
            catalogue: catalogue.clone(),
        };
        Self {
            requests: CommandBus::new(pool.clone(), personal.clone(), ()),
            agendas: CommandBus::new(pool, personal.clone(), services),
            calendar,
            catalogue,
            clock,
            personal,
        }
    }

    /// Seals and opens the citizen's data in the events this service writes and reads.
    pub fn personal(&self) -> &PersonalData {
        &self.personal
    }

    pub fn calendar(&self) -> &ServiceCalendar {
        &self.calendar
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn slot_for(
        &self,
        procedure: &ProcedureCode,
        start: DateTime<Utc>,
    ) -> Result<Slot, BookingError> {
        let minutes = self
            .catalogue
            .get(procedure)
            .ok_or_else(|| BookingError::UnknownProcedure(procedure.to_string()))?
            .minutes;
        Ok(Slot::new(start, minutes))
    }

    fn day_of(&self, slot: &Slot) -> NaiveDate {
        self.calendar.service_day(slot.start)
    }

    /// Reserves a room for `request_id` and gives the room number.
    async fn reserve(
        &self,
        request_id: Uuid,
        procedure: &ProcedureCode,
        slot: Slot,
        at: DateTime<Utc>,
        metadata: &EventMetadata,
    ) -> Result<u8, BookingError> {
        let day = self.day_of(&slot);
        let outcome = self
            .agendas
            .execute(
                &agenda_id(day),
                AgendaCommand::Reserve(ReserveRoom {
                    day,
                    request_id,
                    procedure: procedure.clone(),
                    slot,
                    at,
                }),
                metadata,
            )
            .await?;
        outcome
            .aggregate
            .reservations()
            .iter()
            .find(|r| r.request_id == request_id && r.slot == slot)
            .map(|r| r.room)
            .ok_or_else(|| {
                BookingError::Store("the reservation just made is not in the agenda".into())
            })
    }

    /// Releases a reservation; a failure is logged, not returned: the reconciler retries it.
    async fn release(
        &self,
        request_id: Uuid,
        slot: Slot,
        reason: ReleaseReason,
        metadata: &EventMetadata,
    ) {
        let command = AgendaCommand::Release(ReleaseRoom {
            request_id,
            slot_start: slot.start,
            reason,
        });
        if let Err(error) = self
            .agendas
            .execute(&agenda_id(self.day_of(&slot)), command, metadata)
            .await
        {
            tracing::warn!(%request_id, %error, "reservation not released; the reconciler will retry");
        }
    }

    pub async fn book(
        &self,
        booking: NewBooking,
        metadata: &EventMetadata,
    ) -> Result<CaseState, BookingError> {
        self.book_telling(booking, metadata)
            .await
            .map(|(state, _)| state)
    }

    /// As `book`, also telling whether this very call booked (`true`) or found the same booking
    /// already made (`false`: a retry, or a concurrent twin that won).
    pub async fn book_telling(
        &self,
        booking: NewBooking,
        metadata: &EventMetadata,
    ) -> Result<(CaseState, bool), BookingError> {
        let at = self.clock.now();
        let slot = self.slot_for(&booking.procedure, booking.start)?;
        let room = self
            .reserve(booking.request_id, &booking.procedure, slot, at, metadata)
            .await?;
        let command = CitizenRequestCommand::Book(BookAppointment {
            procedure: booking.procedure,
            slot,
            room,
            channel: booking.channel,
            language: booking.language,
            citizen: booking.citizen,
            external_reference: booking.external_reference,
            at,
        });
        match self
            .requests
            .execute(&booking.request_id.to_string(), command, metadata)
            .await
        {
            Ok(outcome) => {
                let booked_now = !outcome.events.is_empty();
                Ok((state(booking.request_id, outcome), booked_now))
            }
            Err(error) => {
                if matches!(error, CommandError::Rejected(_)) {
                    self.release(
                        booking.request_id,
                        slot,
                        ReleaseReason::BookingFailed,
                        metadata,
                    )
                    .await;
                }
                Err(error.into())
            }
        }
    }

    pub async fn reschedule(
        &self,
        request_id: Uuid,
        start: DateTime<Utc>,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, BookingError> {
        let at = self.clock.now();
        let (case, _) = self.load_expecting(request_id, expected).await?;
        let booking = case
            .check_reschedule(at)
            .map_err(BookingError::Request)?
            .clone();
        let slot = self.slot_for(&booking.procedure, start)?;
        if slot == booking.slot {
            let (case, version) = self.load(request_id).await?;
            return Ok(CaseState {
                request_id,
                version,
                case,
            });
        }
        let room = self
            .reserve(request_id, &booking.procedure, slot, at, metadata)
            .await?;
        let command = CitizenRequestCommand::Reschedule(RescheduleAppointment { slot, room, at });
        let outcome = match self
            .requests
            .execute_expecting(&request_id.to_string(), command, metadata, expected)
            .await
        {
            Ok(outcome) => outcome,
            Err(error) => {
                if matches!(
                    error,
                    CommandError::Rejected(_) | CommandError::VersionMismatch { .. }
                ) {
                    self.release(request_id, slot, ReleaseReason::BookingFailed, metadata)
                        .await;
                }
                return Err(error.into());
            }
        };
        self.release(
            request_id,
            booking.slot,
            ReleaseReason::Rescheduled,
            metadata,
        )
        .await;
        Ok(state(request_id, outcome))
    }

    /// Runs a command on an existing case, conditional on `expected` when given.
    async fn on_case(
        &self,
        request_id: Uuid,
        command: CitizenRequestCommand,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<Outcome<CitizenRequest>, BookingError> {
        self.load_expecting(request_id, expected).await?;
        Ok(self
            .requests
            .execute_expecting(&request_id.to_string(), command, metadata, expected)
            .await?)
    }

    /// Executes a command on the agenda of the day of `slot_start`.
    pub async fn on_agenda(
        &self,
        slot_start: DateTime<Utc>,
        command: AgendaCommand,
        metadata: &EventMetadata,
    ) -> Result<Agenda, BookingError> {
        let day = self.calendar.service_day(slot_start);
        Ok(self
            .agendas
            .execute(&agenda_id(day), command, metadata)
            .await?
            .aggregate)
    }

    /// Executes a command on a case, conditional on `expected` when given: the case after it and
    /// the events it wrote (none for a retry already applied).
    pub async fn execute(
        &self,
        request_id: Uuid,
        command: CitizenRequestCommand,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<(CaseState, Vec<CitizenRequestEvent>), BookingError> {
        let mut outcome = self
            .on_case(request_id, command, metadata, expected)
            .await?;
        let events = std::mem::take(&mut outcome.events);
        Ok((state(request_id, outcome), events))
    }

    pub async fn cancel(
        &self,
        request_id: Uuid,
        reason: String,
        cancelled_by: CancelledBy,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, BookingError> {
        let command = CitizenRequestCommand::Cancel(CancelAppointment {
            reason,
            cancelled_by,
            at: self.clock.now(),
        });
        let outcome = self
            .on_case(request_id, command, metadata, expected)
            .await?;
        if let Some(booking) = outcome.aggregate.booking() {
            self.release(request_id, booking.slot, ReleaseReason::Cancelled, metadata)
                .await;
        }
        Ok(state(request_id, outcome))
    }

    pub async fn record_no_show(
        &self,
        request_id: Uuid,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, BookingError> {
        let command = CitizenRequestCommand::RecordNoShow(RecordNoShow {
            at: self.clock.now(),
        });
        let outcome = self
            .on_case(request_id, command, metadata, expected)
            .await?;
        Ok(state(request_id, outcome))
    }

    pub async fn close(
        &self,
        request_id: Uuid,
        outcome: CaseOutcome,
        summary: String,
        registry_entry: Option<String>,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, BookingError> {
        let command = CitizenRequestCommand::Close(CloseCase {
            outcome,
            summary,
            registry_entry,
            at: self.clock.now(),
        });
        let outcome = self
            .on_case(request_id, command, metadata, expected)
            .await?;
        Ok(state(request_id, outcome))
    }

    /// Asks the citizen for documents; the mail reactor sends the upload link.
    pub async fn request_documents(
        &self,
        request_id: Uuid,
        documents: Vec<RequestedDocument>,
        due_at: DateTime<Utc>,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, BookingError> {
        let command = CitizenRequestCommand::RequestDocuments(RequestDocuments {
            documents,
            due_at,
            at: self.clock.now(),
        });
        let outcome = self
            .on_case(request_id, command, metadata, expected)
            .await?;
        Ok(state(request_id, outcome))
    }

    /// Records on the case that a message went out (a no-op when it already is).
    pub async fn record_notification(
        &self,
        request_id: Uuid,
        notification: RecordNotification,
        metadata: &EventMetadata,
    ) -> Result<(), BookingError> {
        self.on_case(
            request_id,
            CitizenRequestCommand::RecordNotification(notification),
            metadata,
            None,
        )
        .await?;
        Ok(())
    }

    /// Records a document already stored in the documents bucket.
    pub async fn attach_document(
        &self,
        request_id: Uuid,
        command: AttachDocument,
        metadata: &EventMetadata,
    ) -> Result<CaseState, BookingError> {
        let outcome = self
            .on_case(
                request_id,
                CitizenRequestCommand::AttachDocument(command),
                metadata,
                None,
            )
            .await?;
        Ok(state(request_id, outcome))
    }

    /// Accepts or rejects a document, conditional on `expected` when given.
    pub async fn review_document(
        &self,
        request_id: Uuid,
        command: ReviewDocument,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, BookingError> {
        let outcome = self
            .on_case(
                request_id,
                CitizenRequestCommand::ReviewDocument(command),
                metadata,
                expected,
            )
            .await?;
        Ok(state(request_id, outcome))
    }

    /// Records a read of a document's content (before it is handed out).
    pub async fn record_document_access(
        &self,
        request_id: Uuid,
        command: RecordDocumentAccess,
        metadata: &EventMetadata,
    ) -> Result<CaseState, BookingError> {
        let outcome = self
            .on_case(
                request_id,
                CitizenRequestCommand::RecordDocumentAccess(command),
                metadata,
                None,
            )
            .await?;
        Ok(state(request_id, outcome))
    }

    /// Assigns a clerk to the request's appointment in its day's agenda.
    pub async fn assign_clerk(
        &self,
        request_id: Uuid,
        clerk: ClerkId,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, BookingError> {
        let (case, version) = self.load_expecting(request_id, expected).await?;
        let booking = case
            .check_reschedule(self.clock.now())
            .map_err(BookingError::Request)?
            .clone();
        self.agendas
            .execute(
                &agenda_id(self.day_of(&booking.slot)),
                AgendaCommand::AssignClerk(AssignClerk { request_id, clerk }),
                metadata,
            )
            .await?;
        Ok(CaseState {
            request_id,
            version,
            case,
        })
    }

    /// The case, refusing it when the caller expected another version.
    async fn load_expecting(
        &self,
        request_id: Uuid,
        expected: Option<usize>,
    ) -> Result<(CitizenRequest, usize), BookingError> {
        let (case, version) = self.load(request_id).await?;
        match expected {
            Some(expected) if expected != version => Err(BookingError::VersionMismatch {
                expected,
                current: version,
            }),
            _ => Ok((case, version)),
        }
    }

    /// The case as the event store has it; `NotFound` when it has no events.
    pub async fn load(&self, request_id: Uuid) -> Result<(CitizenRequest, usize), BookingError> {
        let (case, version) = self.requests.load(&request_id.to_string()).await?;
        if version == 0 {
            return Err(BookingError::NotFound(request_id));
        }
        Ok((case, version))
    }

    /// Releases a reservation the reconciler found without its booking, after checking the case
    /// in the event store (the read models may lag).
    pub async fn release_if_orphaned(
        &self,
        request_id: Uuid,
        slot: Slot,
        metadata: &EventMetadata,
    ) -> Result<bool, BookingError> {
        let (case, version) = self.requests.load(&request_id.to_string()).await?;
        let reason = match case.booking() {
            _ if version == 0 => ReleaseReason::Orphaned,
            Some(_) if case.status() == CaseStatus::Cancelled => ReleaseReason::Cancelled,
            Some(booking) if booking.slot.start != slot.start => ReleaseReason::Rescheduled,
            _ => return Ok(false),
        };
        let command = AgendaCommand::Release(ReleaseRoom {
            request_id,
            slot_start: slot.start,
            reason,
        });
        self.agendas
            .execute(&agenda_id(self.day_of(&slot)), command, metadata)
            .await?;
        Ok(true)
    }
}

fn state(request_id: Uuid, outcome: Outcome<CitizenRequest>) -> CaseState {
    CaseState {
        request_id,
        version: outcome.version,
        case: outcome.aggregate,
    }
}
