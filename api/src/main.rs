//! `arreta`: the service and its operations commands.

use std::process::ExitCode;

mod cli;

use api::server;
use clap::{Parser, Subcommand};
use domain::metadata::Role;
use infrastructure::anchors::{self, SealingKeys};
use infrastructure::config::{LogFormat, Profile, Settings};
use infrastructure::tokens::DevelopmentKeys;
use infrastructure::{audit, projector};

#[derive(Parser)]
#[command(
    name = "arreta",
    version,
    about = "Citizen service by video call: the backend"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service with its projectors (local defaults when unconfigured).
    Serve,
    /// Create the database when allowed and apply migrations, then exit.
    Migrate,
    /// Mint a development staff token (local profile only), signed with the development key.
    Token {
        /// clerk, supervisor, auditor, reporting, municipal-sync, recorder or operator.
        #[arg(long)]
        role: String,
        /// The staff member's id.
        #[arg(long)]
        sub: String,
        /// Lifetime in minutes.
        #[arg(long, default_value_t = 480)]
        minutes: i64,
    },
    /// Tamper evidence.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Signatures: check a seal against a document.
    Signature {
        #[command(subcommand)]
        command: SignatureCommand,
    },
    /// The keys of the citizens' personal data: status and the wrapping key's rotation.
    PersonalData {
        #[command(subcommand)]
        command: cli::personal_data::PersonalDataCommand,
    },
    /// The retention schedule: what is due to go, and the purge.
    Retention {
        #[command(subcommand)]
        command: cli::retention::RetentionCommand,
    },
    /// The council's appointment system.
    Sync {
        #[command(subcommand)]
        command: SyncCommand,
    },
}

#[derive(Subcommand)]
enum SyncCommand {
    /// Compare with a list the municipal system exported (a JSON array of appointments, each as
    /// `POST /v1/integrations/municipal/appointments` takes it) and print the differences as
    /// JSON. Exits 2 when differences remain.
    Reconcile {
        /// The exported list.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Apply the exported state where it differs (creates, moves, cancels).
        #[arg(long)]
        fix: bool,
    },
    /// Print the path (with its token) of a clerk's or a room's iCalendar feed.
    FeedUrl {
        #[arg(long, conflicts_with = "room", required_unless_present = "room")]
        clerk: Option<String>,
        #[arg(long)]
        room: Option<i16>,
    },
}

#[derive(Subcommand)]
enum SignatureCommand {
    /// Check that the council's sealing key made `--seal` over exactly the bytes of `--claims`
    /// (the signature's `claims` text) and that `--document` is the document they name. Prints
    /// the verdict as JSON; exits 0 when it holds, 2 when it does not.
    Verify {
        /// The detached JWS (`header..signature`), in a file.
        #[arg(long)]
        seal: std::path::PathBuf,
        /// The claims exactly as sealed, in a file (no newline added).
        #[arg(long)]
        claims: std::path::PathBuf,
        /// The signed document.
        #[arg(long)]
        document: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Seal the hash-chain heads of every full day (UTC) not anchored yet, or of one day.
    Anchor {
        /// One day, YYYY-MM-DD (UTC), today included.
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
    },
    /// Recompute hash chains and name the first event that does not match in each broken one.
    Verify {
        /// One case (its request id).
        #[arg(long, conflicts_with = "all")]
        case: Option<uuid::Uuid>,
        /// Every aggregate (the default).
        #[arg(long)]
        all: bool,
    },
    /// Write a new sealing key (PKCS#8 v1, mode 0600, never over a file) and the current key's
    /// public part beside it, and print the `[audit]` settings that make it current while the
    /// old key still verifies. Without `--out`, the local profile's development key is rotated in
    /// place.
    RotateSealingKey {
        /// Where the new private key goes; must not exist.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Print the public sealing keys as a JWKS (as `/.well-known/arreta-seal-keys.json`).
    SealKeys,
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// Rebuild one read model (or all) from position zero.
    Rebuild {
        /// `case_summary`, `agenda`, `report` or `retention`; all when absent.
        name: Option<String>,
    },
    /// Where each projector stands in the global log.
    Status,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("arreta: {error}");
            return ExitCode::from(2);
        }
    };
    init_logging(settings.log_format());
    let result = match cli.command {
        Command::Serve => server::serve(settings).await.map_err(|e| e.to_string()),
        Command::Migrate => server::connect(&settings)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Command::Projections { command } => projections(settings, command).await,
        Command::PersonalData { command } => cli::personal_data::run(settings, command).await,
        Command::Retention { command } => match cli::retention::run(settings, command).await {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(2),
            Err(error) => Err(error),
        },
        Command::Sync {
            command: SyncCommand::FeedUrl { clerk, room },
        } => feed_url(&settings, clerk, room),
        Command::Sync {
            command: SyncCommand::Reconcile { file, fix },
        } => match reconcile(settings, &file, fix).await {
            Ok(0) => Ok(()),
            Ok(_) => return ExitCode::from(2),
            Err(error) => Err(error),
        },
        Command::Signature {
            command:
                SignatureCommand::Verify {
                    seal,
                    claims,
                    document,
                },
        } => match verify_seal(&settings, &seal, &claims, &document) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(2),
            Err(error) => Err(error),
        },
        Command::Audit {
            command: AuditCommand::Verify { case, .. },
        } => audit(&settings, case).await,
        Command::Audit {
            command: AuditCommand::Anchor { day },
        } => anchor(&settings, day).await,
        Command::Audit {
            command: AuditCommand::RotateSealingKey { out },
        } => cli::sealing::rotate(&settings, out.as_deref()).map_err(|e| e.to_string()),
        Command::Audit {
            command: AuditCommand::SealKeys,
        } => cli::sealing::print_keys(&settings).map_err(|e| e.to_string()),
        Command::Token { role, sub, minutes } => token(&settings, &role, &sub, minutes),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("arreta: {error}");
            ExitCode::FAILURE
        }
    }
}

fn token(settings: &Settings, role: &str, sub: &str, minutes: i64) -> Result<(), String> {
    if settings.profile == Profile::Production {
        return Err(
            "the production profile has no development key: tokens come from the identity provider"
                .into(),
        );
    }
    let role = match Role::parse(role) {
        Some(Role::Citizen | Role::System) | None => {
            return Err(format!(
                "unknown staff role {role:?}: clerk, supervisor, auditor, reporting, municipal-sync, recorder or operator"
            ));
        }
        Some(role) => role,
    };
    let keys =
        DevelopmentKeys::load_or_create(&settings.auth.data_dir).map_err(|e| e.to_string())?;
    let auth = &settings.auth;
    println!(
        "{}",
        keys.mint(
            sub,
            &[role],
            &auth.issuer,
            &auth.audience,
            chrono::Duration::minutes(minutes)
        )
    );
    Ok(())
}

/// Whether the seal holds; the verdict is printed as JSON.
fn verify_seal(
    settings: &Settings,
    seal: &std::path::Path,
    claims: &std::path::Path,
    document: &std::path::Path,
) -> Result<bool, String> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let key = SealingKeys::from_settings(settings).map_err(|e| e.to_string())?;
    let seal = String::from_utf8(read(seal)?).map_err(|_| "the seal is not text".to_string())?;
    let verdict =
        infrastructure::signing::verify(&key, seal.trim(), &read(claims)?, &read(document)?);
    let report = serde_json::json!({
        "valid": verdict.is_ok(),
        "reason": verdict.as_ref().err().map(|e| e.code()),
        "detail": verdict.as_ref().err().map(|e| e.to_string()),
        "key_id": infrastructure::sealing::detached_key_id(&seal)
            .unwrap_or_else(|| key.current().key_id().to_string()),
    });
    println!("{report}");
    Ok(verdict.is_ok())
}

async fn audit(settings: &Settings, case: Option<uuid::Uuid>) -> Result<(), String> {
    let pool = server::connect(settings).await.map_err(|e| e.to_string())?;
    let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
    let breaks = match case {
        Some(id) => {
            let events = audit::stored_events(&mut conn, "CitizenRequest", &id.to_string())
                .await
                .map_err(|e| e.to_string())?;
            if events.is_empty() {
                return Err(format!("there is no request {id}"));
            }
            println!("{} events checked", events.len());
            audit::verify_chain(&events)
                .map(|finding| audit::Break {
                    aggregate_type: "CitizenRequest".into(),
                    aggregate_id: id.to_string(),
                    finding,
                })
                .into_iter()
                .collect()
        }
        None => {
            let (read, breaks) = audit::verify_all(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            println!("{read} events checked");
            breaks
        }
    };
    let mut anchor_breaks = Vec::new();
    if case.is_none() {
        let key = SealingKeys::from_settings(settings).map_err(|e| e.to_string())?;
        let (checked, found) = anchors::verify_anchors(&mut conn, &key)
            .await
            .map_err(|e| e.to_string())?;
        println!("{checked} daily anchors checked");
        anchor_breaks = found;
    }
    if breaks.is_empty() && anchor_breaks.is_empty() {
        println!("every hash chain is intact");
        return Ok(());
    }
    for b in &breaks {
        println!("{}/{}: {}", b.aggregate_type, b.aggregate_id, b.finding);
    }
    for b in &anchor_breaks {
        println!("anchor of {}: {}", b.day, b.reason);
    }
    Err(format!(
        "{} broken hash chain(s), {} broken anchor(s)",
        breaks.len(),
        anchor_breaks.len()
    ))
}

async fn anchor(settings: &Settings, day: Option<chrono::NaiveDate>) -> Result<(), String> {
    let key = SealingKeys::from_settings(settings).map_err(|e| e.to_string())?;
    let pool = server::connect(settings).await.map_err(|e| e.to_string())?;
    let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
    match day {
        Some(day) => {
            let written = anchors::anchor_day(&mut conn, day, &key)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{day}: {}",
                if written {
                    "anchored"
                } else {
                    "already anchored"
                }
            );
        }
        None => {
            let written = anchors::anchor_until_yesterday(&mut conn, &key, chrono::Utc::now())
                .await
                .map_err(|e| e.to_string())?;
            println!("{written} day(s) anchored");
        }
    }
    Ok(())
}

async fn projections(settings: Settings, command: ProjectionsCommand) -> Result<(), String> {
    let pool = server::connect(&settings)
        .await
        .map_err(|e| e.to_string())?;
    match command {
        ProjectionsCommand::Rebuild { name } => {
            let timezone = settings
                .service_calendar()
                .map_err(|e| e.to_string())?
                .timezone;
            let all = projector::all(timezone);
            let chosen: Vec<_> = match &name {
                None => all,
                Some(name) => {
                    let known = all.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
                    let found: Vec<_> = all.into_iter().filter(|p| p.name() == name).collect();
                    if found.is_empty() {
                        return Err(format!("unknown projection {name:?}; known: {known}"));
                    }
                    found
                }
            };
            let personal = infrastructure::personal_data::PersonalData::from_settings(&settings)
                .map_err(|e| e.to_string())?;
            for p in chosen {
                let started = std::time::Instant::now();
                let events = projector::rebuild(
                    &pool,
                    &personal,
                    p.as_ref(),
                    settings.projections.batch_size,
                )
                .await
                .map_err(|e| e.to_string())?;
                let seconds = started.elapsed().as_secs_f64();
                println!(
                    "{}: rebuilt from {events} events in {seconds:.3} s ({:.0} events/s)",
                    p.name(),
                    events as f64 / seconds.max(1e-9)
                );
            }
        }
        ProjectionsCommand::Status => {
            let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
            for p in infrastructure::read_models::projector_status(&mut conn)
                .await
                .map_err(|e| e.to_string())?
            {
                println!(
                    "{}: {} events applied, at transaction {} position {}, updated {}",
                    p.name, p.events_applied, p.at.transaction_id, p.at.position, p.updated_at
                );
            }
        }
    }
    Ok(())
}

/// Prints the reconciliation report; returns how many differences remain.
async fn reconcile(settings: Settings, file: &std::path::Path, fix: bool) -> Result<usize, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let bodies: Vec<api::routes::municipal::MunicipalAppointmentBody> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut export = Vec::with_capacity(bodies.len());
    for (index, body) in bodies.into_iter().enumerate() {
        let reference = body.reference.clone();
        export.push(body.parse().map_err(|e| {
            let why = match e {
                api::problem::ApiError::Invalid(fields) => {
                    let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                    format!("invalid {}", names.join(", "))
                }
                other => other.to_string(),
            };
            format!(
                "{}: appointment {index} ({reference}): {why}",
                file.display()
            )
        })?);
    }
    let pool = server::connect(&settings)
        .await
        .map_err(|e| e.to_string())?;
    let state = server::state(pool.clone(), settings).map_err(|e| e.to_string())?;
    let mut metadata = domain::metadata::EventMetadata::system(
        "municipal-reconcile",
        chrono::Utc::now(),
        uuid::Uuid::now_v7(),
    );
    // Applied as the municipal system's own state: not pushed back to it.
    metadata.role = Role::MunicipalSync;
    let report =
        infrastructure::municipal::reconcile(&pool, &state.booking, export, fix, &metadata)
            .await
            .map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    Ok(report.unresolved())
}

fn feed_url(settings: &Settings, clerk: Option<String>, room: Option<i16>) -> Result<(), String> {
    use infrastructure::feeds::FeedOwner;
    let secret = settings
        .municipal
        .feed_secret
        .as_deref()
        .ok_or("feeds are off: set municipal.feed_secret")?;
    let owner = match (clerk, room) {
        (Some(clerk), _) if settings.calendar.clerks.contains(&clerk) => FeedOwner::Clerk(clerk),
        (Some(clerk), _) => return Err(format!("{clerk} is not in calendar.clerks")),
        (None, Some(room)) if (1..=i16::from(settings.calendar.rooms)).contains(&room) => {
            FeedOwner::Room(room)
        }
        _ => return Err(format!("rooms are 1 to {}", settings.calendar.rooms)),
    };
    println!("{}", owner.path(secret.as_bytes()));
    Ok(())
}
