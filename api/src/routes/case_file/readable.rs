//! The case file as a page a person reads: the same facts as the machine-readable copy, in the
//! case's language, with dates in the council's time zone and the history as sentences.
//!
//! It is one self-contained document (no script, no asset, one `<style>` allowed by its hash),
//! so the citizen and an auditor's tools get the same bytes, and a saved copy opens offline with
//! the same policy (it is repeated in a `<meta>`). Every value from the case is escaped where it
//! is written: sentences are built as plain text and escaped whole.

use std::fmt::Write as _;
use std::sync::LazyLock;

use base64::Engine;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use domain::citizen_request::{
    AttachedDocument, CancelledBy, CaseOutcome, CaseRead, Channel, CitizenRequest,
    CitizenRequestEvent, IdentityMethod, Participant, SignableKind, SignatureRecord,
    SignatureStatus, SigningMethod,
};
use domain::notification::NotificationKind;
use domain::procedure::Catalogue;
use domain::values::{Language, ProcedureCode};
use infrastructure::html::escape;
use infrastructure::mail::dates::date_time;
use projections::LoggedEvent;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::routes::accesses::AccessView;
use crate::routes::views::CaseView;

/// The document's only styling. Dark text on white, a readable measure, and print-friendly.
const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;line-height:1.5;\
color:#1a1a1a;background:#fff;margin:0 auto;max-width:48rem;padding:1rem}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #005a9c}\
dl{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.25rem 1rem}\
dt{font-weight:bold}dd{margin:0;overflow-wrap:anywhere}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #595959;padding:.3rem;\
text-align:left;vertical-align:top;overflow-wrap:anywhere}\
ol{padding-left:1.5rem}li{margin:.3rem 0}time{font-weight:bold}\
.muted{color:#4d4d4d}.digest{font-family:monospace;font-size:.85rem}";

/// `'sha256-…'` of [`STYLE`], the one style source the policy allows.
static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLE.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
});

/// The policy of the readable copy: nothing may load or run, only its own style. Sent as a
/// header, and (without `frame-ancestors`, which a `<meta>` cannot carry) in the document.
pub fn content_security_policy() -> String {
    format!("{}; frame-ancestors 'none'", meta_policy())
}

fn meta_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
        *STYLE_HASH
    )
}

/// What the readable copy is made of.
pub struct Readable<'a> {
    pub request_id: Uuid,
    pub language: Language,
    pub timezone: Tz,
    pub catalogue: &'a Catalogue,
    pub generated_at: DateTime<Utc>,
    pub view: &'a CaseView,
    pub case: &'a CitizenRequest,
    pub accesses: &'a [AccessView],
    pub events: &'a [LoggedEvent],
}

fn tr<'s>(language: Language, eu: &'s str, es: &'s str) -> &'s str {
    match language {
        Language::Eu => eu,
        Language::Es => es,
    }
}

/// The page, as HTML.
pub fn render(r: &Readable<'_>) -> String {
    let l = r.language;
    let council = tr(
        l,
        "Vitoria-Gasteizko Udala",
        "Ayuntamiento de Vitoria-Gasteiz",
    );
    let title = tr(l, "Zure espedientea", "Su expediente");
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title} {id} · {council}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header>\n<p>{council}</p>\n<h1>{title}</h1>\n<p class=\"muted\">{made}</p>\n</header>\n<main>\n",
        lang = l.as_str(),
        policy = escape(&meta_policy()),
        title = escape(title),
        id = r.request_id,
        council = escape(council),
        made = escape(&format!(
            "{} {}. {}",
            tr(l, "Kopia egin den unea:", "Copia hecha el"),
            when(r, r.generated_at),
            tr(
                l,
                "Espedienteak zutaz gordetzen duen guztia da, eta nork eta zergatik ikusi duen.",
                "Es todo lo que el expediente guarda sobre usted, y quién lo ha visto y por qué."
            )
        )),
    );
    appointment(&mut out, r);
    citizen(&mut out, r);
    documents(&mut out, r);
    signatures(&mut out, r);
    accesses(&mut out, r);
    history(&mut out, r);
    let _ = write!(
        out,
        "</main>\n<footer>\n<p class=\"muted\">{}</p>\n</footer>\n</body>\n</html>\n",
        escape(tr(
            l,
            "Kopia honek datu berak ditu makinek irakurtzeko moduan (JSON) deskarga daitekeen kopiak. Zerbait zuzendu behar bada, jarri harremanetan Udalarekin.",
            "Esta copia tiene los mismos datos que la copia para máquinas (JSON) que también puede descargar. Si algo debe corregirse, póngase en contacto con el Ayuntamiento."
        ))
    );
    out
}

fn when(r: &Readable<'_>, at: DateTime<Utc>) -> String {
    date_time(at, r.timezone, r.language)
}

/// `<time>` with the instant, showing it in the council's time zone and the case's language.
fn time_element(r: &Readable<'_>, at: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        escape(&at.to_rfc3339()),
        escape(&when(r, at))
    )
}

fn section_start(out: &mut String, id: &str, heading: &str) {
    let _ = write!(
        out,
        "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{}</h2>\n",
        escape(heading)
    );
}

/// A `<dl>` of label and value pairs; pairs without a value are left out.
fn facts(out: &mut String, rows: &[(&str, Option<String>)]) {
    out.push_str("<dl>\n");
    for (label, value) in rows {
        if let Some(value) = value {
            let _ = writeln!(
                out,
                "<div><dt>{}</dt><dd>{}</dd></div>",
                escape(label),
                escape(value)
            );
        }
    }
    out.push_str("</dl>\n");
}

fn procedure_name(r: &Readable<'_>, code: &str) -> String {
    ProcedureCode::parse(code)
        .ok()
        .and_then(|c| {
            r.catalogue
                .get(&c)
                .map(|p| p.name.get(r.language).to_string())
        })
        .unwrap_or_else(|| code.to_string())
}

fn status_text(l: Language, status: &str) -> &'static str {
    match status {
        "booked" => tr(l, "Hitzordua hartuta", "Cita reservada"),
        "cancelled" => tr(l, "Bertan behera utzia", "Anulada"),
        "no_show" => tr(l, "Ez zinen etorri", "No acudió"),
        "closed" => tr(l, "Itxita", "Cerrado"),
        _ => tr(l, "Berria", "Nuevo"),
    }
}

fn outcome_text(l: Language, outcome: CaseOutcome) -> &'static str {
    match outcome {
        CaseOutcome::Resolved => tr(l, "egina", "resuelto"),
        CaseOutcome::Referred => tr(
            l,
            "beste zerbitzu batera bidalia",
            "remitido a otro servicio",
        ),
        CaseOutcome::Withdrawn => tr(l, "zuk atzera egina", "retirado por usted"),
        CaseOutcome::Abandoned => tr(l, "itxia, ez zinelako etorri", "cerrado por no acudir"),
    }
}

fn outcome_from(l: Language, text: &str) -> String {
    [
        CaseOutcome::Resolved,
        CaseOutcome::Referred,
        CaseOutcome::Withdrawn,
        CaseOutcome::Abandoned,
    ]
    .into_iter()
    .find(|o| o.as_str() == text)
    .map(|o| outcome_text(l, o).to_string())
    .unwrap_or_else(|| text.to_string())
}

fn channel_text(l: Language, channel: &str) -> &'static str {
    match channel {
        "web" => tr(l, "webgunea", "web"),
        "phone_010" => tr(l, "telefonoa (010)", "teléfono (010)"),
        "counter" => tr(l, "leihatila", "mostrador"),
        _ => tr(l, "udalaren hitzordu-sistema", "sistema municipal de citas"),
    }
}

fn appointment(out: &mut String, r: &Readable<'_>) {
    let l = r.language;
    let v = r.view;
    section_start(out, "appointment", tr(l, "Hitzordua", "La cita"));
    let cancellation = v.cancellation.as_ref().map(|c| {
        let by = if c.by == "citizen" {
            tr(l, "zuk", "usted")
        } else {
            tr(l, "Udalak", "el Ayuntamiento")
        };
        if c.reason.is_empty() {
            format!("{} {by}", tr(l, "Nork:", "Por:"))
        } else {
            format!(
                "{} {by}. {} {}",
                tr(l, "Nork:", "Por:"),
                tr(l, "Arrazoia:", "Motivo:"),
                c.reason
            )
        }
    });
    facts(
        out,
        &[
            (tr(l, "Espedientea", "Expediente"), Some(v.id.to_string())),
            (
                tr(l, "Izapidea", "Trámite"),
                Some(procedure_name(r, &v.procedure)),
            ),
            (tr(l, "Noiz", "Cuándo"), Some(when(r, v.slot.start))),
            (
                tr(l, "Iraupena", "Duración"),
                Some(format!("{} {}", v.slot.minutes, tr(l, "minutu", "minutos"))),
            ),
            (tr(l, "Gela", "Sala"), Some(v.room.to_string())),
            (
                tr(l, "Bidea", "Canal"),
                Some(channel_text(l, &v.channel).to_string()),
            ),
            (
                tr(l, "Egoera", "Estado"),
                Some(status_text(l, &v.status).to_string()),
            ),
            (tr(l, "Bertan behera uztea", "Anulación"), cancellation),
            (
                tr(l, "Emaitza", "Resultado"),
                v.outcome.as_deref().map(|o| outcome_from(l, o)),
            ),
            (tr(l, "Laburpena", "Resumen"), v.closing_summary.clone()),
            (
                tr(l, "Erregistroko sarrera", "Asiento de registro"),
                v.registry_entry.clone(),
            ),
            (
                tr(l, "Kanpoko erreferentzia", "Referencia externa"),
                v.external_reference.clone(),
            ),
            (
                tr(l, "Noiz hartu zen", "Reservada el"),
                Some(when(r, v.booked_at)),
            ),
        ],
    );
    out.push_str("</section>\n");
}

fn citizen(out: &mut String, r: &Readable<'_>) {
    let l = r.language;
    let c = &r.view.citizen;
    section_start(out, "citizen", tr(l, "Zure datuak", "Sus datos"));
    if c.erased {
        none(
            out,
            tr(
                l,
                "Zure izena, NAN/AIZ, helbide elektronikoa eta telefonoa ezabatu egin dira, gordetzeko epea amaitu zelako.",
                "Su nombre, DNI/NIE, correo electrónico y teléfono se borraron al acabar el plazo para guardarlos.",
            ),
        );
        out.push_str("</section>\n");
        return;
    }
    facts(
        out,
        &[
            (tr(l, "Izena", "Nombre"), Some(c.name.clone())),
            (tr(l, "NAN/AIZ", "DNI/NIE"), Some(c.national_id.clone())),
            (
                tr(l, "Helbide elektronikoa", "Correo electrónico"),
                Some(c.email.clone()),
            ),
            (tr(l, "Telefonoa", "Teléfono"), c.phone.clone()),
            (
                tr(l, "Hizkuntza", "Idioma"),
                Some(tr(l, "euskara", "castellano").to_string()),
            ),
        ],
    );
    out.push_str("</section>\n");
}

/// Who did something, as the citizen reads it: themselves, a member of staff with their role,
/// or Arreta itself.
fn who(l: Language, actor: &str, role: &str) -> String {
    if role == "citizen" || actor.starts_with("citizen") {
        return tr(l, "zuk", "usted").to_string();
    }
    if let Some(id) = actor.strip_prefix("staff:") {
        return format!("{id} ({})", role_text(l, role));
    }
    match role {
        "municipal_sync" => tr(
            l,
            "udalaren hitzordu-sistema",
            "el sistema municipal de citas",
        )
        .to_string(),
        "recorder" => tr(l, "grabagailua", "el grabador").to_string(),
        _ => tr(l, "Arreta (automatikoki)", "Arreta (automáticamente)").to_string(),
    }
}

fn role_text(l: Language, role: &str) -> String {
    match role {
        "clerk" => tr(l, "udal-langilea", "personal municipal").to_string(),
        "supervisor" => tr(l, "arduraduna", "responsable").to_string(),
        "auditor" => tr(l, "ikuskaria", "auditoría").to_string(),
        "operator" => tr(l, "010eko operadorea", "operador del 010").to_string(),
        "citizen" => tr(l, "herritarra", "ciudadanía").to_string(),
        other => other.to_string(),
    }
}

fn uploader(l: Language, uploaded_by: &str) -> String {
    match uploaded_by.strip_prefix("staff:") {
        Some(id) => format!("{id} ({})", role_text(l, "clerk")),
        None => tr(l, "zuk", "usted").to_string(),
    }
}

fn size_text(l: Language, size: u64) -> String {
    if size >= 1024 * 1024 {
        format!("{:.1} MB", size as f64 / (1024.0 * 1024.0))
    } else if size >= 1024 {
        format!("{} kB", size / 1024)
    } else {
        format!("{size} {}", tr(l, "byte", "bytes"))
    }
}

fn review_text(l: Language, document: &AttachedDocument) -> String {
    match &document.review {
        None => tr(l, "Berrikusteko", "Pendiente de revisión").to_string(),
        Some(review) if review.accepted => tr(l, "Onartua", "Aceptado").to_string(),
        Some(review) => match &review.reason {
            Some(reason) => format!(
                "{} {reason}",
                tr(l, "Baztertua. Arrazoia:", "Rechazado. Motivo:")
            ),
            None => tr(l, "Baztertua", "Rechazado").to_string(),
        },
    }
}

fn table_start(out: &mut String, caption: &str, headers: &[&str]) {
    let _ = write!(
        out,
        "<table>\n<caption>{}</caption>\n<thead><tr>",
        escape(caption)
    );
    for header in headers {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
}

fn row(out: &mut String, cells: &[String]) {
    out.push_str("<tr>");
    for cell in cells {
        let _ = write!(out, "<td>{cell}</td>");
    }
    out.push_str("</tr>\n");
}

fn none(out: &mut String, text: &str) {
    let _ = writeln!(out, "<p class=\"muted\">{}</p>", escape(text));
}

fn documents(out: &mut String, r: &Readable<'_>) {
    let l = r.language;
    let heading = tr(l, "Dokumentuak", "Documentos");
    section_start(out, "documents", heading);
    let asked = r.case.requested_documents();
    if !asked.is_empty() {
        let labels: Vec<&str> = asked.iter().map(|d| d.label.get(l)).collect();
        let due = r
            .case
            .documents_due()
            .map(|d| format!(" {} {}.", tr(l, "Epea:", "Plazo:"), when(r, d)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<p>{}</p>",
            escape(&format!(
                "{} {}.{due}",
                tr(l, "Eskatutako dokumentuak:", "Documentos pedidos:"),
                labels.join("; ")
            ))
        );
    }
    let list = r.case.documents();
    if list.is_empty() {
        none(
            out,
            tr(
                l,
                "Ez dago dokumenturik espedientean.",
                "El expediente no tiene documentos.",
            ),
        );
    } else {
        table_start(
            out,
            heading,
            &[
                tr(l, "Fitxategia", "Archivo"),
                tr(l, "Nork bidalia", "Enviado por"),
                tr(l, "Noiz", "Cuándo"),
                tr(l, "Berrikuspena", "Revisión"),
                tr(l, "Gorde arte", "Se guarda hasta"),
            ],
        );
        for d in list {
            row(
                out,
                &[
                    format!(
                        "{}<br><span class=\"muted\">{}, {}</span><br><span class=\"digest\">SHA-256 {}</span>",
                        escape(&d.file_name),
                        escape(d.media_type.mime()),
                        escape(&size_text(l, d.size)),
                        escape(&d.sha256)
                    ),
                    escape(&uploader(l, &d.uploaded_by)),
                    time_element(r, d.attached_at),
                    escape(&review_text(l, d)),
                    time_element(r, d.retain_until),
                ],
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn kind_text(l: Language, kind: SignableKind) -> &'static str {
    match kind {
        SignableKind::Request => tr(l, "eskaera", "solicitud"),
        SignableKind::Complaint => tr(l, "kexa", "queja"),
    }
}

fn signature_status(l: Language, s: &SignatureRecord) -> String {
    match s.status {
        SignatureStatus::Pending => tr(l, "Sinatzeko", "Pendiente de firma").to_string(),
        SignatureStatus::Locked => tr(
            l,
            "Blokeatua (kode oker gehiegi)",
            "Bloqueada (demasiados códigos incorrectos)",
        )
        .to_string(),
        SignatureStatus::Signed => {
            let how = match s.method {
                SigningMethod::OneTimeCode => {
                    tr(l, "posta bidezko kodearekin", "con el código del correo")
                }
                SigningMethod::ClerkOnBehalf => tr(
                    l,
                    "udal-langileak zure izenean, zure baimenarekin",
                    "por el personal municipal en su nombre, con su permiso",
                ),
            };
            format!("{} ({how})", tr(l, "Sinatua", "Firmada"))
        }
    }
}

fn signatures(out: &mut String, r: &Readable<'_>) {
    let l = r.language;
    let heading = tr(l, "Sinadurak", "Firmas");
    section_start(out, "signatures", heading);
    let list = r.case.signatures();
    if list.is_empty() {
        none(
            out,
            tr(
                l,
                "Ez da sinadurarik eskatu.",
                "No se ha pedido ninguna firma.",
            ),
        );
    } else {
        table_start(
            out,
            heading,
            &[
                tr(l, "Zer", "Qué"),
                tr(l, "Norentzat", "Dirigida a"),
                tr(l, "Egoera", "Estado"),
                tr(l, "Noiz sinatua", "Firmada el"),
                tr(l, "Erregistroa", "Registro"),
            ],
        );
        for s in list {
            let registry = match (s.registry_number, s.registered_at) {
                (Some(n), Some(at)) => format!(
                    "{} {n}, {}",
                    escape(tr(l, "zk.", "n.º")),
                    time_element(r, at)
                ),
                (Some(n), None) => format!("{} {n}", escape(tr(l, "zk.", "n.º"))),
                _ => String::new(),
            };
            row(
                out,
                &[
                    format!(
                        "{}<br><span class=\"digest\">SHA-256 {}</span>",
                        escape(kind_text(l, s.kind)),
                        escape(&s.sha256)
                    ),
                    escape(&s.addressee),
                    escape(&signature_status(l, s)),
                    s.signed_at
                        .map(|at| time_element(r, at))
                        .unwrap_or_default(),
                    registry,
                ],
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn access_what(l: Language, access: &AccessView) -> String {
    let subject = access.subject.clone().unwrap_or_default();
    match access.kind {
        "document" => format!("{} «{subject}»", tr(l, "dokumentua", "el documento")),
        "recording" => tr(l, "deiaren grabazioa", "la grabación de la llamada").to_string(),
        "history" => tr(l, "espedientearen historia", "el historial del expediente").to_string(),
        "export" => tr(
            l,
            "espediente osoaren esportazioa",
            "la exportación del expediente entero",
        )
        .to_string(),
        "case_file" => tr(l, "espedientearen kopia", "la copia del expediente").to_string(),
        "search" => {
            let what: Vec<&str> = subject
                .split(',')
                .map(|kind| match kind {
                    "national_id" => tr(l, "zure NAN/AIZ", "su DNI/NIE"),
                    "external_reference" => tr(
                        l,
                        "zure hitzorduaren erreferentzia",
                        "la referencia de su cita",
                    ),
                    "name" => tr(l, "zure izena", "su nombre"),
                    "email" => tr(l, "zure helbide elektronikoa", "su correo electrónico"),
                    "phone" => tr(l, "zure telefonoa", "su teléfono"),
                    other => other,
                })
                .collect();
            let what = what.join(tr(l, " eta ", " y "));
            match l {
                Language::Eu => format!("zure hitzordua aurkitu zuen {what} bilatuz"),
                Language::Es => format!("encontró su cita buscando {what}"),
            }
        }
        other => other.to_string(),
    }
}

fn accesses(out: &mut String, r: &Readable<'_>) {
    let l = r.language;
    let heading = tr(l, "Nork ikusi ditu zure datuak", "Quién ha visto sus datos");
    section_start(out, "accesses", heading);
    let others: Vec<&AccessView> = r.accesses.iter().collect();
    if others.is_empty() {
        none(
            out,
            tr(
                l,
                "Oraindik inork ez ditu ikusi.",
                "Todavía nadie los ha visto.",
            ),
        );
    } else {
        table_start(
            out,
            heading,
            &[
                tr(l, "Noiz", "Cuándo"),
                tr(l, "Nork", "Quién"),
                tr(l, "Zer", "Qué"),
                tr(l, "Zergatik", "Por qué"),
            ],
        );
        for a in others {
            row(
                out,
                &[
                    time_element(r, a.at),
                    escape(&who(l, &a.by, &a.role)),
                    escape(&access_what(l, a)),
                    escape(
                        a.why
                            .as_deref()
                            .unwrap_or(tr(l, "(ez zuen esan)", "(no lo indicó)")),
                    ),
                ],
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn history(out: &mut String, r: &Readable<'_>) {
    let l = r.language;
    section_start(out, "history", tr(l, "Zer gertatu den", "Qué ha pasado"));
    let mut names = std::collections::HashMap::new();
    out.push_str("<ol>\n");
    for logged in r.events {
        let text = |key: &str| {
            logged
                .metadata
                .get(key)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let sentence = match logged.decode::<CitizenRequestEvent>() {
            Ok(event) => {
                if let CitizenRequestEvent::DocumentAttached {
                    document_id,
                    file_name,
                    ..
                } = &event
                {
                    names.insert(*document_id, file_name.known().cloned().unwrap_or_default());
                }
                sentence(r, &event, &names)
            }
            // An event this version cannot read still shows that something happened.
            Err(_) => logged.event_type.clone(),
        };
        let _ = writeln!(
            out,
            "<li>{}: {} <span class=\"muted\">{} {}.</span></li>",
            time_element(r, logged.recorded_at),
            escape(&sentence),
            escape(tr(l, "Nork:", "Quién:")),
            escape(&who(l, &text("actor"), &text("role")))
        );
    }
    out.push_str("</ol>\n</section>\n");
}

fn channel_of(l: Language, channel: Channel) -> &'static str {
    channel_text(l, channel.as_str())
}

fn notification_text(l: Language, kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Receipt => {
            tr(l, "hitzorduaren egiaztagiria", "el justificante de la cita")
        }
        NotificationKind::Rescheduled => tr(l, "hitzorduaren aldaketa", "el cambio de la cita"),
        NotificationKind::Cancelled => tr(l, "bertan behera uztea", "la anulación"),
        NotificationKind::UploadLink => tr(
            l,
            "dokumentuak igotzeko esteka",
            "el enlace para subir documentos",
        ),
        NotificationKind::Reminder => tr(l, "gogorarazpena", "el recordatorio"),
        NotificationKind::CallLink => tr(l, "deirako esteka", "el enlace de la llamada"),
        NotificationKind::Summary => tr(l, "egindakoaren laburpena", "el resumen de lo hecho"),
        NotificationKind::SignCode => tr(l, "sinatzeko kodea", "el código para firmar"),
        NotificationKind::RegistryReceipt => {
            tr(l, "erregistroko agiria", "el justificante de registro")
        }
        NotificationKind::ManageLink => tr(
            l,
            "hitzordua kudeatzeko esteka",
            "el enlace para gestionar la cita",
        ),
    }
}

fn identity_text(l: Language, method: IdentityMethod) -> &'static str {
    match method {
        IdentityMethod::DocumentOnCamera => tr(
            l,
            "kameraren aurrean erakutsitako agiriarekin",
            "con un documento mostrado a la cámara",
        ),
        IdentityMethod::Clave => "Cl@ve",
        IdentityMethod::Bakq => "BakQ",
        IdentityMethod::Certificate => tr(
            l,
            "ziurtagiri elektronikoarekin",
            "con certificado electrónico",
        ),
    }
}

fn participant_text(l: Language, participant: Participant) -> &'static str {
    match participant {
        Participant::Citizen => tr(l, "zurea", "la suya"),
        Participant::Clerk => tr(l, "udal-langilearena", "la del personal municipal"),
    }
}

/// One event as a sentence (plain text, escaped by the caller).
fn sentence(
    r: &Readable<'_>,
    event: &CitizenRequestEvent,
    names: &std::collections::HashMap<Uuid, String>,
) -> String {
    let l = r.language;
    let document = |id: &Uuid| {
        names
            .get(id)
            .map(|n| format!("«{n}»"))
            .unwrap_or_else(|| id.to_string())
    };
    let because = |why: Option<&str>| match why {
        Some(why) => format!(" {} {why}", tr(l, "Arrazoia:", "Motivo:")),
        None => format!(
            " {}",
            tr(l, "Ez zuen arrazoirik eman.", "No indicó el motivo.")
        ),
    };
    use CitizenRequestEvent as E;
    match event {
        E::AppointmentBooked {
            procedure,
            slot,
            room,
            channel,
            ..
        } => format!(
            "{} {} ({}, {} {room}). {} {}.",
            tr(l, "Hitzordua hartu da:", "Cita reservada para el"),
            when(r, slot.start),
            procedure_name(r, procedure.as_str()),
            tr(l, "gela", "sala"),
            tr(l, "Bidea:", "Canal:"),
            channel_of(l, *channel)
        ),
        E::AppointmentRescheduled { previous, slot, .. } => format!(
            "{} {} {} {}.",
            tr(l, "Hitzordua aldatu da. Lehen:", "Cita cambiada. Antes:"),
            when(r, previous.start),
            tr(l, "Orain:", "Ahora:"),
            when(r, slot.start)
        ),
        E::AppointmentCancelled {
            reason,
            cancelled_by,
            ..
        } => {
            let by = match cancelled_by {
                CancelledBy::Citizen => tr(l, "zuk", "usted"),
                CancelledBy::Council => tr(l, "Udalak", "el Ayuntamiento"),
            };
            let mut text = format!(
                "{} ({} {by}).",
                tr(l, "Hitzordua bertan behera utzi da", "Cita anulada"),
                tr(l, "nork:", "por")
            );
            // An erased reason went with the citizen's data: nothing to say.
            if let Some(reason) = reason.known().filter(|r| !r.is_empty()) {
                text.push_str(&because(Some(reason)));
            }
            text
        }
        E::NoShowRecorded { .. } => tr(
            l,
            "Hitzordura ez zinela etorri idatzi da.",
            "Se anotó que no acudió a la cita.",
        )
        .to_string(),
        E::CaseClosed {
            outcome,
            registry_entry,
            ..
        } => {
            let mut text = format!(
                "{} {}.",
                tr(l, "Espedientea itxi da:", "Expediente cerrado:"),
                outcome_text(l, *outcome)
            );
            if let Some(entry) = registry_entry {
                let _ = write!(
                    text,
                    " {} {entry}.",
                    tr(l, "Erregistroko sarrera:", "Asiento de registro:")
                );
            }
            text
        }
        E::DocumentsRequested {
            documents, due_at, ..
        } => format!(
            "{} {}. {} {}.",
            tr(
                l,
                "Dokumentuak eskatu zaizkizu:",
                "Se le pidieron documentos:"
            ),
            documents
                .iter()
                .map(|d| d.label.get(l))
                .collect::<Vec<_>>()
                .join("; "),
            tr(l, "Epea:", "Plazo:"),
            when(r, *due_at)
        ),
        E::NotificationSent { kind, .. } => format!(
            "{} {}.",
            tr(
                l,
                "Mezu bat bidali zaizu posta elektronikoz:",
                "Se le envió por correo electrónico"
            ),
            notification_text(l, *kind)
        ),
        E::DocumentAttached { file_name, .. } => match file_name.known() {
            Some(name) => format!(
                "{} «{name}».",
                tr(
                    l,
                    "Dokumentu bat gehitu da espedientera:",
                    "Se añadió al expediente el documento"
                )
            ),
            // Its name went with the citizen's data.
            None => tr(
                l,
                "Dokumentu bat gehitu da espedientera.",
                "Se añadió un documento al expediente.",
            )
            .to_string(),
        },
        E::DocumentReviewed {
            document_id,
            accepted,
            reason,
            ..
        } => {
            let mut text = format!(
                "{} {}: {}.",
                tr(l, "Dokumentua berrikusi da", "Documento revisado"),
                document(document_id),
                if *accepted {
                    tr(l, "onartua", "aceptado")
                } else {
                    tr(l, "baztertua", "rechazado")
                }
            );
            if let Some(reason) = reason {
                text.push_str(&because(Some(reason)));
            }
            text
        }
        E::DocumentAccessed {
            document_id, why, ..
        } => format!(
            "{} {}.{}",
            tr(l, "Dokumentua ireki da:", "Se abrió el documento"),
            document(document_id),
            because(Some(why))
        ),
        E::IdentityVerified { method, .. } => format!(
            "{} {}.",
            tr(l, "Zure nortasuna egiaztatu da", "Se comprobó su identidad"),
            identity_text(l, *method)
        ),
        E::SignatureRequested {
            kind, addressee, ..
        } => format!(
            "{} {} {}: {addressee}.",
            tr(l, "Sinatzeko prestatu da:", "Se preparó para su firma una"),
            kind_text(l, *kind),
            tr(l, "norentzat", "dirigida a")
        ),
        E::SignatureCodeRejected {
            failed_attempts,
            locked,
            ..
        } => {
            let mut text = format!(
                "{} ({failed_attempts}).",
                tr(
                    l,
                    "Sinatzeko kode okerra idatzi da",
                    "Se escribió un código de firma incorrecto"
                )
            );
            if *locked {
                let _ = write!(
                    text,
                    " {}",
                    tr(l, "Sinadura blokeatu da.", "La firma quedó bloqueada.")
                );
            }
            text
        }
        E::DocumentSigned { document_id, .. } => format!(
            "{} {}.",
            tr(l, "Dokumentua sinatu da:", "Se firmó el documento"),
            document(document_id)
        ),
        E::RegistryEntryMade { number, .. } => format!(
            "{} {number}.",
            tr(
                l,
                "Erregistroan sartu da. Zenbakia:",
                "Se anotó en el registro con el número"
            )
        ),
        E::CallStarted { room, .. } => format!(
            "{} {room}).",
            tr(
                l,
                "Bideo-deia hasi da (gela:",
                "Empezó la videollamada (sala"
            )
        ),
        E::RecordingConsentGiven { .. } => tr(
            l,
            "Deia grabatzeko baimena eman duzu.",
            "Usted aceptó que se grabara la llamada.",
        )
        .to_string(),
        E::RecordingConsentDeclined { .. } => tr(
            l,
            "Deia grabatzeko baimena ukatu duzu.",
            "Usted no aceptó que se grabara la llamada.",
        )
        .to_string(),
        E::RecordingConsentWithdrawn { .. } => tr(
            l,
            "Deia grabatzeko baimena kendu duzu.",
            "Usted retiró su permiso para grabar la llamada.",
        )
        .to_string(),
        E::CallEnded { .. } => {
            tr(l, "Bideo-deia amaitu da.", "Terminó la videollamada.").to_string()
        }
        E::RecordingStarted { .. } => {
            tr(l, "Grabazioa hasi da.", "Empezó la grabación.").to_string()
        }
        E::RecordingStored { stored, .. } => format!(
            "{} ({}). {} {}.",
            tr(
                l,
                "Grabazioaren fitxategi bat gorde da",
                "Se guardó un archivo de la grabación"
            ),
            participant_text(l, stored.participant),
            tr(l, "Gorde arte:", "Se guarda hasta el"),
            when(r, stored.retain_until)
        ),
        E::RecordingFailed { .. } => tr(
            l,
            "Grabazioaren fitxategi bat ezin izan da gorde.",
            "No se pudo guardar un archivo de la grabación.",
        )
        .to_string(),
        E::RecordingAccessed { why, .. } => format!(
            "{}{}",
            tr(
                l,
                "Deiaren grabazioa ikusi da.",
                "Se vio la grabación de la llamada."
            ),
            because(Some(why))
        ),
        E::CaseFileAccessed { what, why, .. } => format!(
            "{}{}",
            match what {
                CaseRead::History => tr(
                    l,
                    "Espedientearen historia irakurri da.",
                    "Se leyó el historial del expediente."
                ),
                CaseRead::Export => tr(
                    l,
                    "Espediente osoa esportatu da.",
                    "Se exportó el expediente entero."
                ),
                CaseRead::CaseFile => tr(
                    l,
                    "Espedientearen kopia irakurri da.",
                    "Se leyó la copia del expediente."
                ),
            },
            because(why.as_deref())
        ),
        E::DocumentPurged { document_id, .. } => format!(
            "{} {}.",
            tr(
                l,
                "Gordetzeko epea amaituta, dokumentua ezabatu da:",
                "Acabado su plazo de conservación, se borró el documento"
            ),
            document(document_id)
        ),
        E::RecordingPurged { .. } => tr(
            l,
            "Gordetzeko epea amaituta, deiaren grabazioaren fitxategi bat ezabatu da.",
            "Acabado su plazo de conservación, se borró un archivo de la grabación de la llamada.",
        )
        .to_string(),
        E::PersonalDataErased { .. } => tr(
            l,
            "Zure datu pertsonalak ezabatu dira, gordetzeko epea amaitu delako.",
            "Se borraron sus datos personales al acabar el plazo para guardarlos.",
        )
        .to_string(),
        E::ManageLinkRequested { .. } => tr(
            l,
            "Hitzordua kudeatzeko esteka berriro eskatu duzu.",
            "Pidió de nuevo el enlace para gestionar la cita.",
        )
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_one_style_and_nothing_else() {
        let policy = content_security_policy();
        let digest = Sha256::digest(STYLE.as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(
            policy.contains(&format!("style-src 'sha256-{hash}';")),
            "{policy}"
        );
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(
            !policy.contains("script-src") && !policy.contains("'unsafe"),
            "{policy}"
        );
        assert!(policy.ends_with("; frame-ancestors 'none'"), "{policy}");
        // A `<meta>` cannot carry frame-ancestors (browsers ignore it there, with a warning).
        assert!(!meta_policy().contains("frame-ancestors"));
    }

    #[test]
    fn people_are_named_as_the_citizen_reads_them() {
        assert_eq!(who(Language::Eu, "citizen:r", "citizen"), "zuk");
        assert_eq!(
            who(Language::Es, "staff:auditor-01", "auditor"),
            "auditor-01 (auditoría)"
        );
        assert_eq!(
            who(Language::Eu, "staff:clerk-07", "clerk"),
            "clerk-07 (udal-langilea)"
        );
        assert_eq!(
            who(Language::Es, "system:mail", "system"),
            "Arreta (automáticamente)"
        );
    }
}
