//! Wakes the recordings when the event log moves: the event store's statement trigger sends
//! `NOTIFY arreta_events` on every commit, so a withdrawal or the call's end is seen at once
//! instead of at the next poll, and a recording whose case does not change costs no query.
//! The polls (`recorder.poll_interval_ms`) remain the fallback for a lost notification.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

/// A counter bumped on every notification (and after a reconnect, when one may have been
/// missed); recordings wait on its changes.
pub fn spawn(pool: PgPool) -> watch::Receiver<u64> {
    let (sender, receiver) = watch::channel(0u64);
    tokio::spawn(async move {
        loop {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for case changes; polling only");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            if let Err(error) = listener.listen("arreta_events").await {
                tracing::warn!(%error, "cannot listen for case changes; polling only");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
            loop {
                let bump = || sender.send_modify(|n| *n = n.wrapping_add(1));
                match listener.try_recv().await {
                    Ok(Some(_)) => bump(),
                    // Reconnected: something may have been missed.
                    Ok(None) => bump(),
                    Err(error) => {
                        tracing::warn!(%error, "case-change listener lost; reconnecting");
                        break;
                    }
                }
                if sender.is_closed() {
                    return;
                }
            }
        }
    });
    receiver
}
