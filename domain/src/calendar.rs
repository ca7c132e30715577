//! The service calendar: opening hours, holidays, rooms and clerks, in the council's time zone.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::slot::Slot;

/// A clerk's staff identifier, as the council's identity provider names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClerkId(pub String);

/// An opening window within one day, in minutes after local midnight; `open < close <= 1440`
/// (a window may run until midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub open: u16,
    pub close: u16,
}

impl Window {
    /// Parses `HH:MM-HH:MM`, where the close may be `24:00`.
    pub fn parse(text: &str) -> Option<Self> {
        fn minute(hhmm: &str) -> Option<u16> {
            let (h, m) = hhmm.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        }
        let (open, close) = text.split_once('-')?;
        let window = Self {
            open: minute(open)?,
            close: minute(close)?,
        };
        (window.open < window.close).then_some(window)
    }
}

/// Why a slot cannot be offered or booked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error(
        "the slot has already started or starts too soon (at least {lead_minutes} minutes ahead)"
    )]
    TooSoon { lead_minutes: u32 },
    #[error("the slot is more than {horizon_days} days ahead")]
    BeyondHorizon { horizon_days: u32 },
    #[error("the council is closed on {day} (holiday)")]
    Holiday { day: NaiveDate },
    #[error("the slot is outside opening hours")]
    OutsideOpeningHours,
    #[error("slots start on multiples of {granularity_minutes} minutes")]
    NotAligned { granularity_minutes: u16 },
}

#[derive(Debug, Clone)]
pub struct ServiceCalendar {
    pub timezone: Tz,
    /// Video rooms that can be busy at the same time.
    pub rooms: u8,
    pub granularity_minutes: u16,
    /// How far ahead of its start a slot must be booked.
    pub min_lead_minutes: u32,
    /// How many days ahead bookings are taken.
    pub horizon_days: u32,
    /// Opening windows per weekday, Monday first.
    pub weekly: [Vec<Window>; 7],
    pub holidays: BTreeSet<NaiveDate>,
    pub clerks: Vec<ClerkId>,
}

impl ServiceCalendar {
    /// The service day (local date) an instant falls on.
    pub fn service_day(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.timezone).date_naive()
    }

    pub fn windows(&self, day: NaiveDate) -> &[Window] {
        if self.holidays.contains(&day) {
            return &[];
        }
        &self.weekly[day.weekday().num_days_from_monday() as usize]
    }

    /// Checks that a slot can be booked at `now`, and gives its service day.
    pub fn check_slot(&self, slot: &Slot, now: DateTime<Utc>) -> Result<NaiveDate, SlotError> {
        let local_start = slot.start.with_timezone(&self.timezone);
        let local_end = slot.end().with_timezone(&self.timezone);
        let day = local_start.date_naive();
        let minute_of_day = local_start.hour() * 60 + local_start.minute();
        let granularity = u32::from(self.granularity_minutes.max(1));
        if local_start.second() != 0
            || local_start.nanosecond() != 0
            || !minute_of_day.is_multiple_of(granularity)
        {
            return Err(SlotError::NotAligned {
                granularity_minutes: self.granularity_minutes,
            });
        }
        if slot.start < now + Duration::minutes(i64::from(self.min_lead_minutes)) {
            return Err(SlotError::TooSoon {
                lead_minutes: self.min_lead_minutes,
            });
        }
        if day > self.service_day(now) + Duration::days(i64::from(self.horizon_days)) {
            return Err(SlotError::BeyondHorizon {
                horizon_days: self.horizon_days,
            });
        }
        if self.holidays.contains(&day) {
            return Err(SlotError::Holiday { day });
        }
        let midnight = day.and_time(NaiveTime::MIN);
        let start_minute = (local_start.naive_local() - midnight).num_minutes();
        let end_minute = (local_end.naive_local() - midnight).num_minutes();
        let within = self
            .windows(day)
            .iter()
            .any(|w| i64::from(w.open) <= start_minute && end_minute <= i64::from(w.close));
        if !within {
            return Err(SlotError::OutsideOpeningHours);
        }
        Ok(day)
    }

    /// Every slot start of `minutes` length on `day` that fits an opening window, in order.
    /// Local times that do not exist or are ambiguous (daylight-saving changes) are skipped.
    pub fn candidate_slots(&self, day: NaiveDate, minutes: u16) -> Vec<Slot> {
        let step = i64::from(self.granularity_minutes.max(1));
        let mut slots = Vec::new();
        let midnight = day.and_time(NaiveTime::MIN);
        for window in self.windows(day) {
            // Align the first start to the granularity.
            let mut start = (i64::from(window.open) + step - 1) / step * step;
            while start + i64::from(minutes) <= i64::from(window.close) {
                let local = midnight + Duration::minutes(start);
                if let Some(instant) = self.timezone.from_local_datetime(&local).single() {
                    slots.push(Slot::new(instant.with_timezone(&Utc), minutes));
                }
                start += step;
            }
        }
        slots
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn window(open: (u16, u16), close: (u16, u16)) -> Window {
        Window {
            open: open.0 * 60 + open.1,
            close: close.0 * 60 + close.1,
        }
    }

    /// Mornings 08:30–14:00 on weekdays, Thursday afternoon 16:00–19:00 too; 2 rooms, 20 clerks.
    pub(crate) fn vitoria() -> ServiceCalendar {
        let morning = vec![window((8, 30), (14, 0))];
        let mut thursday = morning.clone();
        thursday.push(window((16, 0), (19, 0)));
        ServiceCalendar {
            timezone: chrono_tz::Europe::Madrid,
            rooms: 2,
            granularity_minutes: 15,
            min_lead_minutes: 60,
            horizon_days: 90,
            weekly: [
                morning.clone(),
                morning.clone(),
                morning.clone(),
                thursday,
                morning,
                vec![],
                vec![],
            ],
            holidays: [NaiveDate::from_ymd_opt(2026, 12, 8).expect("date")]
                .into_iter()
                .collect(),
            clerks: (1..=20).map(|n| ClerkId(format!("clerk-{n:02}"))).collect(),
        }
    }

    /// 2026-12-01 is a Tuesday; Madrid is UTC+1 in winter.
    pub(crate) fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Madrid
            .with_ymd_and_hms(2026, 12, day, h, m, 0)
            .single()
            .expect("valid local time")
            .with_timezone(&Utc)
    }

    pub(crate) fn now() -> DateTime<Utc> {
        local(1, 8, 0)
    }

    #[test]
    fn a_slot_inside_opening_hours_is_accepted_on_its_local_day() {
        let day = vitoria().check_slot(&Slot::new(local(2, 9, 0), 30), now());
        assert_eq!(day, Ok(NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")));
    }

    #[test]
    fn a_slot_ending_at_closing_time_fits() {
        assert!(
            vitoria()
                .check_slot(&Slot::new(local(2, 13, 30), 30), now())
                .is_ok()
        );
    }

    #[test]
    fn refuses_slots_outside_hours_on_weekends_and_holidays() {
        let cal = vitoria();
        let outside = Err(SlotError::OutsideOpeningHours);
        assert_eq!(
            cal.check_slot(&Slot::new(local(2, 13, 45), 30), now()),
            outside
        );
        assert_eq!(
            cal.check_slot(&Slot::new(local(2, 8, 0), 30), now()),
            outside
        );
        assert_eq!(
            cal.check_slot(&Slot::new(local(2, 16, 0), 30), now()),
            outside
        );
        assert_eq!(
            cal.check_slot(&Slot::new(local(5, 9, 0), 30), now()),
            outside
        );
        assert_eq!(
            cal.check_slot(&Slot::new(local(8, 9, 0), 30), now()),
            Err(SlotError::Holiday {
                day: NaiveDate::from_ymd_opt(2026, 12, 8).expect("date")
            })
        );
    }

    #[test]
    fn windows_parse_from_configuration_text() {
        assert_eq!(Window::parse("08:30-14:00"), Some(window((8, 30), (14, 0))));
        assert_eq!(Window::parse("20:00-24:00"), Some(window((20, 0), (24, 0))));
        assert_eq!(Window::parse("14:00-08:30"), None);
        assert_eq!(Window::parse("8-14"), None);
        assert_eq!(Window::parse("08:61-14:00"), None);
    }

    #[test]
    fn a_window_may_run_until_midnight() {
        let mut cal = vitoria();
        cal.weekly[1] = vec![window((20, 0), (24, 0))];
        assert!(
            cal.check_slot(&Slot::new(local(1, 23, 30), 30), now())
                .is_ok()
        );
        assert_eq!(
            cal.candidate_slots(NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"), 30)
                .len(),
            15
        );
    }

    #[test]
    fn thursday_afternoon_is_open() {
        assert!(
            vitoria()
                .check_slot(&Slot::new(local(3, 16, 0), 30), now())
                .is_ok()
        );
    }

    #[test]
    fn refuses_past_too_soon_misaligned_and_far_slots() {
        let cal = vitoria();
        assert_eq!(
            cal.check_slot(&Slot::new(local(1, 8, 30), 30), now()),
            Err(SlotError::TooSoon { lead_minutes: 60 })
        );
        assert_eq!(
            cal.check_slot(&Slot::new(local(1, 8, 45), 30), local(1, 10, 0)),
            Err(SlotError::TooSoon { lead_minutes: 60 })
        );
        assert_eq!(
            cal.check_slot(&Slot::new(local(2, 9, 10), 30), now()),
            Err(SlotError::NotAligned {
                granularity_minutes: 15
            })
        );
        let far = local(1, 9, 0) + Duration::days(120);
        assert_eq!(
            cal.check_slot(&Slot::new(far, 30), now()),
            Err(SlotError::BeyondHorizon { horizon_days: 90 })
        );
    }

    #[test]
    fn candidates_fill_the_windows_and_skip_closed_days() {
        let cal = vitoria();
        let tuesday = cal.candidate_slots(NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"), 30);
        // 08:30 .. 13:30 every 15 minutes: 21 starts.
        assert_eq!(tuesday.len(), 21);
        assert_eq!(tuesday[0].start, local(1, 8, 30));
        assert_eq!(tuesday[20].start, local(1, 13, 30));
        let thursday = cal.candidate_slots(NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"), 30);
        assert_eq!(thursday.len(), 21 + 11);
        assert!(
            cal.candidate_slots(NaiveDate::from_ymd_opt(2026, 12, 5).expect("date"), 30)
                .is_empty()
        );
        assert!(
            cal.candidate_slots(NaiveDate::from_ymd_opt(2026, 12, 8).expect("date"), 30)
                .is_empty()
        );
    }
}
