//! Queries over the read models.

use chrono::{DateTime, NaiveDate, Utc};
use domain::citizen_request::CaseStatus;
use domain::slot::Slot;
use projections::LogPosition;
use projections::agenda::AgendaEntry;
use projections::availability::BusyRoom;
use projections::case_summary::CaseSummary;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

pub(crate) const CASE_COLUMNS: &str = "request_id, version, events_applied, status, procedure_code, slot_start, \
    slot_minutes, room, channel, language, citizen_name, citizen_national_id, citizen_email, \
    citizen_phone, external_reference, reschedule_count, cancellation_reason, cancelled_by, outcome, \
    closing_summary, registry_entry, booked_at, updated_at, personal_data_erased";

pub async fn case_summary(
    conn: &mut PgConnection,
    request_id: Uuid,
) -> Result<Option<CaseSummary>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM case_summary WHERE request_id = $1"
    ))
    .bind(request_id)
    .try_map(|row: PgRow| case_from_row(&row))
    .fetch_optional(conn)
    .await
}

/// Every case summary, by request id: for comparisons of rebuilt read models.
pub async fn all_case_summaries(conn: &mut PgConnection) -> Result<Vec<CaseSummary>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM case_summary ORDER BY request_id"
    ))
    .try_map(|row: PgRow| case_from_row(&row))
    .fetch_all(conn)
    .await
}

pub(crate) fn case_from_row(row: &PgRow) -> Result<CaseSummary, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(CaseSummary {
        request_id: row.try_get("request_id")?,
        version: row.try_get("version")?,
        events_applied: row.try_get("events_applied")?,
        status: CaseStatus::parse(&status).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "status".into(),
            source: format!("unknown case status {status:?}").into(),
        })?,
        procedure: row.try_get("procedure_code")?,
        slot_start: row.try_get("slot_start")?,
        slot_minutes: row.try_get("slot_minutes")?,
        room: row.try_get("room")?,
        channel: row.try_get("channel")?,
        language: row.try_get("language")?,
        citizen_name: row.try_get("citizen_name")?,
        citizen_national_id: row.try_get("citizen_national_id")?,
        citizen_email: row.try_get("citizen_email")?,
        citizen_phone: row.try_get("citizen_phone")?,
        personal_data_erased: row.try_get("personal_data_erased")?,
        external_reference: row.try_get("external_reference")?,
        reschedule_count: row.try_get("reschedule_count")?,
        cancellation_reason: row.try_get("cancellation_reason")?,
        cancelled_by: row.try_get("cancelled_by")?,
        outcome: row.try_get("outcome")?,
        closing_summary: row.try_get("closing_summary")?,
        registry_entry: row.try_get("registry_entry")?,
        booked_at: row.try_get("booked_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const AGENDA_COLUMNS: &str =
    "service_day, request_id, procedure_code, slot_start, slot_end, room, clerk_id, reserved_at";

/// Reservations of one service day, by start and room. `None` for every day (comparisons).
pub async fn agenda(
    conn: &mut PgConnection,
    day: Option<NaiveDate>,
) -> Result<Vec<AgendaEntry>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {AGENDA_COLUMNS} FROM agenda_reservation \
         WHERE $1::date IS NULL OR service_day = $1 ORDER BY service_day, slot_start, room, request_id"
    ))
    .bind(day)
    .try_map(|row: PgRow| agenda_from_row(&row))
    .fetch_all(conn)
    .await
}

fn agenda_from_row(row: &PgRow) -> Result<AgendaEntry, sqlx::Error> {
    Ok(AgendaEntry {
        day: row.try_get("service_day")?,
        request_id: row.try_get("request_id")?,
        procedure: row.try_get("procedure_code")?,
        slot_start: row.try_get("slot_start")?,
        slot_end: row.try_get("slot_end")?,
        room: row.try_get("room")?,
        clerk: row.try_get("clerk_id")?,
        reserved_at: row.try_get("reserved_at")?,
    })
}

/// Rooms held on the service days from `from` to `to` inclusive.
pub async fn busy_rooms(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<BusyRoom>, sqlx::Error> {
    sqlx::query(
        "SELECT slot_start, slot_end, room FROM agenda_reservation WHERE service_day BETWEEN $1 AND $2",
    )
    .bind(from)
    .bind(to)
    .try_map(|row: PgRow| {
        let start: DateTime<Utc> = row.try_get("slot_start")?;
        let end: DateTime<Utc> = row.try_get("slot_end")?;
        let room: i16 = row.try_get("room")?;
        let minutes = u16::try_from((end - start).num_minutes()).unwrap_or(u16::MAX);
        Ok(BusyRoom {
            slot: Slot::new(start, minutes),
            room: u8::try_from(room).unwrap_or(u8::MAX),
        })
    })
    .fetch_all(conn)
    .await
}

/// Reservations older than `older_than` whose case does not hold them (no booking yet,
/// cancelled, or moved to another slot) as far as the case summary knows.
pub async fn suspect_reservations(
    conn: &mut PgConnection,
    older_than: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<AgendaEntry>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {} FROM agenda_reservation a LEFT JOIN case_summary c USING (request_id) \
         WHERE a.reserved_at < $1 \
           AND (c.request_id IS NULL OR c.status = 'cancelled' OR c.slot_start <> a.slot_start) \
         ORDER BY a.reserved_at LIMIT $2",
        AGENDA_COLUMNS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(older_than)
    .bind(limit)
    .try_map(|row: PgRow| agenda_from_row(&row))
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProjectorStatus {
    pub name: String,
    pub at: LogPosition,
    pub events_applied: i64,
    pub updated_at: DateTime<Utc>,
}

pub async fn projector_status(
    conn: &mut PgConnection,
) -> Result<Vec<ProjectorStatus>, sqlx::Error> {
    sqlx::query(
        "SELECT projector, transaction_id, global_position, events_applied, updated_at \
         FROM projector_checkpoints ORDER BY projector",
    )
    .try_map(|row: PgRow| {
        Ok(ProjectorStatus {
            name: row.try_get("projector")?,
            at: LogPosition {
                transaction_id: row.try_get("transaction_id")?,
                position: row.try_get("global_position")?,
            },
            events_applied: row.try_get("events_applied")?,
            updated_at: row.try_get("updated_at")?,
        })
    })
    .fetch_all(conn)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Fold(#[from] projections::case_summary::FoldLogError),
    #[error(transparent)]
    PersonalData(#[from] crate::personal_data::PersonalDataError),
}

impl From<crate::global_log::LogError> for ReadError {
    fn from(error: crate::global_log::LogError) -> Self {
        match error {
            crate::global_log::LogError::Database(e) => Self::Database(e),
            crate::global_log::LogError::PersonalData(e) => Self::PersonalData(e),
        }
    }
}

/// The case summary folded straight from the case's events, as the projector would write it.
/// Used to answer commands with the version just written, whatever the projection's lag.
pub async fn case_summary_from_events(
    conn: &mut PgConnection,
    personal: &crate::personal_data::PersonalData,
    request_id: Uuid,
) -> Result<Option<CaseSummary>, ReadError> {
    let events = crate::global_log::aggregate_events(
        conn,
        personal,
        <domain::citizen_request::CitizenRequest as cqrs_es::Aggregate>::TYPE,
        &request_id.to_string(),
        None,
    )
    .await?;
    Ok(projections::case_summary::fold_log(request_id, &events)?)
}

/// One row of `report_daily`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReportRow {
    pub service_day: NaiveDate,
    pub procedure: String,
    pub channel: String,
    pub language: String,
    pub booked: i32,
    pub rescheduled_in: i32,
    pub rescheduled_out: i32,
    pub cancelled: i32,
    pub no_shows: i32,
    pub closed: i32,
    pub waiting_days_total: i64,
}

/// Report rows of the service days from `from` to `to`, in key order.
pub async fn report_daily(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    sqlx::query(
        "SELECT service_day, procedure_code, channel, language, booked, rescheduled_in, rescheduled_out, \
           cancelled, no_shows, closed, waiting_days_total FROM report_daily \
         WHERE service_day BETWEEN $1 AND $2 ORDER BY service_day, procedure_code, channel, language",
    )
    .bind(from)
    .bind(to)
    .try_map(|row: PgRow| {
        Ok(ReportRow {
            service_day: row.try_get("service_day")?,
            procedure: row.try_get("procedure_code")?,
            channel: row.try_get("channel")?,
            language: row.try_get("language")?,
            booked: row.try_get("booked")?,
            rescheduled_in: row.try_get("rescheduled_in")?,
            rescheduled_out: row.try_get("rescheduled_out")?,
            cancelled: row.try_get("cancelled")?,
            no_shows: row.try_get("no_shows")?,
            closed: row.try_get("closed")?,
            waiting_days_total: row.try_get("waiting_days_total")?,
        })
    })
    .fetch_all(conn)
    .await
}

/// Minutes reserved per service day and room, and assigned per day and clerk, from the agenda.
pub async fn occupancy(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<(NaiveDate, i16, i64)>, Vec<(NaiveDate, String, i64)>), sqlx::Error> {
    let rooms = sqlx::query_as(
        "SELECT service_day, room, (sum(extract(epoch FROM slot_end - slot_start)) / 60)::bigint \
         FROM agenda_reservation WHERE service_day BETWEEN $1 AND $2 GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let clerks = sqlx::query_as(
        "SELECT service_day, clerk_id, (sum(extract(epoch FROM slot_end - slot_start)) / 60)::bigint \
         FROM agenda_reservation WHERE service_day BETWEEN $1 AND $2 AND clerk_id IS NOT NULL \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rooms, clerks))
}
