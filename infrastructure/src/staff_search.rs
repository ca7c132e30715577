//! Staff search over `case_summary` (personal data is sealed in the event log but plain in the
//! read models, so search runs here), and the record of searches by personal data
//! (`staff_searches`, `staff_search_matches`, migration 0015).

use chrono::{DateTime, Utc};
use domain::citizen_request::CaseStatus;
use domain::search::PersonalFilter;
use projections::case_summary::CaseSummary;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::read_models::{CASE_COLUMNS, case_from_row};

/// What to look for; every filter given must hold. Values arrive normalised (the API parses
/// them with the domain's value types).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// The service day as the UTC range `[from, to)` of its local midnights.
    pub day: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub status: Option<CaseStatus>,
    pub procedure: Option<String>,
    pub clerk: Option<String>,
    pub channel: Option<String>,
    pub national_id: Option<String>,
    pub external_reference: Option<String>,
    /// Folded as `arreta_fold` does; matched anywhere in the name.
    pub name: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl CaseFilter {
    /// The personal-data filters given, in a stable order.
    pub fn personal(&self) -> Vec<PersonalFilter> {
        PersonalFilter::ALL
            .into_iter()
            .filter(|f| self.personal_value(*f).is_some())
            .collect()
    }

    pub fn personal_value(&self, filter: PersonalFilter) -> Option<&str> {
        match filter {
            PersonalFilter::NationalId => self.national_id.as_deref(),
            PersonalFilter::ExternalReference => self.external_reference.as_deref(),
            PersonalFilter::Name => self.name.as_deref(),
            PersonalFilter::Email => self.email.as_deref(),
            PersonalFilter::Phone => self.phone.as_deref(),
        }
    }
}

/// Escapes `%`, `_` and `\` so a name is matched as written.
fn like_pattern(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

/// Up to `limit` cases matching `filter`, in (slot_start, request_id) order, after `after`.
pub async fn search_cases(
    conn: &mut PgConnection,
    filter: &CaseFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<CaseSummary>, sqlx::Error> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {CASE_COLUMNS} FROM case_summary c WHERE true"
    ));
    if let Some((from, to)) = filter.day {
        q.push(" AND c.slot_start >= ").push_bind(from);
        q.push(" AND c.slot_start < ").push_bind(to);
    }
    if let Some(status) = filter.status {
        q.push(" AND c.status = ").push_bind(status.as_str());
    }
    if let Some(procedure) = &filter.procedure {
        q.push(" AND c.procedure_code = ")
            .push_bind(procedure.clone());
    }
    if let Some(channel) = &filter.channel {
        q.push(" AND c.channel = ").push_bind(channel.clone());
    }
    if let Some(clerk) = &filter.clerk {
        // The clerk of the case's current reservation.
        q.push(
            " AND EXISTS (SELECT 1 FROM agenda_reservation a WHERE a.request_id = c.request_id \
             AND a.slot_start = c.slot_start AND a.clerk_id = ",
        )
        .push_bind(clerk.clone())
        .push(")");
    }
    if !filter.personal().is_empty() {
        // The same predicate as the partial indexes', so the planner may use them.
        q.push(" AND NOT c.personal_data_erased");
    }
    if let Some(id) = &filter.national_id {
        q.push(" AND c.citizen_national_id = ")
            .push_bind(id.clone());
    }
    if let Some(reference) = &filter.external_reference {
        q.push(" AND c.external_reference = ")
            .push_bind(reference.clone());
    }
    if let Some(name) = &filter.name {
        q.push(" AND arreta_fold(c.citizen_name) LIKE ")
            .push_bind(like_pattern(name));
    }
    if let Some(email) = &filter.email {
        q.push(" AND lower(c.citizen_email) = ")
            .push_bind(email.clone());
    }
    if let Some(phone) = &filter.phone {
        q.push(" AND c.citizen_phone = ").push_bind(phone.clone());
    }
    if let Some((slot_start, request_id)) = after {
        q.push(" AND (c.slot_start, c.request_id) > (")
            .push_bind(slot_start)
            .push(", ")
            .push_bind(request_id)
            .push(")");
    }
    q.push(" ORDER BY c.slot_start, c.request_id LIMIT ")
        .push_bind(limit);
    q.build()
        .try_map(|row: PgRow| case_from_row(&row))
        .fetch_all(conn)
        .await
}

/// Who searched, and for what.
#[derive(Debug, Clone)]
pub struct SearchRecord {
    pub search_id: Uuid,
    pub staff_id: String,
    pub role: String,
    pub searched_at: DateTime<Utc>,
    pub kinds: Vec<PersonalFilter>,
    /// The values looked for, by kind: kept until `looked_for_until`.
    pub looked_for: serde_json::Value,
    pub looked_for_until: DateTime<Utc>,
    pub correlation_id: Uuid,
    pub request_id: Option<String>,
}

/// Records a search and the cases it returned, in one transaction: the caller answers only
/// once this has committed.
pub async fn record_search(
    conn: &mut PgConnection,
    record: &SearchRecord,
    returned: &[Uuid],
) -> Result<(), sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let kinds: Vec<&str> = record.kinds.iter().map(|k| k.as_str()).collect();
    sqlx::query(
        "INSERT INTO staff_searches (search_id, staff_id, role, searched_at, kinds, looked_for, \
         looked_for_until, correlation_id, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(record.search_id)
    .bind(&record.staff_id)
    .bind(&record.role)
    .bind(record.searched_at)
    .bind(&kinds)
    .bind(&record.looked_for)
    .bind(record.looked_for_until)
    .bind(record.correlation_id)
    .bind(&record.request_id)
    .execute(&mut *tx)
    .await?;
    // One statement for the whole page (at most 200 cases).
    sqlx::query(
        "INSERT INTO staff_search_matches (search_id, request_id) \
         SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
    )
    .bind(record.search_id)
    .bind(returned)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A search that returned a case: what the citizen sees among the accesses to their data.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchMatch {
    pub staff_id: String,
    pub role: String,
    pub searched_at: DateTime<Utc>,
    pub kinds: Vec<String>,
}

/// The searches that returned `request_id`, oldest first.
pub async fn searches_that_found(
    conn: &mut PgConnection,
    request_id: Uuid,
) -> Result<Vec<SearchMatch>, sqlx::Error> {
    sqlx::query(
        "SELECT s.staff_id, s.role, s.searched_at, s.kinds FROM staff_search_matches m \
         JOIN staff_searches s USING (search_id) WHERE m.request_id = $1 \
         ORDER BY s.searched_at, s.search_id",
    )
    .bind(request_id)
    .try_map(|row: PgRow| {
        Ok(SearchMatch {
            staff_id: row.try_get("staff_id")?,
            role: row.try_get("role")?,
            searched_at: row.try_get("searched_at")?,
            kinds: row.try_get("kinds")?,
        })
    })
    .fetch_all(conn)
    .await
}

/// Blanks the values looked for that are past their time, and those of searches that found a
/// case whose personal data has since been erased (the value is that citizen's data). The
/// records themselves stay. Returns how many values were blanked.
pub async fn forget_searched_values(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE staff_searches s SET looked_for = NULL WHERE s.looked_for IS NOT NULL AND \
         (s.looked_for_until <= $1 OR EXISTS (SELECT 1 FROM staff_search_matches m \
          JOIN case_summary c USING (request_id) \
          WHERE m.search_id = s.search_id AND c.personal_data_erased))",
    )
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
