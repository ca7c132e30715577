//! Keeping video appointments in step with the council's own appointment system: appointments
//! made there are applied here by reference (`inbound`), changes made here are pushed there as
//! signed CloudEvents from an outbox fed by the log (`reactor`, `sender`), and the two can be
//! compared and reconciled (`reconcile`).

pub mod cloud_event;
mod inbound;
mod reactor;
mod reconcile;
mod sender;
mod settings;

pub use inbound::{MunicipalAppointment, SyncError, SyncOutcome, request_id};
pub use reactor::{NAME as REACTOR_NAME, WebhookReactor};
pub use reconcile::{Difference, DifferenceKind, Report, Side, reconcile};
pub use sender::{Pushed, WebhookSender};
pub use settings::MunicipalSettings;
