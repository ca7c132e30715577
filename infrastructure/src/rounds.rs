//! A background task that runs a round of work, then waits for the next poll or shutdown: the
//! shape of the mail and webhook senders.

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// Runs `round` every `poll` until shutdown; a round under way finishes first. Rounds that did
/// something are logged at info, failed rounds at warn (the next round retries).
pub fn spawn_rounds<F, Fut, R>(
    what: &'static str,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
    round: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<R, sqlx::Error>> + Send,
    R: Debug + Default + PartialEq + Send,
{
    tokio::spawn(async move {
        loop {
            match round().await {
                Ok(done) if done != R::default() => tracing::info!(?done, "{what} round"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "{what} round failed; retrying"),
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(poll) => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    })
}
