//! `arreta-recorder`: records consented calls (WHIP ingest, WebM on the spool, WORM upload).
//! Configuration is `arreta`'s (file, then `ARRETA_` variables); its own section is
//! `[recorder]`.

use std::process::ExitCode;
use std::time::Duration;

use infrastructure::config::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("arreta-recorder: {error}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("arreta-recorder: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> Result<(), String> {
    let state = media_recorder::start(&settings)
        .await
        .map_err(|e| e.to_string())?;
    let rounds =
        media_recorder::spawn_resume_rounds(state.recorder.clone(), Duration::from_secs(30));
    let listener = tokio::net::TcpListener::bind(&settings.recorder.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.recorder.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    // Tests and scripts read this line to find the port when listening on port 0.
    println!("arreta-recorder listening on http://{address}");
    let served = axum::serve(
        listener,
        media_recorder::whip::router(state, settings.cors_origins()),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    rounds.abort();
    served.map_err(|e| e.to_string())
}
