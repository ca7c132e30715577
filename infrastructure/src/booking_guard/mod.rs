//! What stands between anonymous booking and a script filling the agenda: a proof of work per
//! booking (`challenge`), and the domain's limits per DNI/NIE and email
//! (`domain::booking_limits`) enforced under a lock per person (`guard`). Clerks and the
//! municipal system do not pass through here.

pub mod challenge;
pub mod guard;
pub mod settings;

pub use challenge::{Challenge, ChallengeError, Challenges, Solved};
pub use guard::{BookingGuard, GuardError, Hold};
pub use settings::BookingGuardSettings;
