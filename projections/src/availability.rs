//! Availability: the slots offered to citizens, derived from the agenda rows, the calendar and
//! the procedure's length. Computed at query time from the agenda projection.

use chrono::{DateTime, NaiveDate, Utc};
use domain::calendar::ServiceCalendar;
use domain::slot::Slot;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferedSlot {
    pub start: DateTime<Utc>,
    pub minutes: u16,
    pub free_rooms: u8,
}

/// A room held during an interval, as the agenda projection has it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BusyRoom {
    pub slot: Slot,
    pub room: u8,
}

/// Slots of `minutes` on `days` that the calendar allows at `now` and that have a free room.
/// Mirrors the Agenda's rule: a room is busy if any of its reservations overlaps the slot.
pub fn offered_slots(
    calendar: &ServiceCalendar,
    minutes: u16,
    days: impl IntoIterator<Item = NaiveDate>,
    busy: &[BusyRoom],
    now: DateTime<Utc>,
) -> Vec<OfferedSlot> {
    let mut offered = Vec::new();
    for day in days {
        for slot in calendar.candidate_slots(day, minutes) {
            if calendar.check_slot(&slot, now).is_err() {
                continue;
            }
            let mut rooms: Vec<u8> = busy
                .iter()
                .filter(|b| b.slot.overlaps(&slot))
                .map(|b| b.room)
                .collect();
            rooms.sort_unstable();
            rooms.dedup();
            let free = calendar.rooms.saturating_sub(rooms.len() as u8);
            if free > 0 {
                offered.push(OfferedSlot {
                    start: slot.start,
                    minutes,
                    free_rooms: free,
                });
            }
        }
    }
    offered
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::TimeZone;
    use domain::calendar::{ClerkId, Window};

    use super::*;

    fn calendar() -> ServiceCalendar {
        let morning = vec![Window::parse("09:00-11:00").expect("window")];
        ServiceCalendar {
            timezone: chrono_tz(),
            rooms: 2,
            granularity_minutes: 30,
            min_lead_minutes: 0,
            horizon_days: 30,
            weekly: std::array::from_fn(|_| morning.clone()),
            holidays: BTreeSet::new(),
            clerks: vec![ClerkId("c1".into())],
        }
    }

    fn chrono_tz() -> chrono_tz::Tz {
        chrono_tz::UTC
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn slots_with_both_rooms_taken_are_not_offered() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
        let busy = [
            BusyRoom {
                slot: Slot::new(at(9, 0), 30),
                room: 1,
            },
            BusyRoom {
                slot: Slot::new(at(9, 0), 30),
                room: 2,
            },
            BusyRoom {
                slot: Slot::new(at(10, 0), 30),
                room: 1,
            },
        ];
        let offered = offered_slots(&calendar(), 30, [day], &busy, at(8, 0));
        let summary: Vec<_> = offered.iter().map(|o| (o.start, o.free_rooms)).collect();
        assert_eq!(
            summary,
            vec![(at(9, 30), 2), (at(10, 0), 1), (at(10, 30), 2)]
        );
    }

    #[test]
    fn two_reservations_in_one_room_count_as_one_busy_room() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
        let busy = [
            BusyRoom {
                slot: Slot::new(at(9, 0), 30),
                room: 1,
            },
            BusyRoom {
                slot: Slot::new(at(9, 30), 30),
                room: 1,
            },
        ];
        let offered = offered_slots(&calendar(), 60, [day], &busy, at(8, 0));
        assert_eq!(offered[0].start, at(9, 0));
        assert_eq!(offered[0].free_rooms, 1);
    }

    #[test]
    fn past_slots_are_not_offered() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
        let offered = offered_slots(&calendar(), 30, [day], &[], at(10, 0));
        assert_eq!(offered.first().map(|o| o.start), Some(at(10, 0)));
    }
}
