//! What a citizen's link may do in the case's document space besides what it was issued for:
//! in the call, documents go both ways (the citizen shows one, the clerk hands one over), so
//! the join link uploads while the call is in progress and reads what staff put in the space;
//! a sign link reads only what is put up for signature.

use super::CitizenRequest;
use crate::capability::Purpose;

/// Whose uploads a join link may read: what staff put in the space for the citizen.
const STAFF_ACTOR_PREFIX: &str = "staff:";

impl CitizenRequest {
    /// Whether a citizen holding a link of `purpose` may put a document in the case's space now.
    pub fn link_may_upload(&self, purpose: Purpose) -> bool {
        match purpose {
            Purpose::Upload => true,
            Purpose::Join => self.call_in_progress().is_some(),
            Purpose::Manage | Purpose::Sign => false,
        }
    }

    /// Whether a citizen holding a link of `purpose` may read the document `document_id`.
    pub fn link_may_read(&self, purpose: Purpose, document_id: uuid::Uuid) -> bool {
        match purpose {
            Purpose::Sign => self
                .signatures()
                .iter()
                .any(|s| s.document_id == document_id),
            Purpose::Join => self
                .document(document_id)
                .is_some_and(|d| d.uploaded_by.starts_with(STAFF_ACTOR_PREFIX)),
            Purpose::Manage | Purpose::Upload => false,
        }
    }
}
