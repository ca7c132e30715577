//! Every message a client can read, in Basque and Spanish, and the one mapping of errors to
//! HTTP statuses.

use axum::http::StatusCode;
use domain::agenda::AgendaError;
use domain::calendar::SlotError;
use domain::capability::LinkError;
use domain::citizen_request::CitizenRequestError;
use domain::procedure::Bilingual;
use domain::values::ValueError;
use infrastructure::booking::BookingError;

use crate::problem::{ApiError, FieldProblem, Problem};

mod booking_guard;
mod calls;
mod retention;
mod signing;

/// What is wrong with one field of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldIssue {
    Missing,
    Unknown,
    WrongType,
    DateTime,
    Date,
    Uuid,
    OneOf(&'static [&'static str]),
    DateRange {
        max_days: u32,
    },
    Limit {
        max: u32,
    },
    Version {
        max: i64,
    },
    Cursor,
    /// A free text of `min` to `max` characters, without control characters.
    Text {
        min: usize,
        max: usize,
    },
    Value(ValueError),
    Request(CitizenRequestError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidField {
    pub field: String,
    pub issue: FieldIssue,
}

impl InvalidField {
    pub fn new(field: impl Into<String>, issue: FieldIssue) -> Self {
        Self {
            field: field.into(),
            issue,
        }
    }
}

fn problem(status: StatusCode, slug: &'static str, title: Bilingual, detail: Bilingual) -> Problem {
    Problem {
        status,
        slug,
        title,
        detail,
        errors: vec![],
    }
}

fn issue_text(issue: &FieldIssue) -> Bilingual {
    match issue {
        FieldIssue::Missing => Bilingual::new("Derrigorrezko eremua.", "Campo obligatorio."),
        FieldIssue::Unknown => Bilingual::new("Eremu ezezaguna.", "Campo desconocido."),
        FieldIssue::WrongType => Bilingual::new("Balio mota okerra.", "Tipo de valor incorrecto."),
        FieldIssue::DateTime => Bilingual::new(
            "RFC 3339 data eta ordua izan behar du, zonarekin, adib. 2026-12-02T09:00:00+01:00.",
            "Debe ser una fecha y hora RFC 3339 con zona, p. ej. 2026-12-02T09:00:00+01:00.",
        ),
        FieldIssue::Date => Bilingual::new(
            "UUUU-HH-EE data izan behar du.",
            "Debe ser una fecha AAAA-MM-DD.",
        ),
        FieldIssue::Uuid => {
            Bilingual::new("Identifikatzaile baliogabea.", "Identificador no válido.")
        }
        FieldIssue::OneOf(values) => Bilingual::new(
            format!("Onartutako balioak: {}.", values.join(", ")),
            format!("Valores admitidos: {}.", values.join(", ")),
        ),
        FieldIssue::DateRange { max_days } => Bilingual::new(
            format!(
                "Tarteak ezin ditu {max_days} egun gainditu, eta 'to' ezin da 'from' baino lehenagokoa izan."
            ),
            format!(
                "El intervalo no puede superar {max_days} días y 'to' no puede ser anterior a 'from'."
            ),
        ),
        FieldIssue::Limit { max } => Bilingual::new(
            format!("1 eta {max} arteko zenbaki bat izan behar du."),
            format!("Debe ser un número entre 1 y {max}."),
        ),
        FieldIssue::Version { max } => Bilingual::new(
            format!("1 eta {max} arteko bertsio bat izan behar du."),
            format!("Debe ser una versión entre 1 y {max}."),
        ),
        FieldIssue::Cursor => Bilingual::new(
            "Kurtsore ezezaguna: erabili aurreko orriaren next_cursor.",
            "Cursor desconocido: use el next_cursor de la página anterior.",
        ),
        FieldIssue::Text { min, max } => Bilingual::new(
            format!("{min} eta {max} karaktere artean izan behar ditu, kontrol-karaktererik gabe."),
            format!("Debe tener entre {min} y {max} caracteres, sin caracteres de control."),
        ),
        FieldIssue::Value(error) => value_text(error),
        FieldIssue::Request(error) => request_problem(error).detail,
    }
}

fn value_text(error: &ValueError) -> Bilingual {
    match error {
        ValueError::NationalIdFormat => Bilingual::new(
            "NANak 8 zifra eta letra bat ditu; AIZak X, Y edo Z, 7 zifra eta letra bat.",
            "Un DNI tiene 8 cifras y una letra; un NIE, X, Y o Z, 7 cifras y una letra.",
        ),
        ValueError::NationalIdCheckLetter { expected } => Bilingual::new(
            format!(
                "Kontrol-letra ez dator bat zenbakiarekin ({expected} izan beharko litzateke)."
            ),
            format!("La letra de control no corresponde al número (debería ser {expected})."),
        ),
        ValueError::Email => Bilingual::new(
            "Ez da baliozko helbide elektroniko bat.",
            "No es una dirección de correo electrónico válida.",
        ),
        ValueError::Phone => Bilingual::new(
            "Ez da baliozko telefono-zenbaki bat.",
            "No es un número de teléfono válido.",
        ),
        ValueError::Language => Bilingual::new(
            "Hizkuntza ez da onartzen: eu edo es soilik.",
            "Idioma no admitido: solo eu o es.",
        ),
        ValueError::NameEmpty => Bilingual::new("Izena hutsik dago.", "El nombre está vacío."),
        ValueError::NameTooLong { max } => Bilingual::new(
            format!("Izenak {max} karaktere baino gehiago ditu."),
            format!("El nombre tiene más de {max} caracteres."),
        ),
        ValueError::NameCharacters => Bilingual::new(
            "Izenak onartzen ez diren karaktereak ditu.",
            "El nombre contiene caracteres no permitidos.",
        ),
        ValueError::ProcedureCode => Bilingual::new(
            "Izapide-kode batek 2 eta 32 karaktere artean ditu: A-Z, 0-9 edo '-'.",
            "Un código de trámite tiene de 2 a 32 caracteres: A-Z, 0-9 o '-'.",
        ),
    }
}

fn with_errors(mut problem: Problem, fields: &[InvalidField]) -> Problem {
    problem.errors = fields
        .iter()
        .map(|f| FieldProblem {
            field: f.field.clone(),
            message: issue_text(&f.issue),
        })
        .collect();
    problem
}

/// The one mapping of errors to status, type and bilingual text.
pub fn describe(error: &ApiError) -> Problem {
    use StatusCode as S;
    match error {
        ApiError::Invalid(fields) => with_errors(
            problem(
                S::UNPROCESSABLE_ENTITY,
                "invalid-input",
                Bilingual::new("Datu baliogabeak", "Datos no válidos"),
                Bilingual::new(
                    "Berrikusi adierazitako eremuak.",
                    "Revise los campos indicados.",
                ),
            ),
            fields,
        ),
        ApiError::InvalidQuery(fields) => with_errors(
            problem(
                S::BAD_REQUEST,
                "invalid-query",
                Bilingual::new(
                    "Kontsulta-parametro baliogabeak",
                    "Parámetros de consulta no válidos",
                ),
                Bilingual::new(
                    "Berrikusi adierazitako parametroak.",
                    "Revise los parámetros indicados.",
                ),
            ),
            fields,
        ),
        ApiError::MalformedJson => problem(
            S::BAD_REQUEST,
            "malformed-json",
            Bilingual::new("JSON gorputz okerra", "Cuerpo JSON mal formado"),
            Bilingual::new(
                "Eskaeraren gorputza ez da baliozko JSON.",
                "El cuerpo de la petición no es JSON válido.",
            ),
        ),
        ApiError::UnsupportedMediaType => problem(
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            Bilingual::new("Eduki mota ez da onartzen", "Tipo de contenido no admitido"),
            Bilingual::new(
                "Bidali gorputza application/json gisa.",
                "Envíe el cuerpo como application/json.",
            ),
        ),
        ApiError::PayloadTooLarge => for_status(S::PAYLOAD_TOO_LARGE),
        ApiError::NotFound => for_status(S::NOT_FOUND),
        ApiError::Unauthenticated => problem(
            S::UNAUTHORIZED,
            "unauthenticated",
            Bilingual::new("Autentifikazioa behar da", "Autenticación necesaria"),
            Bilingual::new(
                "Eragiketa honek identifikatzea eskatzen du.",
                "Esta operación requiere identificarse.",
            ),
        ),
        ApiError::Forbidden => problem(
            S::FORBIDDEN,
            "forbidden",
            Bilingual::new("Sarbidea ukatuta", "Acceso denegado"),
            Bilingual::new(
                "Zure rolak ez du eragiketa hau baimentzen.",
                "Su rol no permite esta operación.",
            ),
        ),
        ApiError::InvalidToken => problem(
            S::UNAUTHORIZED,
            "invalid-token",
            Bilingual::new("Kredentzial baliogabea", "Credencial no válida"),
            Bilingual::new(
                "Tokena ez da baliozkoa, iraungita dago edo ez da guretzat. Identifikatu berriro.",
                "El token no es válido, ha caducado o no es para este servicio. Vuelva a identificarse.",
            ),
        ),
        ApiError::LinkVoid(error) => problem(
            S::UNAUTHORIZED,
            "link-void",
            Bilingual::new("Estekak ez du balio", "El enlace ya no es válido"),
            match error {
                LinkError::CaseClosed => Bilingual::new(
                    "Espedientea itxita dago; esteka honek ez du gehiago balio.",
                    "El expediente está cerrado; este enlace ya no sirve.",
                ),
                LinkError::Cancelled => Bilingual::new(
                    "Hitzordua bertan behera utzi zen; esteka honek ez du gehiago balio.",
                    "La cita fue anulada; este enlace ya no sirve.",
                ),
                LinkError::Rescheduled => Bilingual::new(
                    "Hitzorduaren ordua aldatu da; erabili ordu berriarekin bidalitako esteka.",
                    "La cita cambió de hora; use el enlace enviado con la nueva hora.",
                ),
            },
        ),
        ApiError::TooManyRequests { retry_after } => problem(
            S::TOO_MANY_REQUESTS,
            "too-many-requests",
            Bilingual::new("Eskaera gehiegi", "Demasiadas peticiones"),
            Bilingual::new(
                format!("Itxaron {retry_after} segundo berriro saiatu aurretik."),
                format!("Espere {retry_after} segundos antes de volver a intentarlo."),
            ),
        ),
        ApiError::InvalidIfMatch => problem(
            S::BAD_REQUEST,
            "invalid-if-match",
            Bilingual::new("If-Match baliogabea", "If-Match no válido"),
            Bilingual::new(
                "If-Match goiburuak espedientearen ETag bat izan behar du, adib. \"3\".",
                "La cabecera If-Match debe ser un ETag del expediente, p. ej. \"3\".",
            ),
        ),
        ApiError::InvalidIdempotencyKey => problem(
            S::BAD_REQUEST,
            "invalid-idempotency-key",
            Bilingual::new("Idempotency-Key baliogabea", "Idempotency-Key no válida"),
            Bilingual::new(
                "Idempotency-Key goiburuak 1 eta 255 karaktere ASCII inprimagarri artean ditu.",
                "La cabecera Idempotency-Key tiene de 1 a 255 caracteres ASCII imprimibles.",
            ),
        ),
        ApiError::IdempotencyKeyReused => problem(
            S::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            Bilingual::new(
                "Idempotency-Key berrerabilia",
                "Idempotency-Key reutilizada",
            ),
            Bilingual::new(
                "Gako hau beste eskaera batekin erabili zen dagoeneko. Erabili gako berri bat eskaera berri bakoitzeko.",
                "Esta clave ya se usó con otra petición. Use una clave nueva para cada petición nueva.",
            ),
        ),
        ApiError::IdempotencyInProgress => problem(
            S::CONFLICT,
            "idempotency-in-progress",
            Bilingual::new("Eskaera martxan", "Petición en curso"),
            Bilingual::new(
                "Gako bereko eskaera bat prozesatzen ari da oraindik. Saiatu berriro une batean.",
                "Una petición con la misma clave aún se está procesando. Inténtelo de nuevo en un momento.",
            ),
        ),
        ApiError::Booking(error) => booking_problem(error),
        ApiError::ProcedureChanged { current, requested } => problem(
            S::CONFLICT,
            "procedure-changed",
            Bilingual::new("Izapidea ezin da aldatu", "El trámite no se puede cambiar"),
            Bilingual::new(
                format!(
                    "Erreferentzia horren hitzordua {current} izapiderako da, ez {requested} izapiderako. Ezeztatu eta eskatu beste bat."
                ),
                format!(
                    "La cita de esa referencia es para el trámite {current}, no {requested}. Anúlela y pida otra."
                ),
            ),
        ),
        ApiError::DocumentTooLarge { max } => problem(
            S::PAYLOAD_TOO_LARGE,
            "document-too-large",
            Bilingual::new("Dokumentu handiegia", "Documento demasiado grande"),
            Bilingual::new(
                format!(
                    "Dokumentu batek gehienez {} MiB izan ditzake; ez da ezer gorde.",
                    max / (1024 * 1024)
                ),
                format!(
                    "Un documento puede tener como máximo {} MiB; no se ha guardado nada.",
                    max / (1024 * 1024)
                ),
            ),
        ),
        ApiError::DocumentType => problem(
            S::UNSUPPORTED_MEDIA_TYPE,
            "document-type",
            Bilingual::new(
                "Dokumentu mota ez da onartzen",
                "Tipo de documento no admitido",
            ),
            Bilingual::new(
                "PDF, JPEG eta PNG dokumentuak bakarrik onartzen dira (edukiaren arabera, ez izenaren arabera); ez da ezer gorde.",
                "Solo se admiten documentos PDF, JPEG y PNG (según su contenido, no su nombre); no se ha guardado nada.",
            ),
        ),
        ApiError::UploadInterrupted(_) => problem(
            S::BAD_REQUEST,
            "upload-interrupted",
            Bilingual::new("Igoera eten da", "Subida interrumpida"),
            Bilingual::new(
                "Dokumentua ez da osorik iritsi; ez da ezer gorde. Igo berriro.",
                "El documento no llegó completo; no se ha guardado nada. Vuelva a subirlo.",
            ),
        ),
        ApiError::Storage(error) if error.is_unavailable() => unavailable(),
        ApiError::Storage(_) => for_status(S::INTERNAL_SERVER_ERROR),
        ApiError::Unavailable(_) => unavailable(),
        ApiError::Internal(_) => for_status(S::INTERNAL_SERVER_ERROR),
        ApiError::ChallengeRequired => booking_guard::challenge_required(),
        ApiError::ChallengeInvalid(error) => booking_guard::challenge_invalid(*error),
        ApiError::BookingLimit(refused) => booking_guard::limit(refused),
        ApiError::WrongCode { remaining } => signing::wrong_code(*remaining),
        ApiError::SignatureLockedNow => signing::locked_now(),
        ApiError::IdToken(error) => signing::id_token(error),
        ApiError::AlreadyConnected => problem(
            S::CONFLICT,
            "already-connected",
            Bilingual::new("Konektatuta dago", "Ya conectado"),
            Bilingual::new(
                "Parte-hartzaile hau deira konektatuta dago beste leiho batean.",
                "Esta persona ya está conectada a la llamada en otra ventana.",
            ),
        ),
    }
}

fn unavailable() -> Problem {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "service-unavailable",
        Bilingual::new("Zerbitzua ez dago erabilgarri", "Servicio no disponible"),
        Bilingual::new(
            "Zerbitzua ez dago erabilgarri une honetan; ez da ezer gorde. Saiatu berriro minutu batzuk barru.",
            "El servicio no está disponible en este momento; no se ha guardado nada. Inténtelo de nuevo en unos minutos.",
        ),
    )
}

fn booking_problem(error: &BookingError) -> Problem {
    use StatusCode as S;
    match error {
        BookingError::UnknownProcedure(code) => problem(
            S::UNPROCESSABLE_ENTITY,
            "unknown-procedure",
            Bilingual::new("Izapide ezezaguna", "Trámite desconocido"),
            Bilingual::new(
                format!("Ez dago {code} izapiderik."),
                format!("No existe el trámite {code}."),
            ),
        ),
        BookingError::Agenda(error) => agenda_problem(error),
        BookingError::Request(error) => request_problem(error),
        BookingError::NotFound(_) => for_status(S::NOT_FOUND),
        BookingError::VersionMismatch { expected, current } => problem(
            S::PRECONDITION_FAILED,
            "version-mismatch",
            Bilingual::new("Bertsioa ez dator bat", "La versión no coincide"),
            Bilingual::new(
                format!(
                    "Espedientea {current}. bertsioan dago, ez {expected}.ean; ez da ezer gorde. Irakurri berriro eta errepikatu."
                ),
                format!(
                    "El expediente está en la versión {current}, no en la {expected}; no se ha guardado nada. Vuelva a leerlo y repita."
                ),
            ),
        ),
        BookingError::Conflict => problem(
            S::CONFLICT,
            "concurrent-modification",
            Bilingual::new("Aldi bereko aldaketa", "Modificación simultánea"),
            Bilingual::new(
                "Beste eragiketa batek espediente hau aldatu du aldi berean; ez da ezer gorde. Saiatu berriro.",
                "Otra operación modificó este expediente a la vez; no se ha guardado nada. Inténtelo de nuevo.",
            ),
        ),
        BookingError::Store(_) => unavailable(),
    }
}

fn agenda_problem(error: &AgendaError) -> Problem {
    use StatusCode as S;
    match error {
        AgendaError::SlotFull => problem(
            S::CONFLICT,
            "slot-full",
            Bilingual::new("Ordua ez dago libre", "Hora no disponible"),
            Bilingual::new(
                "Ez dago bideodei-gela librerik ordu horretan. Aukeratu proposatutako beste ordu bat.",
                "No queda ninguna sala de videollamada libre a esa hora. Elija otra de las horas propuestas.",
            ),
        ),
        AgendaError::Slot(SlotError::TooSoon { lead_minutes }) => problem(
            S::UNPROCESSABLE_ENTITY,
            "slot-too-soon",
            Bilingual::new(
                "Ordua iragana edo hurbilegi",
                "Hora pasada o demasiado próxima",
            ),
            Bilingual::new(
                format!("Hitzordua gutxienez {lead_minutes} minutu lehenago eskatu behar da."),
                format!("La cita debe pedirse con al menos {lead_minutes} minutos de antelación."),
            ),
        ),
        AgendaError::Slot(SlotError::BeyondHorizon { horizon_days }) => problem(
            S::UNPROCESSABLE_ENTITY,
            "slot-beyond-horizon",
            Bilingual::new("Ordua urrunegi", "Hora demasiado lejana"),
            Bilingual::new(
                format!("Hurrengo {horizon_days} egunetarako bakarrik ematen dira hitzorduak."),
                format!("Solo se dan citas para los próximos {horizon_days} días."),
            ),
        ),
        AgendaError::Slot(SlotError::Holiday { day }) => problem(
            S::UNPROCESSABLE_ENTITY,
            "slot-holiday",
            Bilingual::new("Jai-eguna", "Día festivo"),
            Bilingual::new(
                format!("{day} jai-eguna da eta ez dago arretarik."),
                format!("El {day} es festivo y no hay atención."),
            ),
        ),
        AgendaError::Slot(SlotError::OutsideOpeningHours) => problem(
            S::UNPROCESSABLE_ENTITY,
            "slot-outside-opening-hours",
            Bilingual::new("Arreta-ordutegitik kanpo", "Fuera del horario de atención"),
            Bilingual::new(
                "Hitzorduak arreta-ordutegiaren barruan hasi eta amaitu behar du.",
                "La cita debe empezar y terminar dentro del horario de atención.",
            ),
        ),
        AgendaError::Slot(SlotError::NotAligned {
            granularity_minutes,
        }) => problem(
            S::UNPROCESSABLE_ENTITY,
            "slot-not-aligned",
            Bilingual::new("Ordu baliogabea", "Hora no válida"),
            Bilingual::new(
                format!("Hitzorduak {granularity_minutes} minutuko tarteetan hasten dira."),
                format!("Las citas empiezan en múltiplos de {granularity_minutes} minutos."),
            ),
        ),
        AgendaError::UnknownProcedure(code) => {
            booking_problem(&BookingError::UnknownProcedure(code.clone()))
        }
        AgendaError::NotReserved => problem(
            S::CONFLICT,
            "not-reserved",
            Bilingual::new("Erreserbarik gabe", "Sin reserva"),
            Bilingual::new(
                "Hitzorduak ez du gelarik erreserbatuta egun horretan.",
                "La cita no tiene sala reservada ese día.",
            ),
        ),
        AgendaError::UnknownClerk(id) => problem(
            S::UNPROCESSABLE_ENTITY,
            "unknown-clerk",
            Bilingual::new("Langile ezezaguna", "Personal desconocido"),
            Bilingual::new(
                format!("Ez dago {id} langilerik."),
                format!("No existe el empleado o empleada {id}."),
            ),
        ),
        AgendaError::ClerkBusy => problem(
            S::CONFLICT,
            "clerk-busy",
            Bilingual::new("Langilea lanpetuta", "Personal ocupado"),
            Bilingual::new(
                "Pertsona horrek beste hitzordu bat du ordu horretan.",
                "Esa persona ya atiende otra cita a esa hora.",
            ),
        ),
        AgendaError::CallsFull { .. } | AgendaError::ClerkInCall => calls::agenda_problem(error),
        // The booking process derives the day and the length itself: these mean a bug.
        AgendaError::WrongDay { .. } | AgendaError::WrongDuration { .. } => {
            for_status(S::INTERNAL_SERVER_ERROR)
        }
    }
}

fn request_problem(error: &CitizenRequestError) -> Problem {
    use StatusCode as S;

    let conflict =
        |slug, title: Bilingual, detail: Bilingual| problem(S::CONFLICT, slug, title, detail);
    match error {
        // The resend route answers 202 whatever the case says: this reaches no caller there.
        CitizenRequestError::ManageLinkRequestedOften { max } => problem(
            S::TOO_MANY_REQUESTS,
            "manage-link-requested-often",
            Bilingual::new("Esteka askotan eskatu da", "Enlace pedido demasiadas veces"),
            Bilingual::new(
                format!("Kudeatzeko esteka egunean {max} aldiz bidal daiteke gehienez."),
                format!("El enlace de gestión se puede enviar como mucho {max} veces al día."),
            ),
        ),
        CitizenRequestError::NotBooked => conflict(
            "not-booked",
            Bilingual::new("Hitzordurik gabe", "Sin cita"),
            Bilingual::new(
                "Eskaera honek ez du hitzordurik.",
                "Esta solicitud no tiene cita reservada.",
            ),
        ),
        CitizenRequestError::CaseNotEnded => conflict(
            "case-not-ended",
            Bilingual::new("Espedientea ez da amaitu", "El expediente no ha terminado"),
            Bilingual::new(
                "Datu pertsonalak espedientea amaitu ondoren baino ezin dira ezabatu.",
                "Los datos personales solo se borran una vez terminado el expediente.",
            ),
        ),
        CitizenRequestError::PersonalDataErased => problem(
            S::GONE,
            "personal-data-erased",
            Bilingual::new("Datu pertsonalak ezabatuta", "Datos personales borrados"),
            Bilingual::new(
                "Espediente honetako herritarraren datuak ezabatu egin ziren, gordetzeko epea amaitu zelako.",
                "Los datos del ciudadano en este expediente se borraron al terminar su plazo de conservación.",
            ),
        ),
        CitizenRequestError::AlreadyBooked => conflict(
            "already-booked",
            Bilingual::new("Dagoeneko erreserbatuta", "Ya reservada"),
            Bilingual::new(
                "Eskaera honek beste hitzordu bat du dagoeneko.",
                "Esta solicitud ya tiene otra cita.",
            ),
        ),
        CitizenRequestError::Cancelled => conflict(
            "case-cancelled",
            Bilingual::new("Hitzordua bertan behera", "Cita anulada"),
            Bilingual::new(
                "Hitzordua bertan behera utzi zen; ez du aldaketa gehiagorik onartzen.",
                "La cita fue anulada; no admite más cambios.",
            ),
        ),
        CitizenRequestError::Closed => conflict(
            "case-closed",
            Bilingual::new("Espedientea itxita", "Expediente cerrado"),
            Bilingual::new(
                "Espedientea itxita dago; ez du aldaketa gehiagorik onartzen.",
                "El expediente está cerrado; no admite más cambios.",
            ),
        ),
        CitizenRequestError::NoShow => conflict(
            "no-show-recorded",
            Bilingual::new("Ez-agertzea erregistratuta", "Incomparecencia registrada"),
            Bilingual::new(
                "Herritarra hitzordura agertu ez zela erregistratu zen.",
                "Se registró que la persona no se presentó a la cita.",
            ),
        ),
        CitizenRequestError::AlreadyStarted => conflict(
            "appointment-started",
            Bilingual::new("Hitzordua hasi da dagoeneko", "La cita ya ha empezado"),
            Bilingual::new(
                "Hasitako hitzordu bat ezin da aldatu ezta bertan behera utzi ere.",
                "Una cita ya empezada no se puede cambiar ni anular.",
            ),
        ),
        CitizenRequestError::AppointmentOver => conflict(
            "appointment-over",
            Bilingual::new("Hitzordua amaitu da", "La cita ya ha terminado"),
            Bilingual::new(
                "Hitzorduaren ordua igaro da.",
                "La hora de la cita ya pasó.",
            ),
        ),
        CitizenRequestError::NotStartedYet => conflict(
            "appointment-not-started",
            Bilingual::new(
                "Hitzordua ez da oraindik hasi",
                "La cita aún no ha empezado",
            ),
            Bilingual::new(
                "Ez-agertzea hitzordua hasi ondoren bakarrik erregistra daiteke.",
                "La incomparecencia solo se registra una vez empezada la cita.",
            ),
        ),
        CitizenRequestError::TextTooLong { max } => problem(
            S::UNPROCESSABLE_ENTITY,
            "text-too-long",
            Bilingual::new("Testu luzeegia", "Texto demasiado largo"),
            Bilingual::new(
                format!("Testuak {max} karaktere gainditzen ditu."),
                format!("El texto supera los {max} caracteres."),
            ),
        ),
        CitizenRequestError::ExternalReference => problem(
            S::UNPROCESSABLE_ENTITY,
            "invalid-reference",
            Bilingual::new("Erreferentzia baliogabea", "Referencia no válida"),
            Bilingual::new(
                "Erreferentzia batek 1 eta 64 karaktere inprimagarri artean ditu.",
                "Una referencia tiene de 1 a 64 caracteres imprimibles.",
            ),
        ),
        CitizenRequestError::DocumentCount { max } => problem(
            S::UNPROCESSABLE_ENTITY,
            "document-count",
            Bilingual::new("Dokumentu kopuru okerra", "Número de documentos no válido"),
            Bilingual::new(
                format!("Eskatu 1 eta {max} dokumentu artean."),
                format!("Pida entre 1 y {max} documentos."),
            ),
        ),
        CitizenRequestError::DocumentLabel { max } => problem(
            S::UNPROCESSABLE_ENTITY,
            "document-label",
            Bilingual::new(
                "Dokumentuaren izen baliogabea",
                "Nombre de documento no válido",
            ),
            Bilingual::new(
                format!(
                    "Dokumentu bakoitzak izena behar du euskaraz eta gaztelaniaz, gehienez {max} karaktere."
                ),
                format!(
                    "Cada documento necesita un nombre en euskera y en castellano, de {max} caracteres como máximo."
                ),
            ),
        ),
        CitizenRequestError::DocumentNotFound(_) => problem(
            S::NOT_FOUND,
            "document-not-found",
            Bilingual::new("Dokumentua ez da aurkitu", "Documento no encontrado"),
            Bilingual::new(
                "Espediente honek ez du dokumentu hori.",
                "Este expediente no tiene ese documento.",
            ),
        ),
        CitizenRequestError::TooManyDocuments { max } => conflict(
            "too-many-documents",
            Bilingual::new("Dokumentu gehiegi", "Demasiados documentos"),
            Bilingual::new(
                format!("Espediente batek gehienez {max} dokumentu izan ditzake."),
                format!("Un expediente puede tener como máximo {max} documentos."),
            ),
        ),
        CitizenRequestError::AlreadyReviewed => conflict(
            "document-already-reviewed",
            Bilingual::new("Dokumentua berrikusita dago", "Documento ya revisado"),
            Bilingual::new(
                "Dokumentu hau beste erabaki batekin berrikusi zen dagoeneko; eskatu herritarrari dokumentu berri bat.",
                "Este documento ya se revisó con otra decisión; pida a la persona un documento nuevo.",
            ),
        ),
        CitizenRequestError::ReviewReason { max } => problem(
            S::UNPROCESSABLE_ENTITY,
            "review-reason",
            Bilingual::new("Arrazoi baliogabea", "Motivo no válido"),
            Bilingual::new(
                format!("Baztertzeak arrazoi bat behar du, gehienez {max} karaktere."),
                format!("Un rechazo necesita un motivo de {max} caracteres como máximo."),
            ),
        ),
        CitizenRequestError::AccessReason { max } => problem(
            S::UNPROCESSABLE_ENTITY,
            "access-reason",
            Bilingual::new("Arrazoia falta da", "Falta el motivo"),
            Bilingual::new(
                format!(
                    "Dokumentu bat irakurtzeko arrazoia eman behar da (why), gehienez {max} karaktere."
                ),
                format!(
                    "Para leer un documento hay que indicar el motivo (why), de {max} caracteres como máximo."
                ),
            ),
        ),
        CitizenRequestError::CaseReadReason { max } => problem(
            S::UNPROCESSABLE_ENTITY,
            "access-reason",
            Bilingual::new("Arrazoi baliogabea", "Motivo no válido"),
            Bilingual::new(
                format!(
                    "Espedientea irakurtzeko arrazoiak (why) gehienez {max} karaktere izan ditzake, kontrol-karaktererik gabe."
                ),
                format!(
                    "El motivo para leer el expediente (why) puede tener como máximo {max} caracteres, sin caracteres de control."
                ),
            ),
        ),
        CitizenRequestError::IdentityMismatch(_)
        | CitizenRequestError::IdentityEvidence
        | CitizenRequestError::IdentityNotVerified
        | CitizenRequestError::SignatureNotFound(_)
        | CitizenRequestError::SignatureExists
        | CitizenRequestError::DocumentRejected
        | CitizenRequestError::SignatureText { .. }
        | CitizenRequestError::CodeExpired
        | CitizenRequestError::SignatureLocked
        | CitizenRequestError::AlreadySigned
        | CitizenRequestError::DocumentChanged
        | CitizenRequestError::WrongSigningMethod
        | CitizenRequestError::RegistryRecord(_) => signing::request_problem(error),
        CitizenRequestError::CallOutsideWindow { .. }
        | CitizenRequestError::CallInProgress
        | CitizenRequestError::NoCallInProgress
        | CitizenRequestError::ConsentNotGiven
        | CitizenRequestError::ConsentAlreadyGiven
        | CitizenRequestError::ConsentWording { .. }
        | CitizenRequestError::RecordingNotFound(_)
        | CitizenRequestError::RecordingRecord(_) => calls::request_problem(error),
        CitizenRequestError::NotDueForPurge { .. }
        | CitizenRequestError::AlreadyPurged
        | CitizenRequestError::DocumentPurged(_)
        | CitizenRequestError::RecordingPurged(_) => retention::request_problem(error),
        // The api sanitises what it records: this means a bug.
        CitizenRequestError::DocumentRecord(_) => for_status(S::INTERNAL_SERVER_ERROR),
        CitizenRequestError::DocumentsDue => problem(
            S::UNPROCESSABLE_ENTITY,
            "documents-due",
            Bilingual::new("Epe baliogabea", "Plazo no válido"),
            Bilingual::new(
                "Dokumentuen epeak etorkizunean egon behar du, eta ez hitzordua baino beranduago.",
                "El plazo de los documentos debe ser futuro y no posterior a la cita.",
            ),
        ),
    }
}

/// A problem for an error response that carries none: axum's own rejections and fallbacks,
/// tower-http's limits and timeouts, a caught panic.
pub fn for_status(status: StatusCode) -> Problem {
    use StatusCode as S;
    let (slug, title, detail) = match status {
        S::NOT_FOUND => (
            "not-found",
            Bilingual::new("Ez da aurkitu", "No encontrado"),
            Bilingual::new(
                "Eskatutako baliabidea ez dago.",
                "No existe el recurso pedido.",
            ),
        ),
        S::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            Bilingual::new("Metodoa ez dago baimenduta", "Método no permitido"),
            Bilingual::new(
                "Baliabide honek ez du metodo hori onartzen.",
                "Este recurso no admite ese método.",
            ),
        ),
        S::PAYLOAD_TOO_LARGE => (
            "payload-too-large",
            Bilingual::new("Eskaera handiegia", "Petición demasiado grande"),
            Bilingual::new(
                "Eskaeraren gorputzak baimendutako tamaina gainditzen du.",
                "El cuerpo de la petición supera el tamaño permitido.",
            ),
        ),
        S::UNSUPPORTED_MEDIA_TYPE => return describe(&ApiError::UnsupportedMediaType),
        S::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            "headers-too-large",
            Bilingual::new("Goiburu handiegiak", "Cabeceras demasiado grandes"),
            Bilingual::new(
                "Eskaeraren goiburuek baimendutako tamaina gainditzen dute; bidali laburragoak.",
                "Las cabeceras de la petición superan el tamaño permitido; envíelas más cortas.",
            ),
        ),
        S::REQUEST_TIMEOUT => (
            "request-timeout",
            Bilingual::new("Denbora agortuta", "Tiempo agotado"),
            Bilingual::new(
                "Eskaerak denbora gehiegi behar izan du; ez da ezer gorde.",
                "La petición tardó demasiado; no se ha guardado nada.",
            ),
        ),
        S::SERVICE_UNAVAILABLE => return unavailable(),
        s if s.is_server_error() => (
            "internal-error",
            Bilingual::new("Barne-errorea", "Error interno"),
            Bilingual::new(
                "Ustekabeko errore bat gertatu da. Eman eskaeraren identifikatzailea arreta-zerbitzuari.",
                "Se ha producido un error inesperado. Indique el identificador de la petición al servicio de atención.",
            ),
        ),
        _ => (
            "bad-request",
            Bilingual::new("Eskaera okerra", "Petición incorrecta"),
            Bilingual::new(
                "Zerbitzariak ezin du eskaera hau prozesatu.",
                "El servidor no puede procesar esta petición.",
            ),
        ),
    };
    problem(status, slug, title, detail)
}
