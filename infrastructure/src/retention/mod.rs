//! The retention schedule at work: what of each ended case is due to go (`due`), and the purge
//! that deletes due object versions and records each on the case, then has the case's personal
//! data shredded once its time comes (`purge`, through a [`CaseShredder`]). The facts come from
//! the `retention` read model (`projector::RetentionProjector`); the due dates from
//! `domain::retention` at the time of asking, so a change of the schedule applies without a
//! rebuild.

mod due;
mod purge;
mod settings;
mod shredder;

pub use due::{DueError, DueItem, DueKind, due_items};
pub use purge::{
    ACTOR, ObjectAction, ObjectOutcome, PurgeError, PurgeRun, Purger, ShredAction, ShredOutcome,
};
pub use settings::{RetentionOverride, RetentionSettings, ShortRetention};
pub use shredder::{CaseShredder, ShredError};
