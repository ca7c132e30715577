use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A time interval for an appointment: a start instant and a length in whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub minutes: u16,
}

impl Slot {
    pub fn new(start: DateTime<Utc>, minutes: u16) -> Self {
        Self { start, minutes }
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(i64::from(self.minutes))
    }

    /// Half-open intervals: one appointment may start when the previous one ends.
    pub fn overlaps(&self, other: &Slot) -> bool {
        self.start < other.end() && other.start < self.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn back_to_back_slots_do_not_overlap() {
        let first = Slot::new(at(9, 0), 30);
        assert!(!first.overlaps(&Slot::new(at(9, 30), 30)));
        assert!(first.overlaps(&Slot::new(at(9, 15), 30)));
        assert!(first.overlaps(&Slot::new(at(8, 45), 20)));
        assert!(!first.overlaps(&Slot::new(at(8, 30), 30)));
    }
}
