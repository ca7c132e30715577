//! Staff reads of the whole case (history, export, case file) are recorded in the case before
//! the answer goes out, as reads of a document or a recording are: the citizen sees them in
//! `GET .../accesses`. The handlers read and check everything first, so bad input writes
//! nothing; then the read is recorded, and only then is the answer sent.

use domain::citizen_request::{CaseRead, CitizenRequestCommand, RecordCaseFileAccess};
use uuid::Uuid;

use crate::caller::Caller;
use crate::problem::ApiError;
use crate::state::AppState;

/// Records `caller`'s read of `what` in case `request_id`, with the reason given, unless the
/// domain says this reader's reads are not recorded (the citizen's own).
pub(crate) async fn record(
    state: &AppState,
    caller: &Caller,
    request_id: Uuid,
    what: CaseRead,
    why: Option<String>,
) -> Result<(), ApiError> {
    if !CaseRead::is_recorded(caller.role) {
        return Ok(());
    }
    let now = state.booking.now();
    state
        .booking
        .execute(
            request_id,
            CitizenRequestCommand::RecordCaseFileAccess(RecordCaseFileAccess {
                what,
                by: caller.actor(),
                role: caller.role,
                why,
                at: now,
            }),
            &caller.metadata(now),
            None,
        )
        .await?;
    Ok(())
}
