//! The bilingual problems of anonymous booking's guards: the proof of work and the limits per
//! person. Each says what to do next, since a citizen, not a script, is the one expected to
//! read them.

use axum::http::StatusCode as S;
use domain::booking_limits::LimitRefused;
use domain::procedure::Bilingual;
use infrastructure::booking_guard::ChallengeError;

use super::problem;
use crate::problem::Problem;

pub(super) fn challenge_required() -> Problem {
    problem(
        S::PRECONDITION_REQUIRED,
        "challenge-required",
        Bilingual::new("Egiaztapena falta da", "Falta la comprobación"),
        Bilingual::new(
            "Webetik hitzordua hartzeko, nabigatzaileak egiaztapen txiki bat ebatzi behar du lehenago (GET /v1/booking-challenge). Orriak berak egiten du; berriz saiatu.",
            "Para pedir cita por la web, el navegador debe resolver antes una pequeña comprobación (GET /v1/booking-challenge). La página lo hace sola; vuelva a intentarlo.",
        ),
    )
}

pub(super) fn challenge_invalid(error: ChallengeError) -> Problem {
    let detail = match error {
        ChallengeError::Expired => Bilingual::new(
            "Egiaztapena iraungi da. Orriak beste bat eskatuko du; berriz saiatu.",
            "La comprobación ha caducado. La página pedirá otra; vuelva a intentarlo.",
        ),
        ChallengeError::Spent => Bilingual::new(
            "Egiaztapen hori lehendik erabili da. Hitzordu bakoitzak berea behar du; berriz saiatu.",
            "Esa comprobación ya se usó. Cada cita necesita la suya; vuelva a intentarlo.",
        ),
        ChallengeError::Malformed | ChallengeError::Forged | ChallengeError::Unsolved => {
            Bilingual::new(
                "Egiaztapena ez da zuzena. Orriak beste bat eskatuko du; berriz saiatu.",
                "La comprobación no es correcta. La página pedirá otra; vuelva a intentarlo.",
            )
        }
    };
    problem(
        S::UNPROCESSABLE_ENTITY,
        "challenge-invalid",
        Bilingual::new("Egiaztapenak ez du balio", "La comprobación no es válida"),
        detail,
    )
}

pub(super) fn limit(refused: &LimitRefused) -> Problem {
    match refused {
        LimitRefused::SameProcedure => problem(
            S::CONFLICT,
            "already-booked",
            Bilingual::new("Hitzordua baduzu jada", "Ya tiene una cita"),
            Bilingual::new(
                "NAN/AIZ honek badu hitzordu bat izapide honetarako. Aldatu edo ezeztatu nahi baduzu, erabili jaso zenuen mezuko esteka (edo eskatu berriro «Esteka galdu duzu?» atalean).",
                "Este DNI/NIE ya tiene una cita para este trámite. Si quiere cambiarla o anularla, use el enlace del mensaje que recibió (o pídalo de nuevo en «¿Ha perdido el enlace?»).",
            ),
        ),
        LimitRefused::EmailFull { max } => problem(
            S::CONFLICT,
            "email-limit",
            Bilingual::new(
                "Helbide elektroniko honek hitzordu gehiegi ditu",
                "Demasiadas citas con este correo",
            ),
            Bilingual::new(
                format!(
                    "Helbide elektroniko batek gehienez {max} hitzordu izan ditzake aldi berean. Erabili beste helbide bat edo deitu 010era."
                ),
                format!(
                    "Un correo electrónico puede tener como mucho {max} citas a la vez. Use otra dirección o llame al 010."
                ),
            ),
        ),
    }
}
