use std::sync::Arc;

use infrastructure::booking::BookingService;
use infrastructure::config::Settings;
use infrastructure::object_store::ObjectStore;
use infrastructure::signing::SigningService;
use infrastructure::tokens::Authenticator;
use sqlx::PgPool;

use crate::rate_limit::RateLimiter;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub booking: Arc<BookingService>,
    pub settings: Arc<Settings>,
    pub authenticator: Arc<Authenticator>,
    pub rate_limiter: Arc<RateLimiter>,
    /// Recordings and documents (checked at start by `server::serve`).
    pub objects: Arc<dyn ObjectStore>,
    /// Identification, signatures and the sealing key.
    pub signing: Arc<SigningService>,
    /// The calls' signalling, relayed through PostgreSQL (any replica may hold either side).
    pub signalling: Arc<infrastructure::calls::signalling::Hub>,
    /// The proof of work asked of anonymous bookers.
    pub challenges: Arc<infrastructure::booking_guard::Challenges>,
    /// The limits per DNI/NIE and email of anonymous bookings.
    pub booking_guard: Arc<infrastructure::booking_guard::BookingGuard>,
}
