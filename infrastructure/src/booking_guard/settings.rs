//! The `[booking_guard]` section: how hard anonymous booking is made for scripts.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BookingGuardSettings {
    /// Leading zero bits the proof of work asks: 2^bits SHA-256 hashes on average. The page's
    /// worker hashes about a million a second in Debian's Chromium on this 2-core machine, so 20
    /// take about a second on average (half that at the median; a slow phone a few times more,
    /// hidden while the form is filled in); each bit doubles it. Figures in issue 16's note.
    pub challenge_bits: u8,
    /// How long a challenge may be used after it was handed out.
    pub challenge_seconds: u32,
    /// Active appointments one email address may hold at once when booking on the web. The
    /// DNI/NIE rule (one per procedure) is the domain's and not configurable.
    pub max_active_per_email: u32,
    /// Anonymous bookings in the last 10 minutes above which the challenge gets harder: one bit
    /// more each time they double. Vitoria-Gasteiz's two rooms hold about 56 appointments a day,
    /// so 60 in 10 minutes is far above what people book.
    pub surge_bookings: u32,
    /// At most this many bits above `challenge_bits` in a surge (6: 64 times the work).
    pub max_extra_bits: u8,
}

impl Default for BookingGuardSettings {
    fn default() -> Self {
        Self {
            challenge_bits: 20,
            challenge_seconds: 300,
            max_active_per_email: 3,
            surge_bookings: 60,
            max_extra_bits: 6,
        }
    }
}

impl BookingGuardSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.challenge_bits > 28 {
            return Err(format!(
                "booking_guard.challenge_bits is at most 28 (2^28 hashes take a phone minutes), not {}",
                self.challenge_bits
            ));
        }
        if self.challenge_seconds < 30 {
            return Err("booking_guard.challenge_seconds is at least 30: a citizen fills the form after the challenge arrives".into());
        }
        if u32::from(self.challenge_bits) + u32::from(self.max_extra_bits) > 32 {
            return Err("booking_guard.challenge_bits + max_extra_bits is at most 32".into());
        }
        if self.max_active_per_email == 0 {
            return Err("booking_guard.max_active_per_email is at least 1".into());
        }
        Ok(())
    }
}
