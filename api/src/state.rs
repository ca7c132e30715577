use std::sync::Arc;

use infrastructure::booking::BookingService;
use infrastructure::config::Settings;
use sqlx::PgPool;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub booking: Arc<BookingService>,
    pub settings: Arc<Settings>,
}
