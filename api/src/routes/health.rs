use std::time::Duration;

use axum::Json;
use axum::extract::State;
use infrastructure::object_store::{BackendKind, Bucket, StorageError};
use infrastructure::read_models;
use serde::Serialize;
use utoipa::ToSchema;

use crate::caller::{Anyone, Authorized};
use crate::problem::{ApiError, ProblemBody};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionState {
    pub name: String,
    pub events_applied: i64,
    pub global_position: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    /// `s3` or `filesystem`: the object store answered.
    pub storage: &'static str,
    /// The recordings bucket's default lock rule: `compliant` (COMPLIANCE, at least the
    /// configured retention), `weakened` (removed, shortened or GOVERNANCE: objects already
    /// stored keep their own retention, new ones still get it explicitly, but the bucket no
    /// longer protects itself) or `not_enforced` (the local filesystem store). Not a reason to be
    /// unready; the periodic check logs an error while it is weakened.
    #[schema(example = "compliant")]
    pub recordings_lock: &'static str,
    /// What is wrong with the rule, when it is not compliant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recordings_lock_problem: Option<String>,
    pub projections: Vec<ProjectionState>,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "Alive", body = Liveness)))]
pub async fn live(_caller: Authorized<Anyone>) -> Json<Liveness> {
    Json(Liveness { status: "live" })
}

/// The process can serve: the database and the object store answer. Reports where each
/// projection stands.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "A dependency is down", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn ready(
    State(state): State<AppState>,
    _caller: Authorized<Anyone>,
) -> Result<Json<Readiness>, ApiError> {
    let check = async {
        let mut conn = state.pool.acquire().await?;
        read_models::projector_status(&mut conn).await
    };
    let projections = tokio::time::timeout(Duration::from_secs(3), check)
        .await
        .map_err(|_| ApiError::Unavailable("database check timed out".into()))?
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    // Reading a bucket's lock configuration is the cheapest call that proves the store answers
    // with our credentials.
    // Any failure (unreachable, refused credentials, a missing bucket) means not ready: 503.
    let not_ready = |why: String| ApiError::Storage(StorageError::Unavailable(why));
    tokio::time::timeout(
        Duration::from_secs(3),
        state.objects.bucket_lock(Bucket::Documents),
    )
    .await
    .map_err(|_| not_ready("storage check timed out".into()))?
    .map_err(|e| not_ready(e.to_string()))?;
    let lock = tokio::time::timeout(
        Duration::from_secs(3),
        state.objects.check_recordings_lock(),
    )
    .await
    .map_err(|_| not_ready("recordings lock check timed out".into()))?
    .map_err(|e| not_ready(e.to_string()))?;
    let (recordings_lock, recordings_lock_problem) = match (&lock.problem, state.objects.kind()) {
        (None, _) => ("compliant", None),
        (Some(_), BackendKind::Filesystem) => ("not_enforced", None),
        (Some(problem), BackendKind::S3) => ("weakened", Some(problem.to_string())),
    };
    Ok(Json(Readiness {
        status: "ready",
        database: "up",
        recordings_lock,
        recordings_lock_problem,
        storage: match state.objects.kind() {
            BackendKind::S3 => "s3",
            BackendKind::Filesystem => "filesystem",
        },
        projections: projections
            .into_iter()
            .map(|p| ProjectionState {
                name: p.name,
                events_applied: p.events_applied,
                global_position: p.at.position,
            })
            .collect(),
    }))
}
