//! Layered configuration: built-in local defaults, then a TOML file (`ARRETA_CONFIG`, or
//! `arreta.toml` in the working directory when present), then `ARRETA_`-prefixed environment
//! variables (`ARRETA_DATABASE_URL`, `ARRETA_LISTEN`, nested keys with `__`, e.g.
//! `ARRETA_CALENDAR__ROOMS=2`).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use domain::calendar::{ClerkId, ServiceCalendar, Window};
use domain::procedure::{Bilingual, Catalogue, Procedure};
use domain::values::ProcedureCode;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: unknown time zone {0}")]
    TimeZone(String),
    #[error("configuration: opening hours of {day}: {window:?} is not HH:MM-HH:MM")]
    Window { day: &'static str, window: String },
    #[error("configuration: procedure code {0:?} is not valid")]
    ProcedureCode(String),
    #[error(
        "configuration: procedure {code} lasts {minutes} minutes, not a positive multiple of the {granularity}-minute grid"
    )]
    ProcedureLength {
        code: String,
        minutes: u16,
        granularity: u16,
    },
    #[error("configuration: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// A developer's machine: database created when missing, development keys trusted.
    Local,
    /// The council's servers: refuses anything that is only fit for development.
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub profile: Profile,
    pub listen: String,
    pub database_url: String,
    pub database_max_connections: u32,
    /// Create the database when it does not exist (local default).
    pub database_create: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    pub request_timeout_seconds: u64,
    /// `text` for people, `json` for log collectors; by default text locally, JSON in production.
    pub log_format: Option<LogFormat>,
    pub calendar: CalendarSettings,
    pub procedures: Vec<ProcedureSettings>,
    pub projections: ProjectionSettings,
    pub reconciler: ReconcilerSettings,
    pub auth: AuthSettings,
    pub rate_limits: RateLimitSettings,
    /// How long an `Idempotency-Key` is remembered.
    pub idempotency_hours: u32,
    pub audit: AuditSettings,
    pub storage: StorageSettings,
    pub mail: crate::mail::MailSettings,
    pub municipal: crate::municipal::MunicipalSettings,
    pub signing: crate::signing::SigningSettings,
    pub call: crate::calls::CallSettings,
    pub recorder: crate::calls::RecorderSettings,
    pub cors: crate::cors::CorsSettings,
    /// What anonymous web booking must get past: the proof of work and the limits per person.
    pub booking_guard: crate::booking_guard::BookingGuardSettings,
    /// How long documents, recordings and personal data are kept after a case ends.
    #[serde(default)]
    pub retention: crate::retention::RetentionSettings,
    /// The key that wraps each case's personal-data key (crypto-shredding).
    pub personal_data: crate::personal_data::PersonalDataSettings,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// The council's sealing key for daily anchors and signature evidence: an Ed25519 private
    /// key, PKCS#8 PEM (v1 as Arreta writes it, or v2). Required in production; the local profile
    /// generates one in `auth.data_dir` when absent.
    pub sealing_key_file: Option<PathBuf>,
    /// The public keys (SPKI PEM files) of the sealing keys rotated out: they seal nothing more
    /// but still verify what they sealed, and are published with the current one as a JWKS.
    #[serde(default)]
    pub previous_sealing_public_keys: Vec<PathBuf>,
}

/// Where recordings and documents are kept (see `infrastructure::object_store`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// `filesystem` (local default: WORM NOT enforced, refused by the production profile) or
    /// `s3` (MinIO or any S3 server with Object Lock).
    pub backend: StorageBackend,
    /// The filesystem store's directory; `auth.data_dir`/objects when absent.
    pub filesystem_root: Option<PathBuf>,
    /// The S3 server, `http(s)://host:port`.
    pub endpoint: String,
    pub region: String,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub recordings_bucket: String,
    pub documents_bucket: String,
    /// COMPLIANCE retention of every recording and the recordings bucket's default rule, in
    /// days: at least 1461 (four years).
    pub recordings_retention_days: u32,
    /// Retention of a document when its procedure does not say.
    pub documents_retention_days: u32,
    /// Bytes per part of an upload (and the most a put holds in memory): 5 MiB to 5 GiB.
    pub part_size_bytes: u64,
    /// Longest wait for one request to the S3 server before it counts as unavailable.
    pub request_timeout_seconds: u64,
    /// Lifetime of a presigned download URL (at most 3600).
    pub presigned_url_seconds: u64,
    /// Largest document a citizen or clerk may upload, in bytes (50 MiB by default).
    pub max_document_bytes: u64,
    /// Longest a document upload may take, in seconds (instead of `request_timeout_seconds`,
    /// which is too short for a large file on a slow line).
    pub upload_timeout_seconds: u64,
    /// Longest an upload may go without a byte arriving: a client that announces a large body
    /// and stalls does not hold the upload for `upload_timeout_seconds`.
    #[serde(default = "default_upload_idle_seconds")]
    pub upload_idle_seconds: u64,
}

fn default_upload_idle_seconds() -> u64 {
    30
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageBackend {
    Filesystem,
    S3,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            backend: StorageBackend::Filesystem,
            filesystem_root: None,
            endpoint: "http://127.0.0.1:9000".into(),
            region: "us-east-1".into(),
            access_key: None,
            secret_key: None,
            recordings_bucket: "recordings".into(),
            documents_bucket: "documents".into(),
            recordings_retention_days: crate::object_store::MIN_RECORDINGS_RETENTION_DAYS,
            documents_retention_days: 1461,
            part_size_bytes: 16 * 1024 * 1024,
            request_timeout_seconds: 60,
            presigned_url_seconds: 300,
            max_document_bytes: 50 * 1024 * 1024,
            upload_timeout_seconds: 900,
            upload_idle_seconds: default_upload_idle_seconds(),
        }
    }
}

impl StorageSettings {
    pub fn filesystem_root(&self, data_dir: &std::path::Path) -> PathBuf {
        self.filesystem_root
            .clone()
            .unwrap_or_else(|| data_dir.join("objects"))
    }

    pub fn bucket_policy(&self) -> crate::object_store::BucketPolicy {
        crate::object_store::BucketPolicy {
            recordings_retention_days: self.recordings_retention_days,
            documents_retention_days: self.documents_retention_days,
            short_documents_lock_seconds: None,
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let minimum = crate::object_store::MIN_RECORDINGS_RETENTION_DAYS;
        if self.recordings_retention_days < minimum {
            return Err(ConfigError::Invalid(format!(
                "storage.recordings_retention_days is at least {minimum} (four years), not {}",
                self.recordings_retention_days
            )));
        }
        if self.documents_retention_days == 0 {
            return Err(ConfigError::Invalid(
                "storage.documents_retention_days must be positive".into(),
            ));
        }
        let parts = crate::object_store::s3::MIN_PART_SIZE..=crate::object_store::s3::MAX_PART_SIZE;
        if !parts.contains(&self.part_size_bytes) {
            return Err(ConfigError::Invalid(format!(
                "storage.part_size_bytes is between {} and {} bytes",
                parts.start(),
                parts.end()
            )));
        }
        if self.request_timeout_seconds == 0 {
            return Err(ConfigError::Invalid(
                "storage.request_timeout_seconds must be positive".into(),
            ));
        }
        if !(1..=crate::object_store::s3::MAX_PRESIGNED_SECONDS)
            .contains(&self.presigned_url_seconds)
        {
            return Err(ConfigError::Invalid(
                "storage.presigned_url_seconds is between 1 and 3600".into(),
            ));
        }
        if self.max_document_bytes == 0
            || self.upload_timeout_seconds == 0
            || self.upload_idle_seconds == 0
        {
            return Err(ConfigError::Invalid(
                "storage.max_document_bytes, storage.upload_timeout_seconds and storage.upload_idle_seconds must be positive"
                    .into(),
            ));
        }
        if self.access_key.is_some() != self.secret_key.is_some() {
            return Err(ConfigError::Invalid(
                "storage.access_key and storage.secret_key go together".into(),
            ));
        }
        for (field, name) in [
            ("recordings_bucket", &self.recordings_bucket),
            ("documents_bucket", &self.documents_bucket),
        ] {
            let valid = (3..=63).contains(&name.len())
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
            if !valid {
                return Err(ConfigError::Invalid(format!(
                    "storage.{field} {name:?} is not an S3 bucket name (3-63 of a-z, 0-9, '-', '.')"
                )));
            }
        }
        if self.recordings_bucket == self.documents_bucket {
            return Err(ConfigError::Invalid(
                "storage.recordings_bucket and storage.documents_bucket must differ".into(),
            ));
        }
        Ok(())
    }
}

/// Who may call: staff tokens from the council's identity provider, citizens' capability links.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The `iss` staff tokens must carry.
    pub issuer: String,
    /// The `aud` staff tokens must carry.
    pub audience: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds (at most 300).
    pub leeway_seconds: u64,
    /// The identity provider's public keys, PEM files (Ed25519, P-256 or RSA).
    pub public_keys: Vec<PathBuf>,
    /// Or its published keys as a JWKS document saved to a file.
    pub jwks_file: Option<PathBuf>,
    /// Longest bearer token accepted, in bytes.
    pub max_token_bytes: usize,
    /// Secret that signs citizens' capability links (base64, at least 32 bytes). Shared by all
    /// api replicas. In the local profile it is generated in `data_dir` when absent.
    pub capability_secret: Option<String>,
    pub link_minutes: LinkLifetimes,
    /// Where the local profile keeps its development keys (never committed).
    pub data_dir: PathBuf,
}

/// How long each kind of capability link works, in minutes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkLifetimes {
    /// The manage link works at least this long from when it is sent...
    pub manage: i64,
    /// ...and in any case until this long after the appointment's start, so a booking made 60
    /// days ahead can be managed until the day, and its outcome and registry receipt read after.
    #[serde(default = "default_manage_after_appointment")]
    pub manage_after_appointment: i64,
    pub upload: i64,
    pub join: i64,
    pub sign: i64,
}

fn default_manage_after_appointment() -> i64 {
    60 * 24 * 30
}

/// Requests per minute per client address, for anonymous callers and for citizens' links;
/// staff are not limited here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub public_per_minute: u32,
    pub citizen_per_minute: u32,
    /// Requests allowed at once above the steady rate.
    pub burst: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettings {
    pub timezone: String,
    pub rooms: u8,
    pub granularity_minutes: u16,
    pub min_lead_minutes: u32,
    pub horizon_days: u32,
    pub opening_hours: OpeningHours,
    pub holidays: Vec<NaiveDate>,
    pub clerks: Vec<String>,
}

/// Opening windows per weekday as `HH:MM-HH:MM` (the close may be `24:00`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    pub monday: Vec<String>,
    pub tuesday: Vec<String>,
    pub wednesday: Vec<String>,
    pub thursday: Vec<String>,
    pub friday: Vec<String>,
    pub saturday: Vec<String>,
    pub sunday: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureSettings {
    pub code: String,
    pub name_eu: String,
    pub name_es: String,
    pub minutes: u16,
    #[serde(default)]
    pub documents: Vec<BilingualSettings>,
    #[serde(default)]
    pub signature_required: bool,
    /// Days its documents are kept (COMPLIANCE); `storage.documents_retention_days` when absent.
    #[serde(default)]
    pub document_retention_days: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BilingualSettings {
    pub eu: String,
    pub es: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSettings {
    /// Events applied per transaction.
    pub batch_size: i64,
    /// Fallback poll when no notification arrives, in milliseconds.
    pub poll_interval_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcilerSettings {
    /// A reservation without its booking is released after this long.
    pub grace_seconds: u64,
    pub interval_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        let morning = || vec!["08:30-14:00".to_string()];
        Self {
            profile: Profile::Local,
            listen: "127.0.0.1:8080".into(),
            database_url: "postgres://postgres@127.0.0.1:5432/arreta".into(),
            database_max_connections: 20,
            database_create: true,
            body_limit_bytes: 64 * 1024,
            request_timeout_seconds: 30,
            log_format: None,
            calendar: CalendarSettings {
                timezone: "Europe/Madrid".into(),
                rooms: 2,
                granularity_minutes: 15,
                min_lead_minutes: 60,
                horizon_days: 60,
                opening_hours: OpeningHours {
                    monday: morning(),
                    tuesday: morning(),
                    wednesday: morning(),
                    thursday: vec!["08:30-14:00".into(), "16:00-19:00".into()],
                    friday: morning(),
                    saturday: vec![],
                    sunday: vec![],
                },
                holidays: default_holidays(),
                clerks: (1..=20).map(|n| format!("clerk-{n:02}")).collect(),
            },
            procedures: default_procedures(),
            projections: ProjectionSettings {
                batch_size: 500,
                poll_interval_ms: 250,
            },
            reconciler: ReconcilerSettings {
                grace_seconds: 120,
                interval_seconds: 30,
            },
            auth: AuthSettings {
                issuer: "arreta-development".into(),
                audience: "arreta".into(),
                leeway_seconds: 60,
                public_keys: vec![],
                jwks_file: None,
                max_token_bytes: 8192,
                capability_secret: None,
                link_minutes: LinkLifetimes {
                    manage: 60 * 24 * 30,
                    manage_after_appointment: default_manage_after_appointment(),
                    upload: 60 * 24 * 14,
                    join: 60 * 12,
                    sign: 30,
                },
                data_dir: PathBuf::from("var"),
            },
            rate_limits: RateLimitSettings {
                public_per_minute: 120,
                citizen_per_minute: 60,
                burst: 20,
            },
            idempotency_hours: 24,
            audit: AuditSettings::default(),
            storage: StorageSettings::default(),
            mail: crate::mail::MailSettings::default(),
            municipal: crate::municipal::MunicipalSettings::default(),
            signing: crate::signing::SigningSettings::default(),
            call: crate::calls::CallSettings::default(),
            recorder: crate::calls::RecorderSettings::default(),
            cors: crate::cors::CorsSettings::default(),
            booking_guard: crate::booking_guard::BookingGuardSettings::default(),
            retention: crate::retention::RetentionSettings::default(),
            personal_data: crate::personal_data::PersonalDataSettings::default(),
        }
    }
}

/// Public holidays in Vitoria-Gasteiz (national, Basque Country and local). The council keeps
/// this list current in its configuration file; these are the defaults for 2026 and 2027.
fn default_holidays() -> Vec<NaiveDate> {
    [
        (2026, 1, 1),
        (2026, 1, 6),
        (2026, 3, 19),
        (2026, 4, 2),
        (2026, 4, 3),
        (2026, 4, 6),
        (2026, 4, 28),
        (2026, 5, 1),
        (2026, 7, 25),
        (2026, 8, 5),
        (2026, 8, 15),
        (2026, 10, 12),
        (2026, 12, 8),
        (2026, 12, 25),
        (2027, 1, 1),
        (2027, 1, 6),
        (2027, 3, 19),
        (2027, 3, 25),
        (2027, 3, 26),
        (2027, 3, 29),
        (2027, 4, 28),
        (2027, 5, 1),
        (2027, 8, 5),
        (2027, 8, 16),
        (2027, 10, 12),
        (2027, 11, 1),
        (2027, 12, 6),
        (2027, 12, 8),
    ]
    .into_iter()
    .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
    .collect()
}

fn default_procedures() -> Vec<ProcedureSettings> {
    let doc = |eu: &str, es: &str| BilingualSettings {
        eu: eu.into(),
        es: es.into(),
    };
    let identity = || doc("NANa, AIZ edo pasaportea", "DNI, NIE o pasaporte");
    vec![
        ProcedureSettings {
            code: "PADRON-ALTA".into(),
            name_eu: "Erroldan alta ematea".into(),
            name_es: "Alta en el Padrón municipal".into(),
            minutes: 30,
            documents: vec![
                identity(),
                doc(
                    "Etxebizitza okupatzeko titulua (alokairu-kontratua, eskritura...)",
                    "Título de ocupación de la vivienda (contrato de alquiler, escritura...)",
                ),
            ],
            signature_required: true,
            document_retention_days: None,
        },
        ProcedureSettings {
            code: "PADRON-CERT".into(),
            name_eu: "Errolda-ziurtagiria".into(),
            name_es: "Certificado de empadronamiento".into(),
            minutes: 15,
            documents: vec![],
            signature_required: false,
            document_retention_days: None,
        },
        ProcedureSettings {
            code: "QUEJA".into(),
            name_eu: "Kexak eta iradokizunak".into(),
            name_es: "Quejas y sugerencias".into(),
            minutes: 30,
            documents: vec![],
            signature_required: true,
            document_retention_days: None,
        },
        ProcedureSettings {
            code: "AYUDA-EMERGENCIA".into(),
            name_eu: "Gizarte-larrialdietarako laguntzak".into(),
            name_es: "Ayudas de emergencia social".into(),
            minutes: 45,
            documents: vec![
                identity(),
                doc("Diru-sarreren egiaztagiria", "Justificante de ingresos"),
                doc(
                    "Banku-kontuaren titulartasun-ziurtagiria",
                    "Certificado de titularidad de la cuenta bancaria",
                ),
            ],
            signature_required: true,
            document_retention_days: None,
        },
        ProcedureSettings {
            code: "TRIBUTOS".into(),
            name_eu: "Zergak eta tasak: informazioa eta erreklamazioak".into(),
            name_es: "Tributos y tasas: información y reclamaciones".into(),
            minutes: 30,
            documents: vec![doc("Ordainagiria", "Recibo")],
            signature_required: true,
            document_retention_days: None,
        },
        ProcedureSettings {
            code: "OBRA-MENOR".into(),
            name_eu: "Obra txikien lizentzia".into(),
            name_es: "Licencia de obra menor".into(),
            minutes: 30,
            documents: vec![
                doc("Obraren aurrekontua", "Presupuesto de la obra"),
                doc("Planoa edo krokisa", "Plano o croquis"),
            ],
            signature_required: true,
            document_retention_days: None,
        },
    ]
}

const TOP_LEVEL_KEYS: [&str; 26] = [
    "profile",
    "listen",
    "database_url",
    "database_max_connections",
    "database_create",
    "body_limit_bytes",
    "request_timeout_seconds",
    "calendar",
    "procedures",
    "projections",
    "reconciler",
    "log_format",
    "auth",
    "rate_limits",
    "idempotency_hours",
    "audit",
    "storage",
    "mail",
    "municipal",
    "signing",
    "call",
    "recorder",
    "cors",
    "booking_guard",
    "retention",
    "personal_data",
];

impl Settings {
    /// The browser origins allowed to call the api and the recorder: `cors.allowed_origins`,
    /// or the origin of `mail.public_url` (where Arreta's own pages are) when none are set.
    pub fn cors_origins(&self) -> Vec<String> {
        if self.cors.allowed_origins.is_empty() {
            crate::cors::origin_of(&self.mail.public_url)
                .into_iter()
                .collect()
        } else {
            self.cors.allowed_origins.clone()
        }
    }

    /// Defaults, then the file, then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os("ARRETA_CONFIG")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("arreta.toml")).filter(|p| p.exists()));
        Self::load_from(file)
    }

    pub fn load_from(file: Option<PathBuf>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Invalid(format!(
                    "the configuration file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        // Only keys the settings know: other ARRETA_ variables (the config file's path, test
        // harness settings) are not configuration of the service.
        let env = Env::prefixed("ARRETA_")
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                let top = key.split("__").next().unwrap_or_default();
                TOP_LEVEL_KEYS.contains(&top)
            })
            .split("__");
        let settings: Settings = figment.merge(env).extract().map_err(Box::new)?;
        settings.service_calendar()?;
        settings.catalogue()?;
        settings.storage.validate()?;
        let procedures: Vec<&str> = settings
            .procedures
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        settings
            .retention
            .validate(settings.profile == Profile::Production, &procedures)
            .map_err(ConfigError::Invalid)?;
        if settings.auth.leeway_seconds > 300 {
            return Err(ConfigError::Invalid(
                "auth.leeway_seconds is at most 300".into(),
            ));
        }
        settings
            .mail
            .validate(settings.profile == Profile::Production)
            .map_err(ConfigError::Invalid)?;
        settings
            .municipal
            .validate(settings.profile == Profile::Production)
            .map_err(ConfigError::Invalid)?;
        settings.signing.validate().map_err(ConfigError::Invalid)?;
        settings
            .booking_guard
            .validate()
            .map_err(ConfigError::Invalid)?;
        settings
            .call
            .validate(settings.profile == Profile::Production)
            .map_err(ConfigError::Invalid)?;
        settings
            .recorder
            .validate(settings.call.turn.as_ref())
            .map_err(ConfigError::Invalid)?;
        for origin in &settings.cors.allowed_origins {
            if crate::cors::origin_of(origin).as_deref() != Some(origin.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "cors.allowed_origins holds origins (scheme://host[:port]), not {origin:?}"
                )));
            }
        }
        Ok(settings)
    }

    pub fn service_calendar(&self) -> Result<ServiceCalendar, ConfigError> {
        let c = &self.calendar;
        let timezone = c
            .timezone
            .parse()
            .map_err(|_| ConfigError::TimeZone(c.timezone.clone()))?;
        if c.rooms == 0 || c.granularity_minutes == 0 {
            return Err(ConfigError::Invalid(
                "rooms and granularity must be positive".into(),
            ));
        }
        let h = &c.opening_hours;
        let days: [(&'static str, &Vec<String>); 7] = [
            ("monday", &h.monday),
            ("tuesday", &h.tuesday),
            ("wednesday", &h.wednesday),
            ("thursday", &h.thursday),
            ("friday", &h.friday),
            ("saturday", &h.saturday),
            ("sunday", &h.sunday),
        ];
        let mut weekly: [Vec<Window>; 7] = Default::default();
        for (i, (day, windows)) in days.into_iter().enumerate() {
            for window in windows {
                weekly[i].push(Window::parse(window).ok_or_else(|| ConfigError::Window {
                    day,
                    window: window.clone(),
                })?);
            }
        }
        Ok(ServiceCalendar {
            timezone,
            rooms: c.rooms,
            granularity_minutes: c.granularity_minutes,
            min_lead_minutes: c.min_lead_minutes,
            horizon_days: c.horizon_days,
            weekly,
            holidays: c.holidays.iter().copied().collect::<BTreeSet<_>>(),
            clerks: c.clerks.iter().cloned().map(ClerkId).collect(),
        })
    }

    pub fn catalogue(&self) -> Result<Catalogue, ConfigError> {
        let granularity = self.calendar.granularity_minutes.max(1);
        let mut procedures = Vec::new();
        for p in &self.procedures {
            let code = ProcedureCode::parse(&p.code)
                .map_err(|_| ConfigError::ProcedureCode(p.code.clone()))?;
            if p.minutes == 0 || p.minutes % granularity != 0 {
                return Err(ConfigError::ProcedureLength {
                    code: p.code.clone(),
                    minutes: p.minutes,
                    granularity,
                });
            }
            if p.document_retention_days == Some(0) {
                return Err(ConfigError::Invalid(format!(
                    "procedure {}: document_retention_days must be positive",
                    p.code
                )));
            }
            procedures.push(Procedure {
                document_retention_days: p.document_retention_days,
                code,
                name: Bilingual::new(&p.name_eu, &p.name_es),
                minutes: p.minutes,
                documents: p
                    .documents
                    .iter()
                    .map(|d| Bilingual::new(&d.eu, &d.es))
                    .collect(),
                signature_required: p.signature_required,
            });
        }
        Ok(Catalogue::new(procedures))
    }

    pub fn log_format(&self) -> LogFormat {
        self.log_format.unwrap_or(match self.profile {
            Profile::Local => LogFormat::Text,
            Profile::Production => LogFormat::Json,
        })
    }

    pub fn calendar_and_catalogue(
        &self,
    ) -> Result<(Arc<ServiceCalendar>, Arc<Catalogue>), ConfigError> {
        Ok((
            Arc::new(self.service_calendar()?),
            Arc::new(self.catalogue()?),
        ))
    }
}

#[cfg(test)]
// figment's `Jail` closures must return `figment::Error`, a large type we do not choose.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_describe_vitoria_gasteiz() {
        let settings = Settings::default();
        let calendar = settings.service_calendar().expect("calendar");
        assert_eq!(calendar.rooms, 2);
        assert_eq!(calendar.clerks.len(), 20);
        assert_eq!(calendar.timezone, chrono_tz::Europe::Madrid);
        let catalogue = settings.catalogue().expect("catalogue");
        assert!(
            catalogue
                .get(&ProcedureCode::parse("PADRON-ALTA").expect("code"))
                .is_some()
        );
    }

    #[test]
    fn a_procedure_off_the_grid_is_refused() {
        let mut settings = Settings::default();
        settings.procedures[0].minutes = 20;
        assert!(matches!(
            settings.catalogue(),
            Err(ConfigError::ProcedureLength { .. })
        ));
    }

    #[test]
    fn a_bad_opening_window_is_refused() {
        let mut settings = Settings::default();
        settings.calendar.opening_hours.monday = vec!["9-14".into()];
        assert!(matches!(
            settings.service_calendar(),
            Err(ConfigError::Window { day: "monday", .. })
        ));
    }

    #[test]
    fn a_file_and_the_environment_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "arreta.toml",
                "listen = \"0.0.0.0:9000\"\n[calendar]\nrooms = 3\n",
            )?;
            jail.set_env("ARRETA_DATABASE_URL", "postgres://db.example/arreta");
            jail.set_env("ARRETA_CALENDAR__HORIZON_DAYS", "30");
            jail.set_env("ARRETA_TEST_SOMETHING", "not configuration");
            let settings =
                Settings::load_from(Some("arreta.toml".into())).map_err(|e| e.to_string())?;
            assert_eq!(settings.listen, "0.0.0.0:9000");
            assert_eq!(settings.calendar.rooms, 3);
            assert_eq!(settings.calendar.horizon_days, 30);
            assert_eq!(settings.calendar.clerks.len(), 20);
            assert_eq!(settings.database_url, "postgres://db.example/arreta");
            Ok(())
        });
    }

    #[test]
    fn storage_comes_from_the_file_and_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "arreta.toml",
                "[storage]\nbackend = \"s3\"\nendpoint = \"http://minio.example:9000\"\n",
            )?;
            jail.set_env("ARRETA_STORAGE__RECORDINGS_RETENTION_DAYS", "2000");
            let settings =
                Settings::load_from(Some("arreta.toml".into())).map_err(|e| e.to_string())?;
            assert_eq!(settings.storage.backend, StorageBackend::S3);
            assert_eq!(settings.storage.endpoint, "http://minio.example:9000");
            assert_eq!(settings.storage.recordings_retention_days, 2000);
            assert_eq!(settings.storage.recordings_bucket, "recordings");
            assert_eq!(settings.storage.documents_bucket, "documents");
            Ok(())
        });
    }

    #[test]
    fn recordings_are_never_kept_less_than_four_years() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ARRETA_STORAGE__RECORDINGS_RETENTION_DAYS", "1460");
            let refused = Settings::load_from(None);
            assert!(
                matches!(&refused, Err(ConfigError::Invalid(m)) if m.contains("1461")),
                "{refused:?}"
            );
            jail.set_env("ARRETA_STORAGE__RECORDINGS_RETENTION_DAYS", "1461");
            assert!(Settings::load_from(None).is_ok());
            Ok(())
        });
    }

    #[test]
    fn an_unknown_storage_key_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("arreta.toml", "[storage]\nbackend = \"s3\"\nbuckets = 2\n")?;
            assert!(Settings::load_from(Some("arreta.toml".into())).is_err());
            jail.create_file("arreta.toml", "[storage]\nbackend = \"tape\"\n")?;
            assert!(Settings::load_from(Some("arreta.toml".into())).is_err());
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("arreta.toml", "lisen = \"0.0.0.0:9000\"\n")?;
            assert!(Settings::load_from(Some("arreta.toml".into())).is_err());
            Ok(())
        });
    }

    #[test]
    fn turn_comes_as_a_shared_secret_and_production_needs_it() {
        figment::Jail::expect_with(|jail| {
            // A static TURN password for every link holder is refused.
            jail.create_file(
                "static.toml",
                "[call]\nice_servers = [{ urls = [\"turn:turn.example:3478\"], username = \"u\", credential = \"p\" }]\n",
            )?;
            let refused = Settings::load_from(Some("static.toml".into()));
            assert!(
                matches!(&refused, Err(ConfigError::Invalid(m)) if m.contains("[call.turn]")),
                "{refused:?}"
            );
            jail.create_file(
                "turn.toml",
                "[call]\nice_servers = [{ urls = [\"stun:stun.example:3478\"] }]\n\
                 [call.turn]\nurls = [\"turns:turn.example:5349?transport=tcp\"]\nsecret = \"0123456789abcdef0123\"\nttl_seconds = 3600\n",
            )?;
            let settings =
                Settings::load_from(Some("turn.toml".into())).map_err(|e| e.to_string())?;
            let turn = settings.call.turn.as_ref().expect("turn");
            assert!(
                !format!("{turn:?}").contains("0123456789abcdef"),
                "the secret is redacted"
            );
            jail.create_file(
                "short.toml",
                "[call.turn]\nurls = [\"turn:t.example\"]\nsecret = \"short\"\nttl_seconds = 3600\n",
            )?;
            assert!(Settings::load_from(Some("short.toml".into())).is_err());
            jail.create_file(
                "recorder.toml",
                "[recorder]\nturn_server = \"turn://t.example:3478\"\n",
            )?;
            let refused = Settings::load_from(Some("recorder.toml".into()));
            assert!(
                matches!(&refused, Err(ConfigError::Invalid(m)) if m.contains("needs [call.turn]")),
                "{refused:?}"
            );
            Ok(())
        });
        let mut production = Settings::default();
        production.call.whip_url = "https://recorder.example/whip".into();
        assert!(
            production
                .call
                .validate(true)
                .is_err_and(|m| m.contains("[call.turn]"))
        );
    }

    #[test]
    fn the_production_profile_refuses_the_short_retention_setting() {
        figment::Jail::expect_with(|jail| {
            let short = "[retention.short_for_tests]\ndocuments_seconds = 2\nrecordings_seconds = 2\ncase_data_seconds = 3\ndocument_lock_seconds = 4\n";
            jail.create_file("short.toml", short)?;
            let local =
                Settings::load_from(Some("short.toml".into())).map_err(|e| e.to_string())?;
            assert!(local.retention.short_for_tests.is_some());
            jail.create_file(
                "production.toml",
                &format!("profile = \"production\"\n{short}"),
            )?;
            let refused = Settings::load_from(Some("production.toml".into()));
            assert!(
                matches!(&refused, Err(ConfigError::Invalid(m)) if m.contains("retention.short_for_tests")),
                "{refused:?}"
            );
            jail.create_file(
                "schedule.toml",
                "[retention]\ndocuments_days = 365\n[retention.procedures.QUEJA]\ncase_data_days = 3000\n",
            )?;
            let settings =
                Settings::load_from(Some("schedule.toml".into())).map_err(|e| e.to_string())?;
            assert_eq!(settings.retention.documents_days, 365);
            assert_eq!(settings.retention.recordings_days, 1461);
            jail.create_file(
                "typo.toml",
                "[retention.procedures.QUEJAS]\ncase_data_days = 3000\n",
            )?;
            assert!(Settings::load_from(Some("typo.toml".into())).is_err());
            Ok(())
        });
    }

    #[test]
    fn cors_allows_the_pages_origin_unless_told_otherwise() {
        let settings = Settings::default();
        assert_eq!(
            settings.cors_origins(),
            vec!["http://127.0.0.1:8080".to_string()]
        );
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "cors.toml",
                "[cors]\nallowed_origins = [\"https://egoitza.vitoria-gasteiz.eus\"]\n",
            )?;
            let settings =
                Settings::load_from(Some("cors.toml".into())).map_err(|e| e.to_string())?;
            assert_eq!(
                settings.cors_origins(),
                vec!["https://egoitza.vitoria-gasteiz.eus".to_string()]
            );
            jail.create_file(
                "path.toml",
                "[cors]\nallowed_origins = [\"https://egoitza.example/app\"]\n",
            )?;
            assert!(Settings::load_from(Some("path.toml".into())).is_err());
            Ok(())
        });
    }
}
