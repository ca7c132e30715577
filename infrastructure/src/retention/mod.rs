//! The retention schedule at work: what of each ended case is due to go (`report`), and the
//! purge that deletes due object versions and records each on the case, then has the case's
//! personal data shredded once its time comes (`purge`). The facts come from the `retention`
//! read model (`projector`); the due dates from `domain::retention`, at the time of asking, so a
//! change of the schedule applies without a rebuild.

mod settings;

pub use settings::{RetentionOverride, RetentionSettings, ShortRetention};
