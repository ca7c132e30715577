use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AgendaServices;
use super::commands::{AgendaCommand, AssignClerk, CloseCall, OpenCall, ReleaseRoom, ReserveRoom};
use super::error::AgendaError;
use super::events::AgendaEvent;
use crate::calendar::ClerkId;
use crate::slot::Slot;
use crate::values::ProcedureCode;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub request_id: Uuid,
    pub procedure: ProcedureCode,
    pub slot: Slot,
    pub room: u8,
    pub clerk: Option<ClerkId>,
}

/// A call in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenedCall {
    pub request_id: Uuid,
    pub clerk: String,
    pub opened_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Agenda {
    day: Option<NaiveDate>,
    reservations: Vec<Reservation>,
    #[serde(default)]
    calls: Vec<OpenedCall>,
}

impl Agenda {
    pub fn reservations(&self) -> &[Reservation] {
        &self.reservations
    }

    pub fn calls(&self) -> &[OpenedCall] {
        &self.calls
    }

    /// At most `rooms` calls at once (one per video room), a clerk in one call at a time, and
    /// only for a request with a reservation on this day. The same clerk opening the same call
    /// again changes nothing.
    fn open_call(
        &self,
        command: OpenCall,
        services: &AgendaServices,
    ) -> Result<Vec<AgendaEvent>, AgendaError> {
        if !self
            .reservations
            .iter()
            .any(|r| r.request_id == command.request_id)
        {
            return Err(AgendaError::NotReserved);
        }
        if let Some(open) = self
            .calls
            .iter()
            .find(|c| c.request_id == command.request_id)
        {
            return if open.clerk == command.clerk {
                Ok(vec![])
            } else {
                Err(AgendaError::ClerkInCall)
            };
        }
        if self.calls.iter().any(|c| c.clerk == command.clerk) {
            return Err(AgendaError::ClerkInCall);
        }
        let max = services.calendar.rooms;
        if self.calls.len() >= usize::from(max) {
            return Err(AgendaError::CallsFull { max });
        }
        Ok(vec![AgendaEvent::CallOpened {
            request_id: command.request_id,
            clerk: command.clerk,
            opened_at: command.at,
        }])
    }

    fn close_call(&self, command: CloseCall) -> Vec<AgendaEvent> {
        self.calls
            .iter()
            .find(|c| c.request_id == command.request_id)
            .map(|_| AgendaEvent::CallClosed {
                request_id: command.request_id,
                closed_at: command.at,
            })
            .into_iter()
            .collect()
    }

    /// Rooms busy during `slot`, not counting the reservations of `request_id` itself: a
    /// request moving within one day may overlap its own old slot.
    fn busy_rooms(&self, slot: &Slot, request_id: Uuid) -> Vec<u8> {
        self.reservations
            .iter()
            .filter(|r| r.request_id != request_id && r.slot.overlaps(slot))
            .map(|r| r.room)
            .collect()
    }

    fn reserve(
        &self,
        command: ReserveRoom,
        services: &AgendaServices,
    ) -> Result<Vec<AgendaEvent>, AgendaError> {
        let procedure = services
            .catalogue
            .get(&command.procedure)
            .ok_or_else(|| AgendaError::UnknownProcedure(command.procedure.to_string()))?;
        if procedure.minutes != command.slot.minutes {
            return Err(AgendaError::WrongDuration {
                expected: procedure.minutes,
                given: command.slot.minutes,
            });
        }
        let slot_day = services.calendar.check_slot(&command.slot, command.at)?;
        let agenda_day = self.day.unwrap_or(command.day);
        if slot_day != command.day || agenda_day != command.day {
            return Err(AgendaError::WrongDay {
                agenda_day,
                slot_day,
            });
        }
        // A retry of the same reservation changes nothing.
        if self
            .reservations
            .iter()
            .any(|r| r.request_id == command.request_id && r.slot == command.slot)
        {
            return Ok(vec![]);
        }
        let busy = self.busy_rooms(&command.slot, command.request_id);
        let room = (1..=services.calendar.rooms)
            .find(|room| !busy.contains(room))
            .ok_or(AgendaError::SlotFull)?;
        Ok(vec![AgendaEvent::RoomReserved {
            day: command.day,
            request_id: command.request_id,
            procedure: command.procedure,
            slot: command.slot,
            room,
            reserved_at: command.at,
        }])
    }

    fn release(&self, command: ReleaseRoom) -> Vec<AgendaEvent> {
        // Releasing what is not held is a retried release: nothing to do.
        self.reservations
            .iter()
            .find(|r| r.request_id == command.request_id && r.slot.start == command.slot_start)
            .map(|r| AgendaEvent::RoomReleased {
                request_id: r.request_id,
                slot_start: r.slot.start,
                room: r.room,
                reason: command.reason,
            })
            .into_iter()
            .collect()
    }

    fn assign_clerk(
        &self,
        command: AssignClerk,
        services: &AgendaServices,
    ) -> Result<Vec<AgendaEvent>, AgendaError> {
        if !services.calendar.clerks.contains(&command.clerk) {
            return Err(AgendaError::UnknownClerk(command.clerk.0));
        }
        let reservation = self
            .reservations
            .iter()
            .rfind(|r| r.request_id == command.request_id)
            .ok_or(AgendaError::NotReserved)?;
        if reservation.clerk.as_ref() == Some(&command.clerk) {
            return Ok(vec![]);
        }
        let clerk_busy = self.reservations.iter().any(|r| {
            r.request_id != command.request_id
                && r.clerk.as_ref() == Some(&command.clerk)
                && r.slot.overlaps(&reservation.slot)
        });
        if clerk_busy {
            return Err(AgendaError::ClerkBusy);
        }
        Ok(vec![AgendaEvent::ClerkAssigned {
            request_id: command.request_id,
            slot_start: reservation.slot.start,
            clerk: command.clerk,
        }])
    }
}

impl Aggregate for Agenda {
    const TYPE: &'static str = "Agenda";
    type Command = AgendaCommand;
    type Event = AgendaEvent;
    type Error = AgendaError;
    type Services = AgendaServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let events = match command {
            AgendaCommand::Reserve(c) => self.reserve(c, services)?,
            AgendaCommand::Release(c) => self.release(c),
            AgendaCommand::AssignClerk(c) => self.assign_clerk(c, services)?,
            AgendaCommand::OpenCall(c) => self.open_call(c, services)?,
            AgendaCommand::CloseCall(c) => self.close_call(c),
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            AgendaEvent::RoomReserved {
                day,
                request_id,
                procedure,
                slot,
                room,
                ..
            } => {
                self.day = Some(day);
                self.reservations.push(Reservation {
                    request_id,
                    procedure,
                    slot,
                    room,
                    clerk: None,
                });
            }
            AgendaEvent::RoomReleased {
                request_id,
                slot_start,
                ..
            } => self
                .reservations
                .retain(|r| !(r.request_id == request_id && r.slot.start == slot_start)),
            AgendaEvent::ClerkAssigned {
                request_id,
                slot_start,
                clerk,
            } => {
                if let Some(r) = self
                    .reservations
                    .iter_mut()
                    .find(|r| r.request_id == request_id && r.slot.start == slot_start)
                {
                    r.clerk = Some(clerk);
                }
            }
            AgendaEvent::CallOpened {
                request_id,
                clerk,
                opened_at,
            } => self.calls.push(OpenedCall {
                request_id,
                clerk,
                opened_at,
            }),
            AgendaEvent::CallClosed { request_id, .. } => {
                self.calls.retain(|c| c.request_id != request_id)
            }
        }
    }
}
