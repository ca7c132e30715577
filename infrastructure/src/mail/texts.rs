//! What each message says, in Basque and in Spanish. The case's language picks one; nothing here
//! escapes anything, since `Content` renders text and HTML from these blocks.

use domain::citizen_request::{CaseOutcome, SignableKind};
use domain::values::Language;
use uuid::Uuid;

use super::document::{Block, Content};

/// What every message about an appointment names.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub language: Language,
    pub citizen_name: &'a str,
    pub request_id: Uuid,
    pub procedure: &'a str,
    /// The appointment's date and time, already written in `language`.
    pub when: String,
    pub minutes: u16,
    /// What the procedure asks the citizen to have ready, in `language`.
    pub prepare: Vec<String>,
    pub phone: &'a str,
}

/// What only one kind of message says.
#[derive(Debug, Clone)]
pub enum Details<'a> {
    Receipt {
        manage_url: String,
    },
    Rescheduled {
        previous_when: String,
        manage_url: String,
    },
    Cancelled {
        reason: &'a str,
        by_citizen: bool,
    },
    UploadLink {
        documents: Vec<String>,
        due: String,
        upload_url: String,
    },
    Reminder {
        manage_url: String,
    },
    /// The manage link again, asked for by the citizen.
    ManageLink {
        manage_url: String,
    },
    CallLink {
        join_url: String,
    },
    Summary {
        outcome: CaseOutcome,
        notes: &'a str,
        registry_entry: Option<&'a str>,
    },
    SignCode {
        code: String,
        expires: String,
        sign_url: String,
        kind: SignableKind,
        addressee: &'a str,
    },
    RegistryReceipt {
        number: u64,
        registered: String,
        kind: SignableKind,
        addressee: &'a str,
        sha256: &'a str,
    },
}

pub(super) fn pick(language: Language, eu: &str, es: &str) -> String {
    match language {
        Language::Eu => eu.to_string(),
        Language::Es => es.to_string(),
    }
}

pub fn content(facts: &Facts, details: &Details) -> Content {
    let l = facts.language;
    let t = |eu: &str, es: &str| pick(l, eu, es);
    let number = (
        t("Eskaera-zenbakia", "Número de solicitud"),
        facts.request_id.to_string(),
    );
    let procedure = (t("Izapidea", "Trámite"), facts.procedure.to_string());
    let when = (t("Eguna eta ordua", "Fecha y hora"), facts.when.clone());
    let length = (
        t("Iraupena", "Duración"),
        match l {
            Language::Eu => format!("{} minutu", facts.minutes),
            Language::Es => format!("{} minutos", facts.minutes),
        },
    );
    let manage = |url: &str| Block::Link {
        text: t(
            "Hitzordua aldatu edo bertan behera utzi",
            "Cambiar o cancelar la cita",
        ),
        url: url.to_string(),
    };
    let phone = Block::Paragraph(match l {
        Language::Eu => format!("{} telefonora ere dei dezakezu.", facts.phone),
        Language::Es => format!("También puede llamar al {}.", facts.phone),
    });
    let preparation = || {
        let mut items = facts.prepare.clone();
        items.push(t(
            "Eduki eskura zure NANa, AIZa edo pasaportea.",
            "Tenga a mano su DNI, NIE o pasaporte.",
        ));
        items.push(t(
            "Erabili kamera eta mikrofonoa dituen gailu bat, leku lasai batean.",
            "Use un dispositivo con cámara y micrófono, en un lugar tranquilo.",
        ));
        vec![
            Block::Paragraph(t("Nola prestatu:", "Cómo prepararse:")),
            Block::List(items),
        ]
    };
    let (subject, mut blocks) = match details {
        Details::Receipt { manage_url } => {
            let mut blocks = vec![
                Block::Paragraph(t(
                    "Bideodei bidezko hitzordua erreserbatu duzu Gasteizko Udalarekin.",
                    "Ha reservado una cita por videollamada con el Ayuntamiento de Vitoria-Gasteiz.",
                )),
                Block::Fields(vec![number, procedure, when, length]),
            ];
            blocks.extend(preparation());
            blocks.push(manage(manage_url));
            blocks.push(phone);
            blocks.push(Block::Paragraph(t(
                "Erantsitako egutegi-fitxategiarekin hitzordua zure egutegian gorde dezakezu.",
                "Con el archivo de calendario adjunto puede guardar la cita en su agenda.",
            )));
            (
                match l {
                    Language::Eu => {
                        format!("Hitzordu-egiaztagiria: {}, {}", facts.procedure, facts.when)
                    }
                    Language::Es => {
                        format!("Justificante de cita: {}, {}", facts.procedure, facts.when)
                    }
                },
                blocks,
            )
        }
        Details::Rescheduled {
            previous_when,
            manage_url,
        } => (
            match l {
                Language::Eu => format!("Hitzordua aldatu da: {}, {}", facts.procedure, facts.when),
                Language::Es => format!("Su cita ha cambiado: {}, {}", facts.procedure, facts.when),
            },
            vec![
                Block::Paragraph(t(
                    "Zure hitzordua beste egun edo ordu batera aldatu da.",
                    "Su cita se ha trasladado a otra fecha u hora.",
                )),
                Block::Fields(vec![
                    number,
                    procedure,
                    (
                        t("Eguna eta ordu berria", "Nueva fecha y hora"),
                        facts.when.clone(),
                    ),
                    (
                        t("Aurreko eguna eta ordua", "Fecha y hora anterior"),
                        previous_when.clone(),
                    ),
                    length,
                ]),
                Block::Paragraph(t(
                    "Erantsitako egutegi-fitxategiak zure egutegiko hitzordua eguneratzen du.",
                    "El archivo de calendario adjunto actualiza la cita en su agenda.",
                )),
                manage(manage_url),
                phone,
            ],
        ),
        Details::Cancelled { reason, by_citizen } => {
            let mut fields = vec![number, procedure, when];
            if !reason.trim().is_empty() {
                fields.push((t("Arrazoia", "Motivo"), reason.to_string()));
            }
            (
                match l {
                    Language::Eu => format!(
                        "Hitzordua bertan behera geratu da: {}, {}",
                        facts.procedure, facts.when
                    ),
                    Language::Es => format!("Cita cancelada: {}, {}", facts.procedure, facts.when),
                },
                vec![
                    Block::Paragraph(if *by_citizen {
                        t(
                            "Zuk eskatuta, hitzordu hau bertan behera utzi da.",
                            "A petición suya, esta cita ha sido cancelada.",
                        )
                    } else {
                        t(
                            "Udalak hitzordu hau bertan behera utzi du.",
                            "El Ayuntamiento ha cancelado esta cita.",
                        )
                    }),
                    Block::Fields(fields),
                    Block::Paragraph(match l {
                        Language::Eu => format!(
                            "Beste hitzordu bat eska dezakezu webgunean edo {} telefonoan.",
                            facts.phone
                        ),
                        Language::Es => {
                            format!("Puede pedir otra cita en la web o en el {}.", facts.phone)
                        }
                    }),
                ],
            )
        }
        Details::UploadLink {
            documents,
            due,
            upload_url,
        } => (
            match l {
                Language::Eu => format!("Dokumentuak behar ditugu: {}", facts.procedure),
                Language::Es => format!("Necesitamos documentos: {}", facts.procedure),
            },
            vec![
                Block::Paragraph(t(
                    "Hitzordua prestatzeko, igo dokumentu hauek zure gune pribatura:",
                    "Para preparar su cita, suba estos documentos a su espacio privado:",
                )),
                Block::List(documents.clone()),
                Block::Fields(vec![
                    number,
                    procedure,
                    when,
                    (t("Epea", "Plazo"), due.clone()),
                ]),
                Block::Link {
                    text: t("Dokumentuak igo", "Subir documentos"),
                    url: upload_url.clone(),
                },
                Block::Paragraph(t(
                    "Esteka pertsonala da: ez partekatu inorekin.",
                    "El enlace es personal: no lo comparta con nadie.",
                )),
            ],
        ),
        Details::Reminder { manage_url } => {
            let mut blocks = vec![
                Block::Paragraph(t(
                    "Bihar duzu bideodei bidezko hitzordua Gasteizko Udalarekin.",
                    "Mañana tiene su cita por videollamada con el Ayuntamiento de Vitoria-Gasteiz.",
                )),
                Block::Fields(vec![number, procedure, when, length]),
            ];
            blocks.extend(preparation());
            blocks.push(Block::Paragraph(t(
                "Hitzordua hasi baino lehentxeago bideodeirako esteka bidaliko dizugu.",
                "Poco antes de la cita le enviaremos el enlace a la videollamada.",
            )));
            blocks.push(manage(manage_url));
            (
                match l {
                    Language::Eu => format!("Gogorarazpena: bihar duzu hitzordua, {}", facts.when),
                    Language::Es => format!("Recordatorio: mañana tiene su cita, {}", facts.when),
                },
                blocks,
            )
        }
        Details::ManageLink { manage_url } => (
            match l {
                Language::Eu => format!("Zure hitzordua kudeatzeko esteka: {}", facts.when),
                Language::Es => format!("Enlace para gestionar su cita: {}", facts.when),
            },
            vec![
                Block::Paragraph(t(
                    "Zure hitzordua kudeatzeko esteka berriro bidaltzeko eskatu da. Hona hemen:",
                    "Se ha pedido que le enviemos de nuevo el enlace para gestionar su cita. Aquí lo tiene:",
                )),
                Block::Fields(vec![number, procedure, when, length]),
                manage(manage_url),
                Block::Paragraph(t(
                    "Zuk eskatu ez baduzu, ez egin ezer: esteka helbide honetara bakarrik bidali dugu.",
                    "Si no lo ha pedido usted, no tiene que hacer nada: el enlace solo se ha enviado a esta dirección.",
                )),
            ],
        ),
        Details::CallLink { join_url } => (
            match l {
                Language::Eu => format!("Bideodeirako esteka: {}", facts.when),
                Language::Es => format!("Enlace a su videollamada: {}", facts.when),
            },
            vec![
                Block::Paragraph(t(
                    "Zure hitzordua laster hasiko da. Sartu bideodeira esteka honetatik:",
                    "Su cita empezará pronto. Entre en la videollamada con este enlace:",
                )),
                Block::Link {
                    text: t("Bideodeian sartu", "Entrar en la videollamada"),
                    url: join_url.clone(),
                },
                Block::Fields(vec![number, procedure, when]),
                Block::Paragraph(t(
                    "Eduki eskura zure identitate-agiria. Esteka pertsonala da: ez partekatu inorekin.",
                    "Tenga a mano su documento de identidad. El enlace es personal: no lo comparta con nadie.",
                )),
            ],
        ),
        Details::Summary {
            outcome,
            notes,
            registry_entry,
        } => {
            let mut fields = vec![number, procedure, when];
            if let Some(entry) = registry_entry {
                fields.push((
                    t("Erregistro-zenbakia", "Número de registro"),
                    entry.to_string(),
                ));
            }
            let mut blocks = vec![
                Block::Paragraph(match outcome {
                    CaseOutcome::Resolved => {
                        t("Zure izapidea egin da.", "Su trámite se ha realizado.")
                    }
                    CaseOutcome::Referred => t(
                        "Zure eskaera beste zerbitzu batera bideratu da.",
                        "Su solicitud se ha derivado a otro servicio.",
                    ),
                    CaseOutcome::Withdrawn => t(
                        "Zure eskaeran atzera egin duzu.",
                        "Ha desistido de su solicitud.",
                    ),
                    CaseOutcome::Abandoned => t(
                        "Ez zinen hitzordura etorri, eta espedientea itxi egin da.",
                        "No acudió a la cita y el expediente se ha cerrado.",
                    ),
                }),
                Block::Fields(fields),
            ];
            if !notes.trim().is_empty() {
                blocks.push(Block::Paragraph(t(
                    "Langilearen oharrak:",
                    "Notas del personal:",
                )));
                blocks.push(Block::Paragraph(notes.to_string()));
            }
            (
                match l {
                    Language::Eu => format!("Zure eskaeraren laburpena: {}", facts.procedure),
                    Language::Es => format!("Resumen de su solicitud: {}", facts.procedure),
                },
                blocks,
            )
        }
        Details::SignCode { .. } | Details::RegistryReceipt { .. } => {
            super::texts_signing::content(facts, details, number, procedure)
        }
    };
    blocks.push(Block::Paragraph(t(
        "Mezu hau automatikoki bidali da; ez erantzun, mesedez.",
        "Este mensaje se ha enviado automáticamente; por favor, no responda.",
    )));
    Content {
        subject,
        greeting: match l {
            Language::Eu => format!("Kaixo, {}:", facts.citizen_name),
            Language::Es => format!("Hola, {}:", facts.citizen_name),
        },
        blocks,
        signature: t("Gasteizko Udala", "Ayuntamiento de Vitoria-Gasteiz"),
    }
}
