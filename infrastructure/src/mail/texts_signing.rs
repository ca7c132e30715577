//! What the signing messages say: the one-time code with the sign link, and the registry
//! receipt (Ley 39/2015, art. 16.3: the receipt states the number, date and time of the entry).

use domain::citizen_request::SignableKind;
use domain::values::Language;

use super::document::Block;
use super::texts::{Details, Facts, pick};

/// The subject and blocks of a signing message; `number` and `procedure` are the labelled
/// request number and procedure every message shows.
pub fn content(
    facts: &Facts,
    details: &Details,
    number: (String, String),
    procedure: (String, String),
) -> (String, Vec<Block>) {
    let l = facts.language;
    let t = |eu: &str, es: &str| pick(l, eu, es);
    let what = |kind: SignableKind| match (l, kind) {
        (Language::Eu, SignableKind::Request) => "eskabidea",
        (Language::Eu, SignableKind::Complaint) => "kexa",
        (Language::Es, SignableKind::Request) => "solicitud",
        (Language::Es, SignableKind::Complaint) => "queja",
    };
    match details {
        Details::SignCode {
            code,
            expires,
            sign_url,
            kind,
            addressee,
        } => (
            match l {
                Language::Eu => format!("Sinatzeko kodea: {}", what(*kind)),
                Language::Es => format!("Código para firmar su {}", what(*kind)),
            },
            vec![
                Block::Paragraph(match l {
                    Language::Eu => format!(
                        "Langileak zure {} prestatu du sinatzeko. Irakurri arretaz, eta sinatu nahi baduzu, idatzi kode hau sinatzeko orrian:",
                        what(*kind)
                    ),
                    Language::Es => format!(
                        "El personal ha preparado su {} para firmar. Léala con atención y, si desea firmarla, escriba este código en la página de firma:",
                        what(*kind)
                    ),
                }),
                Block::Fields(vec![
                    (t("Kodea", "Código"), code.clone()),
                    (t("Iraungitze-data", "Caduca"), expires.clone()),
                    (t("Norentzat", "Dirigida a"), addressee.to_string()),
                    number,
                    procedure,
                ]),
                Block::Link {
                    text: t("Irakurri eta sinatu", "Leer y firmar"),
                    url: sign_url.clone(),
                },
                Block::Paragraph(t(
                    "Kodea pertsonala da eta behin bakarrik balio du. Udalak ez dizu inoiz eskatuko telefonoz. Bost aldiz oker idazten bada, sinadura blokeatu egiten da.",
                    "El código es personal y sirve una sola vez. El Ayuntamiento nunca se lo pedirá por teléfono. Si se escribe mal cinco veces, la firma se bloquea.",
                )),
            ],
        ),
        Details::RegistryReceipt {
            number: entry,
            registered,
            kind,
            addressee,
            sha256,
        } => (
            match l {
                Language::Eu => format!("Erregistroko egiaztagiria: {entry}. zenbakia"),
                Language::Es => format!("Justificante de registro: número {entry}"),
            },
            vec![
                Block::Paragraph(match l {
                    Language::Eu => format!(
                        "Zure {} sinatuta dago eta Udaleko erregistroan sartu da.",
                        what(*kind)
                    ),
                    Language::Es => format!(
                        "Su {} está firmada y se ha presentado en el registro del Ayuntamiento.",
                        what(*kind)
                    ),
                }),
                Block::Fields(vec![
                    (
                        t("Erregistro-zenbakia", "Número de registro"),
                        entry.to_string(),
                    ),
                    (
                        t("Erregistro-data eta ordua", "Fecha y hora de registro"),
                        registered.clone(),
                    ),
                    (t("Norentzat", "Dirigida a"), addressee.to_string()),
                    (
                        t("Interesduna", "Persona interesada"),
                        facts.citizen_name.to_string(),
                    ),
                    (
                        t(
                            "Dokumentuaren laburpena (SHA-256)",
                            "Huella del documento (SHA-256)",
                        ),
                        sha256.to_string(),
                    ),
                    number,
                    procedure,
                ]),
                Block::Paragraph(t(
                    "Gorde mezu hau: aurkezpenaren egiaztagiria da.",
                    "Conserve este mensaje: es el justificante de su presentación.",
                )),
            ],
        ),
        // Every other kind is written in `texts`.
        _ => (String::new(), vec![]),
    }
}
