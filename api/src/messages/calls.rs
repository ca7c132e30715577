//! The bilingual problems of the video call and its recording.

use axum::http::StatusCode as S;
use domain::agenda::AgendaError;
use domain::citizen_request::CitizenRequestError;
use domain::procedure::Bilingual;

use super::{for_status, problem};
use crate::problem::Problem;

/// The problem for a case refusal about the call (`messages::request_problem` sends only those).
pub(super) fn request_problem(error: &CitizenRequestError) -> Problem {
    let conflict =
        |slug, title: Bilingual, detail: Bilingual| problem(S::CONFLICT, slug, title, detail);
    match error {
        CitizenRequestError::CallOutsideWindow { early_join_minutes } => conflict(
            "call-outside-window",
            Bilingual::new(
                "Deiaren ordutegitik kanpo",
                "Fuera del horario de la llamada",
            ),
            Bilingual::new(
                format!(
                    "Deia hitzordua baino {early_join_minutes} minutu lehenagotik bere amaierara arte ireki daiteke."
                ),
                format!(
                    "La llamada se puede abrir desde {early_join_minutes} minutos antes de la cita hasta su final."
                ),
            ),
        ),
        CitizenRequestError::CallInProgress => conflict(
            "call-in-progress",
            Bilingual::new("Deia martxan", "Llamada en curso"),
            Bilingual::new(
                "Beste langile batek du deia martxan.",
                "Otra persona del personal tiene la llamada en curso.",
            ),
        ),
        CitizenRequestError::NoCallInProgress => conflict(
            "no-call-in-progress",
            Bilingual::new("Deirik ez", "Sin llamada"),
            Bilingual::new(
                "Ez dago deirik martxan.",
                "No hay ninguna llamada en curso.",
            ),
        ),
        CitizenRequestError::ConsentNotGiven => conflict(
            "consent-not-given",
            Bilingual::new("Baimenik ez", "Sin consentimiento"),
            Bilingual::new(
                "Herritarrak ez du grabatzeko baimenik eman.",
                "La persona no ha dado su consentimiento para grabar.",
            ),
        ),
        CitizenRequestError::ConsentAlreadyGiven => conflict(
            "consent-already-given",
            Bilingual::new("Baimena emanda", "Consentimiento ya dado"),
            Bilingual::new(
                "Baimena eman da; atzera egiteko, kendu baimena.",
                "El consentimiento ya se dio; para echarse atrás, retírelo.",
            ),
        ),
        CitizenRequestError::ConsentWording { max } => problem(
            S::UNPROCESSABLE_ENTITY,
            "consent-wording",
            Bilingual::new(
                "Testuaren bertsio baliogabea",
                "Versión del texto no válida",
            ),
            Bilingual::new(
                format!("Erakutsitako testuaren bertsioak 1 eta {max} karaktere artean ditu."),
                format!("La versión del texto mostrado tiene de 1 a {max} caracteres."),
            ),
        ),
        CitizenRequestError::RecordingNotFound(_) => problem(
            S::NOT_FOUND,
            "recording-not-found",
            Bilingual::new("Grabazioa ez da aurkitu", "Grabación no encontrada"),
            Bilingual::new(
                "Espediente honek ez du grabazio hori.",
                "Este expediente no tiene esa grabación.",
            ),
        ),
        // Written by the recorder itself: this means a bug.
        _ => for_status(S::INTERNAL_SERVER_ERROR),
    }
}

/// The problem for the day's Agenda refusing a call.
pub(super) fn agenda_problem(error: &AgendaError) -> Problem {
    match error {
        AgendaError::CallsFull { max } => problem(
            S::CONFLICT,
            "calls-full",
            Bilingual::new("Dei guztiak okupatuta", "Todas las llamadas ocupadas"),
            Bilingual::new(
                format!("Dagoeneko {max} bideodei daude martxan; itxaron bat amaitu arte."),
                format!("Ya hay {max} videollamadas en curso; espere a que termine una."),
            ),
        ),
        AgendaError::ClerkInCall => problem(
            S::CONFLICT,
            "clerk-in-call",
            Bilingual::new("Langilea beste dei batean", "Personal en otra llamada"),
            Bilingual::new(
                "Langile hori beste dei batean dago.",
                "Esa persona ya está en otra llamada.",
            ),
        ),
        _ => for_status(S::INTERNAL_SERVER_ERROR),
    }
}
