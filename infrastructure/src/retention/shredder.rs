//! The hook through which the purge has a case's personal data shredded once its retention
//! ends. The purge decides *when*; the implementation (`infrastructure::personal_data`: per-case
//! keys, erasure) decides *how*. Without one wired in, nothing pretends to shred: the report
//! lists the personal data as due and the purge says shredding is not wired.

use async_trait::async_trait;
use uuid::Uuid;

/// Makes a case's personal data unreadable for good.
#[async_trait]
pub trait CaseShredder: Send + Sync {
    /// Shreds the personal data of case `request_id`. Must be idempotent: a case already
    /// shredded succeeds again and changes nothing (a crash between the shredding and the
    /// purge's record of it makes the next purge ask again).
    async fn shred(&self, request_id: Uuid) -> Result<(), ShredError>;
}

/// Why a shredding failed: the implementation's own error, kept whole.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ShredError(pub Box<dyn std::error::Error + Send + Sync>);
