//! The retention purge's `CaseShredder`, done by erasing the case's personal-data key.

use std::sync::Arc;

use async_trait::async_trait;
use domain::metadata::EventMetadata;
use sqlx::PgPool;
use uuid::Uuid;

use super::erase_case;
use crate::booking::BookingService;
use crate::retention::{CaseShredder, ShredError};

pub struct KeyErasingShredder {
    pub booking: Arc<BookingService>,
    pub pool: PgPool,
}

#[async_trait]
impl CaseShredder for KeyErasingShredder {
    async fn shred(&self, request_id: Uuid) -> Result<(), ShredError> {
        let metadata = EventMetadata::system("retention-purge", self.booking.now(), Uuid::new_v4());
        erase_case(
            &self.booking,
            &self.pool,
            self.booking.personal(),
            request_id,
            &metadata,
        )
        .await
        .map(|_| ())
        .map_err(|e| ShredError(Box::new(e)))
    }
}
