//! The media recorder: GStreamer ingest of consented calls over WHIP (RFC 9725), finalisation
//! and WORM upload, run as its own process (`arreta-recorder`) so that a crash in a media
//! pipeline never takes the api down.

pub mod changes;
pub mod offer;
pub mod probe;
pub mod publisher;
pub mod session;

/// Initialises GStreamer once; every entry point calls it.
pub fn init() -> Result<(), gstreamer::glib::Error> {
    gstreamer::init()
}
pub mod recorder;
pub mod spool;
pub mod whip;

use std::sync::Arc;
use std::time::Duration;

use infrastructure::booking::BookingService;
use infrastructure::clock::SystemClock;
use infrastructure::config::Settings;
use infrastructure::tokens::Authenticator;

/// Why the recorder did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    GStreamer(#[from] gstreamer::glib::Error),
    #[error(transparent)]
    Config(#[from] infrastructure::config::ConfigError),
    #[error(transparent)]
    Database(#[from] infrastructure::database::DatabaseError),
    #[error("object storage: {0}")]
    Storage(#[from] infrastructure::object_store::StartupRefusal),
    #[error(transparent)]
    Auth(#[from] infrastructure::tokens::AuthSetupError),
    #[error("spool {0}: {1}")]
    Spool(String, std::io::Error),
    #[error(transparent)]
    PersonalData(#[from] infrastructure::personal_data::PersonalDataError),
}

/// Everything the recorder runs on, from the settings: the database (never created nor
/// migrated here: that is `arreta migrate`'s), the object store checked as `arreta serve`
/// checks it, the token verifier, the spool; then the spool's unfinished recordings resumed.
pub async fn start(settings: &Settings) -> Result<whip::WhipState, StartError> {
    init()?;
    let pool = infrastructure::database::connect(
        &settings.database_url,
        settings.database_max_connections,
        false,
    )
    .await?;
    let (calendar, catalogue) = settings.calendar_and_catalogue()?;
    let changes = changes::spawn(pool.clone());
    let booking = Arc::new(BookingService::new(
        pool,
        calendar,
        catalogue,
        Arc::new(SystemClock),
        infrastructure::personal_data::PersonalData::from_settings(settings)?,
    ));
    let objects = infrastructure::object_store::open_checked(settings).await?;
    let authenticator = Arc::new(Authenticator::from_settings(settings)?);
    let root = settings.recorder.spool_dir(&settings.auth.data_dir);
    let spool =
        spool::Spool::open(&root).map_err(|e| StartError::Spool(root.display().to_string(), e))?;
    let recorder = Arc::new(recorder::Recorder::new(
        booking,
        objects,
        settings.recorder.clone(),
        settings.call.turn.clone(),
        spool,
        changes,
    ));
    match recorder.resume().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            recordings = n,
            "resumed unfinished recordings from the spool"
        ),
        Err(error) => tracing::error!(%error, "the spool could not be read"),
    }
    Ok(whip::WhipState {
        recorder,
        authenticator,
    })
}

/// Retries, every `every`, the uploads that failed while the store or the database was away.
pub fn spawn_resume_rounds(
    recorder: Arc<recorder::Recorder>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(error) = recorder.resume().await {
                tracing::warn!(%error, "spool round failed");
            }
        }
    })
}
