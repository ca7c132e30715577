//! The bilingual problems of the retention schedule: what a purged document or recording
//! answers, and the refusals of a purge (these reach only the purge service, never a caller of
//! the api, but every refusal has its message).

use axum::http::StatusCode as S;
use domain::citizen_request::CitizenRequestError;
use domain::procedure::Bilingual;

use super::{for_status, problem};
use crate::problem::Problem;

/// The problem for a case refusal about retention (`messages::request_problem` sends only those).
pub(super) fn request_problem(error: &CitizenRequestError) -> Problem {
    match error {
        // 410: the document existed and is gone for good, which a 404 would hide.
        CitizenRequestError::DocumentPurged(_) => problem(
            S::GONE,
            "document-purged",
            Bilingual::new("Dokumentua ezabatuta", "Documento eliminado"),
            Bilingual::new(
                "Dokumentu hau gordetzeko epea amaitu zen eta ezabatu egin da; haren erregistroa espedientean geratzen da.",
                "El plazo de conservación de este documento terminó y se ha eliminado; su registro sigue en el expediente.",
            ),
        ),
        CitizenRequestError::RecordingPurged(_) => problem(
            S::GONE,
            "recording-purged",
            Bilingual::new("Grabazioa ezabatuta", "Grabación eliminada"),
            Bilingual::new(
                "Grabazio-fitxategi hau gordetzeko epea amaitu zen eta ezabatu egin da; haren erregistroa espedientean geratzen da.",
                "El plazo de conservación de este archivo de grabación terminó y se ha eliminado; su registro sigue en el expediente.",
            ),
        ),
        CitizenRequestError::NotDueForPurge { due_at } => problem(
            S::CONFLICT,
            "not-due-for-purge",
            Bilingual::new(
                "Gordetzeko epea ez da amaitu",
                "Plazo de conservación no vencido",
            ),
            Bilingual::new(
                format!("{due_at} arte ezin da ezabatu."),
                format!("No se puede eliminar antes de {due_at}."),
            ),
        ),
        CitizenRequestError::AlreadyPurged => problem(
            S::CONFLICT,
            "already-purged",
            Bilingual::new("Dagoeneko ezabatuta", "Ya eliminado"),
            Bilingual::new("Hau ezabatu zen dagoeneko.", "Esto ya se eliminó."),
        ),
        _ => for_status(S::INTERNAL_SERVER_ERROR),
    }
}
