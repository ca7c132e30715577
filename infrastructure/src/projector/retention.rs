//! The `retention` read model: for each case, its procedure and when it ended; for each stored
//! version it holds, the key, version, lock and whether it was purged. `infrastructure::retention`
//! computes from it what is due.

use async_trait::async_trait;
use domain::citizen_request::CitizenRequestEvent;
use domain::retention::ObjectKind;
use projections::LoggedEvent;
use sqlx::PgConnection;

use super::{ProjectionError, Projector};

pub struct RetentionProjector;

#[async_trait]
impl Projector for RetentionProjector {
    fn name(&self) -> &'static str {
        "retention"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["retention_cases", "retention_objects"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &LoggedEvent,
    ) -> Result<(), ProjectionError> {
        let Some((request_id, payload)) = super::citizen_request_event(event)? else {
            return Ok(());
        };
        match payload {
            CitizenRequestEvent::AppointmentBooked { procedure, .. } => {
                sqlx::query(
                    "INSERT INTO retention_cases (request_id, procedure_code) VALUES ($1, $2) \
                     ON CONFLICT (request_id) DO NOTHING",
                )
                .bind(request_id)
                .bind(procedure.as_str())
                .execute(conn)
                .await?;
            }
            CitizenRequestEvent::AppointmentCancelled {
                cancelled_at: at, ..
            }
            | CitizenRequestEvent::NoShowRecorded { recorded_at: at }
            | CitizenRequestEvent::CaseClosed { closed_at: at, .. } => {
                sqlx::query("UPDATE retention_cases SET ended_at = $2 WHERE request_id = $1")
                    .bind(request_id)
                    .bind(at)
                    .execute(conn)
                    .await?;
            }
            CitizenRequestEvent::DocumentAttached {
                document_id,
                object_key,
                version_id,
                retain_until,
                ..
            } => {
                insert_object(
                    conn,
                    request_id,
                    ObjectKind::Document,
                    document_id,
                    &object_key,
                    &version_id,
                    retain_until,
                )
                .await?;
            }
            CitizenRequestEvent::RecordingStored {
                recording_id,
                stored,
            } => {
                insert_object(
                    conn,
                    request_id,
                    ObjectKind::Recording,
                    recording_id,
                    &stored.object_key,
                    &stored.version_id,
                    stored.retain_until,
                )
                .await?;
            }
            CitizenRequestEvent::DocumentPurged {
                document_id: id,
                object_key,
                purged_at,
                ..
            } => mark_purged(conn, ObjectKind::Document, id, &object_key, purged_at).await?,
            CitizenRequestEvent::RecordingPurged {
                recording_id: id,
                object_key,
                purged_at,
                ..
            } => mark_purged(conn, ObjectKind::Recording, id, &object_key, purged_at).await?,
            _ => {}
        }
        Ok(())
    }
}

async fn insert_object(
    conn: &mut PgConnection,
    request_id: uuid::Uuid,
    kind: ObjectKind,
    id: uuid::Uuid,
    key: &str,
    version: &str,
    retain_until: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO retention_objects (request_id, kind, object_id, object_key, version_id, retain_until) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, object_id, object_key) DO NOTHING",
    )
    .bind(request_id)
    .bind(kind.as_str())
    .bind(id)
    .bind(key)
    .bind(version)
    .bind(retain_until)
    .execute(conn)
    .await?;
    Ok(())
}

async fn mark_purged(
    conn: &mut PgConnection,
    kind: ObjectKind,
    id: uuid::Uuid,
    key: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE retention_objects SET purged_at = $4 \
         WHERE kind = $1 AND object_id = $2 AND object_key = $3",
    )
    .bind(kind.as_str())
    .bind(id)
    .bind(key)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
