//! The bilingual problems of identification and signing.

use axum::http::StatusCode as S;
use domain::citizen_request::{CitizenRequestError, IdentityMismatch};
use domain::procedure::Bilingual;
use infrastructure::signing::IdTokenError;

use super::{for_status, problem};
use crate::problem::Problem;

/// The problem for a case refusal of identification or signing (`messages::request_problem`
/// sends only those here).
pub(super) fn request_problem(error: &CitizenRequestError) -> Problem {
    let conflict =
        |slug, title: Bilingual, detail: Bilingual| problem(S::CONFLICT, slug, title, detail);
    let unprocessable = |slug, title: Bilingual, detail: Bilingual| {
        problem(S::UNPROCESSABLE_ENTITY, slug, title, detail)
    };
    match error {
        CitizenRequestError::IdentityMismatch(IdentityMismatch::NationalId) => unprocessable(
            "identity-mismatch",
            Bilingual::new("Identitatea ez dator bat", "La identidad no coincide"),
            Bilingual::new(
                "NAN/AIZ zenbakia ez da hitzorduan emandakoa.",
                "El DNI/NIE no es el de la cita.",
            ),
        ),
        CitizenRequestError::IdentityMismatch(IdentityMismatch::Name) => unprocessable(
            "identity-mismatch",
            Bilingual::new("Identitatea ez dator bat", "La identidad no coincide"),
            Bilingual::new(
                "Izena ez da hitzorduan emandakoa.",
                "El nombre no es el de la cita.",
            ),
        ),
        CitizenRequestError::IdentityMismatch(IdentityMismatch::DocumentExpired) => unprocessable(
            "identity-document-expired",
            Bilingual::new("Agiria iraungita", "Documento caducado"),
            Bilingual::new(
                "Erakutsitako identitate-agiria iraungita dago.",
                "El documento de identidad mostrado está caducado.",
            ),
        ),
        CitizenRequestError::IdentityEvidence => unprocessable(
            "identity-evidence",
            Bilingual::new("Froga baliogabea", "Prueba no válida"),
            Bilingual::new(
                "Frogak ez dio identifikazio-metodoari dagokio.",
                "La prueba no corresponde al método de identificación.",
            ),
        ),
        CitizenRequestError::IdentityNotVerified => conflict(
            "identity-not-verified",
            Bilingual::new("Identitatea egiaztatu gabe", "Identidad sin verificar"),
            Bilingual::new(
                "Herritarraren identitatea egiaztatu behar da sinatu aurretik.",
                "Hay que verificar la identidad de la persona antes de firmar.",
            ),
        ),
        CitizenRequestError::SignatureNotFound(_) => problem(
            S::NOT_FOUND,
            "signature-not-found",
            Bilingual::new("Sinadura ez da aurkitu", "Firma no encontrada"),
            Bilingual::new(
                "Espediente honek ez du sinadura hori.",
                "Este expediente no tiene esa firma.",
            ),
        ),
        CitizenRequestError::SignatureExists => conflict(
            "signature-exists",
            Bilingual::new("Sinadura badago", "La firma ya existe"),
            Bilingual::new(
                "Beste sinadura batek du identifikatzaile hori.",
                "Otra firma tiene ese identificador.",
            ),
        ),
        CitizenRequestError::DocumentRejected => conflict(
            "document-rejected",
            Bilingual::new("Dokumentua baztertuta", "Documento rechazado"),
            Bilingual::new(
                "Baztertutako dokumentu bat ezin da sinatu.",
                "Un documento rechazado no se puede firmar.",
            ),
        ),
        CitizenRequestError::SignatureText { field, max } => unprocessable(
            "signature-text",
            Bilingual::new("Testu baliogabea", "Texto no válido"),
            Bilingual::new(
                format!(
                    "{field} eremuak 1 eta {max} karaktere artean ditu, kontrol-karaktererik gabe."
                ),
                format!(
                    "El campo {field} tiene de 1 a {max} caracteres, sin caracteres de control."
                ),
            ),
        ),
        CitizenRequestError::CodeExpired => unprocessable(
            "code-expired",
            Bilingual::new("Kodea iraungita", "Código caducado"),
            Bilingual::new(
                "Kodea iraungi da. Eskatu langileari sinadura berriro prestatzeko.",
                "El código ha caducado. Pida al personal que prepare de nuevo la firma.",
            ),
        ),
        CitizenRequestError::SignatureLocked => conflict(
            "signature-locked",
            Bilingual::new("Sinadura blokeatuta", "Firma bloqueada"),
            Bilingual::new(
                "Kodea gaizki idatzi da gehiegitan; sinadura blokeatuta dago. Langileak berri bat presta dezake.",
                "El código se escribió mal demasiadas veces; la firma está bloqueada. El personal puede preparar una nueva.",
            ),
        ),
        CitizenRequestError::AlreadySigned => conflict(
            "already-signed",
            Bilingual::new("Sinatuta dago", "Ya firmado"),
            Bilingual::new(
                "Dokumentu hau sinatuta dago.",
                "Este documento ya está firmado.",
            ),
        ),
        CitizenRequestError::DocumentChanged => conflict(
            "document-changed",
            Bilingual::new("Dokumentua aldatu da", "El documento ha cambiado"),
            Bilingual::new(
                "Gordetako dokumentua ez da sinatzeko prestatutakoa; ezin da sinatu.",
                "El documento guardado no es el preparado para la firma; no se puede firmar.",
            ),
        ),
        CitizenRequestError::WrongSigningMethod => conflict(
            "wrong-signing-method",
            Bilingual::new("Sinatzeko beste modu bat", "Otra forma de firma"),
            Bilingual::new(
                "Sinadura hau beste modu batera egiten da.",
                "Esta firma se hace de otra forma.",
            ),
        ),
        // Written by the registry itself: this means a bug.
        CitizenRequestError::RegistryRecord(_) => for_status(S::INTERNAL_SERVER_ERROR),
        _ => for_status(S::INTERNAL_SERVER_ERROR),
    }
}

pub(super) fn wrong_code(remaining: u8) -> Problem {
    problem(
        S::UNPROCESSABLE_ENTITY,
        "wrong-code",
        Bilingual::new("Kode okerra", "Código incorrecto"),
        Bilingual::new(
            format!("Kodea ez da zuzena. {remaining} saiakera geratzen zaizkizu."),
            format!("El código no es correcto. Le quedan {remaining} intentos."),
        ),
    )
}

pub(super) fn locked_now() -> Problem {
    problem(
        S::UNPROCESSABLE_ENTITY,
        "wrong-code-locked",
        Bilingual::new(
            "Kode okerra: sinadura blokeatuta",
            "Código incorrecto: firma bloqueada",
        ),
        Bilingual::new(
            "Kodea ez da zuzena, eta bosgarren saiakera zen: sinadura blokeatu da. Langileak berri bat presta dezake.",
            "El código no es correcto y era el quinto intento: la firma se ha bloqueado. El personal puede preparar una nueva.",
        ),
    )
}

pub(super) fn id_token(error: &IdTokenError) -> Problem {
    match error {
        IdTokenError::NotConfigured => problem(
            S::SERVICE_UNAVAILABLE,
            "identity-provider-not-configured",
            Bilingual::new("Identitate-hornitzailerik ez", "Sin proveedor de identidad"),
            Bilingual::new(
                "Ez dago identitate-hornitzailerik konfiguratuta; erabili kamerako agiria.",
                "No hay proveedor de identidad configurado; use el documento ante la cámara.",
            ),
        ),
        IdTokenError::Stale => problem(
            S::UNPROCESSABLE_ENTITY,
            "id-token-stale",
            Bilingual::new("Autentifikazio zaharra", "Autenticación antigua"),
            Bilingual::new(
                "Herritarrak orain autentifikatu behar du, deian zehar.",
                "La persona debe autenticarse ahora, durante la llamada.",
            ),
        ),
        IdTokenError::Method => problem(
            S::UNPROCESSABLE_ENTITY,
            "id-token-method",
            Bilingual::new("Metodoa ez da onartzen", "Método no admitido"),
            Bilingual::new(
                "Autentifikazioa ez da Cl@ve, BakQ edo ziurtagiri bidez egin.",
                "La autenticación no se hizo con Cl@ve, BakQ ni certificado.",
            ),
        ),
        IdTokenError::NationalId(_) => problem(
            S::UNPROCESSABLE_ENTITY,
            "id-token-national-id",
            Bilingual::new("NAN/AIZ falta da", "Falta el DNI/NIE"),
            Bilingual::new(
                "Hornitzailearen tokenak ez du NAN/AIZ baliozkorik.",
                "El token del proveedor no trae un DNI/NIE válido.",
            ),
        ),
        IdTokenError::Token(_) => problem(
            S::UNPROCESSABLE_ENTITY,
            "id-token-invalid",
            Bilingual::new("Token baliogabea", "Token no válido"),
            Bilingual::new(
                "Identitate-hornitzailearen tokena ezin da egiaztatu.",
                "No se puede verificar el token del proveedor de identidad.",
            ),
        ),
    }
}
