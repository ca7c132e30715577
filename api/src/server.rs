//! Starting the service: database, migrations, background projectors, the HTTP server, and a
//! graceful stop on SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use domain::booking_limits::BookingLimits;
use infrastructure::anchors::{self, SealingKeys};
use infrastructure::booking::BookingService;
use infrastructure::booking_guard::{BookingGuard, Challenges};
use infrastructure::clock::{Clock, SystemClock};
use infrastructure::config::{Profile, Settings};
use infrastructure::database;
use infrastructure::mail::{MailReactor, MailSender, MailTransport, TransportKind};
use infrastructure::municipal::{WebhookReactor, WebhookSender};
use infrastructure::personal_data::PersonalData;
use infrastructure::projector::{self, ProjectorRunner};
use infrastructure::reconciler::Reconciler;
use infrastructure::signing::{IdTokenVerifier, RegistryReactor, RegistryRecorder, SigningService};
use infrastructure::tokens::Authenticator;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::rate_limit::RateLimiter;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] infrastructure::config::ConfigError),
    #[error(transparent)]
    Database(#[from] database::DatabaseError),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
    #[error(transparent)]
    Auth(#[from] infrastructure::tokens::AuthSetupError),
    #[error(transparent)]
    Sealing(#[from] infrastructure::sealing::SealingKeyError),
    #[error("object storage: {0}")]
    Storage(#[from] infrastructure::object_store::StartupRefusal),
    #[error(transparent)]
    MailTransport(#[from] infrastructure::mail::TransportSetupError),
    #[error("starting a reactor: {0}")]
    MailReactor(sqlx::Error),
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    PersonalData(#[from] infrastructure::personal_data::PersonalDataError),
}

pub async fn connect(settings: &Settings) -> Result<PgPool, StartError> {
    let create = settings.database_create && settings.profile == Profile::Local;
    let pool = database::connect(
        &settings.database_url,
        settings.database_max_connections,
        create,
    )
    .await?;
    database::migrate(&pool).await?;
    Ok(pool)
}

pub fn state(pool: PgPool, settings: Settings) -> Result<AppState, StartError> {
    let (calendar, catalogue) = settings.calendar_and_catalogue()?;
    let booking = Arc::new(BookingService::new(
        pool.clone(),
        calendar,
        catalogue,
        Arc::new(SystemClock),
        PersonalData::from_settings(&settings)?,
    ));
    let authenticator = Arc::new(Authenticator::from_settings(&settings)?);
    let rate_limiter = Arc::new(RateLimiter::new(&settings.rate_limits));
    let objects = infrastructure::object_store::from_settings(&settings)
        .map_err(infrastructure::object_store::StartupRefusal::from)?;
    let id_tokens = match &settings.signing.identity_provider {
        Some(provider) => Some(
            IdTokenVerifier::from_settings(provider)
                .map_err(|e| infrastructure::config::ConfigError::Invalid(e.to_string()))?,
        ),
        None => None,
    };
    let signing = Arc::new(SigningService {
        booking: booking.clone(),
        objects: objects.clone(),
        sealing: SealingKeys::from_settings(&settings)?,
        codes: authenticator.one_time_codes().clone(),
        id_tokens,
        code_valid_for: chrono::Duration::seconds(
            i64::try_from(settings.signing.code_ttl_seconds).unwrap_or(600),
        ),
    });
    let signalling = Arc::new(infrastructure::calls::signalling::Hub::new(pool.clone()));
    let guard = &settings.booking_guard;
    let challenges = Arc::new(Challenges::new(
        authenticator.challenge_key(),
        guard.challenge_bits,
        chrono::Duration::seconds(i64::from(guard.challenge_seconds)),
    ));
    let booking_guard = Arc::new(BookingGuard::new(
        pool.clone(),
        BookingLimits {
            max_active_per_email: guard.max_active_per_email,
        },
    ));
    Ok(AppState {
        pool,
        booking,
        settings: Arc::new(settings),
        authenticator,
        rate_limiter,
        objects,
        signing,
        signalling,
        challenges,
        booking_guard,
    })
}

/// The retention purge over the state's case store and object store, on the configured
/// schedule; a case's personal data is shredded by erasing its key.
pub fn purger(state: &AppState) -> Result<infrastructure::retention::Purger, StartError> {
    let schedule = state
        .settings
        .retention
        .schedule()
        .map_err(infrastructure::config::ConfigError::Invalid)?;
    Ok(infrastructure::retention::Purger {
        pool: state.pool.clone(),
        booking: state.booking.clone(),
        objects: state.objects.clone(),
        schedule,
        shredder: Some(Arc::new(
            infrastructure::personal_data::KeyErasingShredder {
                booking: state.booking.clone(),
                pool: state.pool.clone(),
            },
        )),
    })
}

/// The mail reactor and sender, on `clock` (a test clock in tests). On a log with history and
/// no reactor checkpoint yet, the reactor starts at the end of the log: deploying mail onto an
/// existing database must not send every past message.
pub async fn mail(
    state: &AppState,
    clock: Arc<dyn Clock>,
) -> Result<(MailReactor, MailSender), StartError> {
    let settings = &state.settings.mail;
    let policy = settings
        .policy(state.booking.calendar().timezone)
        .map_err(infrastructure::config::ConfigError::Invalid)?;
    if projector::start_at_end_if_new(&state.pool, infrastructure::mail::REACTOR_NAME)
        .await
        .map_err(StartError::MailReactor)?
    {
        tracing::info!("mail reactor starts at the end of the log; earlier events get no mail");
    }
    let transport = MailTransport::from_settings(settings)?;
    if settings.transport == TransportKind::Files {
        tracing::warn!(folder = %settings.folder.display(), "mail is written to files, not sent");
    }
    let sender = MailSender {
        pool: state.pool.clone(),
        booking: state.booking.clone(),
        authenticator: state.authenticator.clone(),
        transport: Arc::new(transport),
        settings: settings.clone(),
        clock,
    };
    Ok((MailReactor { policy }, sender))
}

/// The webhook reactor and sender when `municipal.webhook_url` is set. Like mail, a reactor new
/// to a database with history starts at the end of the log.
pub async fn webhooks(
    state: &AppState,
    clock: Arc<dyn Clock>,
) -> Result<Option<(WebhookReactor, WebhookSender)>, StartError> {
    let settings = &state.settings.municipal;
    let Some(sender) = WebhookSender::new(state.pool.clone(), settings, clock)
        .map_err(infrastructure::config::ConfigError::Invalid)?
    else {
        return Ok(None);
    };
    projector::start_at_end_if_new(&state.pool, infrastructure::municipal::REACTOR_NAME)
        .await
        .map_err(StartError::MailReactor)?;
    let reactor = WebhookReactor {
        source: settings.source.clone(),
        personal: state.booking.personal().clone(),
    };
    Ok(Some((reactor, sender)))
}

/// Runs until SIGINT or SIGTERM, then stops taking requests, finishes those in flight, and stops
/// the projectors between batches (a batch is one transaction: it either lands or is redone).
pub async fn serve(settings: Settings) -> Result<(), StartError> {
    let pool = connect(&settings).await?;
    let state = state(pool.clone(), settings.clone())?;
    // Production refuses the filesystem store and a recordings bucket not locked as required.
    infrastructure::object_store::check_at_start(&settings, state.objects.as_ref()).await?;
    if settings.profile == Profile::Local {
        tracing::warn!(
            data_dir = %settings.auth.data_dir.display(),
            "local profile: staff tokens signed with the development key are trusted (mint one with `arreta token`)"
        );
    }
    let (stop, stopped) = watch::channel(false);
    let (mail_reactor, mail_sender) = mail(&state, Arc::new(SystemClock)).await?;
    let mut projectors = projector::all(state.booking.calendar().timezone);
    projectors.push(Arc::new(mail_reactor));
    let mail_sender = mail_sender.spawn(stopped.clone());
    let webhook_sender = match webhooks(&state, Arc::new(SystemClock)).await? {
        Some((reactor, sender)) => {
            projectors.push(Arc::new(reactor));
            Some(sender.spawn(stopped.clone()))
        }
        None => None,
    };
    // The registry numbers every signed document from the start of the log: it is never started
    // at the end, and never rebuilt.
    projectors.push(Arc::new(RegistryReactor {
        personal: state.booking.personal().clone(),
    }));
    let registry = RegistryRecorder {
        pool: pool.clone(),
        booking: state.booking.clone(),
        clock: Arc::new(SystemClock),
        poll: Duration::from_millis(settings.signing.registry_poll_interval_ms),
    }
    .spawn(stopped.clone());
    let projectors = ProjectorRunner {
        pool: pool.clone(),
        personal: state.booking.personal().clone(),
        projectors,
        batch: settings.projections.batch_size,
        poll: Duration::from_millis(settings.projections.poll_interval_ms),
    }
    .spawn(stopped.clone());
    let reconciler = Reconciler {
        pool: pool.clone(),
        booking: state.booking.clone(),
        grace: Duration::from_secs(settings.reconciler.grace_seconds),
        interval: Duration::from_secs(settings.reconciler.interval_seconds),
    }
    .spawn(stopped.clone());
    let retention = spawn_retention(
        purger(&state)?,
        Duration::from_secs(settings.retention.purge_interval_minutes.saturating_mul(60)),
        stopped.clone(),
    );
    let sealing = SealingKeys::from_settings(&settings)?;
    let housekeeping = spawn_housekeeping(
        pool.clone(),
        settings.idempotency_hours,
        sealing,
        state.objects.clone(),
        stopped,
    );
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| StartError::Listen(settings.listen.clone(), e))?;
    let address = listener
        .local_addr()
        .map_err(|e| StartError::Listen(settings.listen.clone(), e))?;
    // Tests and scripts read this line to find the port when listening on port 0.
    println!("arreta listening on http://{address}");
    tracing::info!(%address, profile = ?settings.profile, "serving");
    let app = crate::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    let _ = stop.send(true);
    let _ = tokio::join!(
        projectors,
        reconciler,
        housekeeping,
        mail_sender,
        registry,
        retention
    );
    if let Some(webhook_sender) = webhook_sender {
        let _ = webhook_sender.await;
    }
    pool.close().await;
    served.map_err(StartError::Serve)
}

/// Every `retention.purge_interval_minutes` (hourly by default), from the start: deletes the
/// object versions whose retention has ended and records each on its case. Several replicas may
/// run it at once: each case decides from the event store, so a version is recorded once.
fn spawn_retention(
    purger: infrastructure::retention::Purger,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match purger.run().await {
                Ok(run) => {
                    if run.purged() > 0 {
                        tracing::info!(objects = run.purged(), "retention: purged what was due");
                    }
                    if run.left() > 0 {
                        tracing::warn!(
                            left = run.left(),
                            "retention: some of what is due was left (locked, failed, or personal data with no shredder wired); `arreta retention report` lists it"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "retention purge failed"),
            }
            tokio::select! {
                _ = stopped.changed() => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    })
}

/// Hourly: forgets idempotency keys past their retention, anchors the hash chains of every
/// full day not anchored yet, and checks that the recordings bucket still locks itself (the
/// service's own credentials can weaken the rule; the start-up check alone would notice only at
/// the next start).
fn spawn_housekeeping(
    pool: PgPool,
    hours: u32,
    sealing: SealingKeys,
    objects: Arc<dyn infrastructure::object_store::ObjectStore>,
    mut stopped: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if objects.kind() == infrastructure::object_store::BackendKind::S3 {
                match objects.check_recordings_lock().await {
                    Ok(check) => {
                        if let Some(problem) = check.problem {
                            tracing::error!(bucket = %check.bucket_name, %problem, "the recordings bucket's default lock rule has been weakened: restore COMPLIANCE with the full retention, and take s3:PutBucketObjectLockConfiguration away from the service's credentials");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "could not check the recordings bucket's lock")
                    }
                }
            }
            match infrastructure::idempotency::purge(&pool, hours).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(keys = n, "forgot expired idempotency keys"),
                Err(error) => tracing::warn!(%error, "idempotency housekeeping failed"),
            }
            let anchored = async {
                let mut conn = pool.acquire().await?;
                anchors::anchor_until_yesterday(&mut conn, &sealing, chrono::Utc::now()).await
            };
            match anchored.await {
                Ok(0) => {}
                Ok(days) => tracing::info!(days, "anchored the hash chains"),
                Err(error) => tracing::warn!(%error, "anchoring failed"),
            }
            tokio::select! {
                _ = stopped.changed() => return,
                _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            }
        }
    })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("stopping: finishing requests in flight");
}
