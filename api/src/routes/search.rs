//! `GET /v1/requests`: staff find cases by day, status, procedure, clerk and channel, and by the
//! citizen's DNI/NIE, external reference, name, email or phone. A search by personal data is
//! recorded (`infrastructure::staff_search`) before the answer leaves, and each case it returned
//! shows it among the accesses the citizen sees.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use domain::citizen_request::CaseStatus;
use domain::search::{
    MAX_FILTER_CHARS, MIN_NAME_CHARS, search_is_recorded, searched_value_kept_until,
};
use domain::values::{Email, NationalId, Phone, ProcedureCode};
use infrastructure::staff_search::{self, CaseFilter, SearchRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::caller::{Authorized, Principal, Searchers};
use crate::extract::ApiQuery;
use crate::messages::{FieldIssue, InvalidField};
use crate::pagination::{DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::views::CaseView;
use crate::state::AppState;

const STATUSES: &[&str] = &["new", "booked", "cancelled", "no_show", "closed"];
const CHANNELS: &[&str] = &["web", "phone_010", "counter", "municipal_sync"];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A service day, YYYY-MM-DD in the council's time zone (Europe/Madrid): cases whose slot
    /// starts that day.
    #[param(format = Date)]
    pub day: Option<String>,
    /// `booked`, `cancelled`, `no_show` or `closed`.
    pub status: Option<String>,
    /// A procedure code.
    #[param(example = "PADRON-ALTA")]
    pub procedure: Option<String>,
    /// The clerk of the case's current reservation.
    #[param(example = "clerk-07")]
    pub clerk: Option<String>,
    /// `web`, `phone_010`, `counter` or `municipal_sync`.
    pub channel: Option<String>,
    /// DNI/NIE, exact (spaces, dots, dashes and case ignored). Recorded as a search by personal data.
    #[param(example = "12345678Z")]
    pub national_id: Option<String>,
    /// The municipal system's reference, exact. Recorded.
    pub external_reference: Option<String>,
    /// Part of the citizen's name, at least 3 characters, case and accents ignored. Recorded.
    pub name: Option<String>,
    /// The citizen's email, exact but for case. Recorded.
    pub email: Option<String>,
    /// The citizen's phone, exact once normalised (`600 12 34 56` = `+34600123456`). Recorded.
    pub phone: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Cases per page, 1 to 200 (50 by default).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseListView {
    /// By slot start, then id.
    pub items: Vec<CaseView>,
    /// Pass as `cursor` for the next page (with the same filters); absent on the last page.
    pub next_cursor: Option<String>,
}

/// Collects every filter's error before answering.
#[derive(Default)]
struct Issues(Vec<InvalidField>);

impl Issues {
    fn check<T>(&mut self, field: &str, value: Option<Result<T, FieldIssue>>) -> Option<T> {
        match value? {
            Ok(v) => Some(v),
            Err(issue) => {
                self.0.push(InvalidField::new(field, issue));
                None
            }
        }
    }
}

/// A filter's text, trimmed, with `min..=MAX_FILTER_CHARS` characters.
fn text(value: &str, min: usize) -> Result<String, FieldIssue> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars < min || chars > MAX_FILTER_CHARS || value.chars().any(char::is_control) {
        return Err(FieldIssue::Text {
            min,
            max: MAX_FILTER_CHARS,
        });
    }
    Ok(value.to_string())
}

/// Lower-cases and strips accents as the database's `arreta_fold` does.
fn fold(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ý' | 'ÿ' => 'y',
            other => other,
        })
        .collect()
}

/// The UTC range of a local service day, midnight to midnight (23 or 25 hours on the days the
/// clocks change).
fn day_range(day: NaiveDate, timezone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let midnight = |d: NaiveDate| {
        timezone
            .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    Some((midnight(day)?, midnight(day.succ_opt()?)?))
}

fn cursor_key(case: &CaseView) -> String {
    format!("{}|{}", case.slot.start.to_rfc3339(), case.id)
}

fn parse_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), FieldIssue> {
    let key = decode_cursor(cursor).ok_or(FieldIssue::Cursor)?;
    let (start, id) = key.split_once('|').ok_or(FieldIssue::Cursor)?;
    let start = DateTime::parse_from_rfc3339(start).map_err(|_| FieldIssue::Cursor)?;
    let id = Uuid::parse_str(id).map_err(|_| FieldIssue::Cursor)?;
    Ok((start.with_timezone(&Utc), id))
}

struct Parsed {
    filter: CaseFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
}

impl SearchQuery {
    fn parse(self, timezone: Tz) -> Result<Parsed, ApiError> {
        let mut issues = Issues::default();
        let day = issues.check(
            "day",
            self.day.as_deref().map(|d| {
                NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .ok()
                    .and_then(|d| day_range(d, timezone))
                    .ok_or(FieldIssue::Date)
            }),
        );
        let status = issues.check(
            "status",
            self.status.as_deref().map(|s| {
                CaseStatus::parse(s.trim())
                    .filter(|s| *s != CaseStatus::New)
                    .ok_or(FieldIssue::OneOf(&STATUSES[1..]))
            }),
        );
        let procedure = issues.check(
            "procedure",
            self.procedure.as_deref().map(|p| {
                ProcedureCode::parse(p)
                    .map(|p| p.as_str().to_string())
                    .map_err(FieldIssue::Value)
            }),
        );
        let clerk = issues.check("clerk", self.clerk.as_deref().map(|c| text(c, 1)));
        let channel = issues.check(
            "channel",
            self.channel.as_deref().map(|c| {
                CHANNELS
                    .iter()
                    .find(|known| **known == c.trim())
                    .map(|c| (*c).to_string())
                    .ok_or(FieldIssue::OneOf(CHANNELS))
            }),
        );
        let national_id = issues.check(
            "national_id",
            self.national_id.as_deref().map(|n| {
                NationalId::parse(n)
                    .map(|n| n.as_str().to_string())
                    .map_err(FieldIssue::Value)
            }),
        );
        let external_reference = issues.check(
            "external_reference",
            self.external_reference.as_deref().map(|r| text(r, 1)),
        );
        let name = issues.check(
            "name",
            self.name
                .as_deref()
                .map(|n| text(n, MIN_NAME_CHARS).map(|n| fold(&n))),
        );
        let email = issues.check(
            "email",
            self.email.as_deref().map(|e| {
                Email::parse(e)
                    .map(|e| e.as_str().to_lowercase())
                    .map_err(FieldIssue::Value)
            }),
        );
        let phone = issues.check(
            "phone",
            self.phone.as_deref().map(|p| {
                Phone::parse(p.trim())
                    .map(|p| p.as_str().to_string())
                    .map_err(FieldIssue::Value)
            }),
        );
        let after = issues.check("cursor", self.cursor.as_deref().map(parse_cursor));
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            issues.0.push(InvalidField::new(
                "limit",
                FieldIssue::Limit { max: MAX_LIMIT },
            ));
        }
        if !issues.0.is_empty() {
            return Err(ApiError::InvalidQuery(issues.0));
        }
        Ok(Parsed {
            filter: CaseFilter {
                day,
                status,
                procedure,
                clerk,
                channel,
                national_id,
                external_reference,
                name,
                email,
                phone,
            },
            after,
            limit,
        })
    }
}

/// Finds cases (clerks, supervisors, auditors, and 010 operators finding a caller's
/// appointment). Searches by DNI/NIE, external reference, name, email or phone are recorded (who,
/// in what role, when, which filters and the values, kept 90 days) before the answer is sent,
/// also when nothing matches, and every case returned lists the search among the accesses its
/// citizen sees (`GET /v1/requests/{id}/accesses`). Cases whose personal data was erased never
/// match those filters.
#[utoipa::path(get, path = "/v1/requests", tag = "cases", params(SearchQuery),
    responses(
        (status = 200, description = "One page of cases", body = CaseListView),
        (status = 400, description = "A filter, cursor or limit is invalid", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn search(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Searchers>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<CaseListView>, ApiError> {
    let timezone = state.booking.calendar().timezone;
    let Parsed {
        filter,
        after,
        limit,
    } = query.parse(timezone)?;
    let mut conn = state.pool.acquire().await?;
    // One more than the page tells whether there is a next one.
    let mut cases =
        staff_search::search_cases(&mut conn, &filter, after, i64::from(limit) + 1).await?;
    let more = cases.len() > limit as usize;
    cases.truncate(limit as usize);
    let kinds = filter.personal();
    if search_is_recorded(&kinds) {
        let Principal::Staff { id, .. } = &caller.principal else {
            return Err(ApiError::Forbidden);
        };
        let searched_at = state.booking.now();
        let looked_for: serde_json::Map<String, serde_json::Value> = kinds
            .iter()
            .filter_map(|k| Some((k.as_str().to_string(), filter.personal_value(*k)?.into())))
            .collect();
        let record = SearchRecord {
            search_id: Uuid::now_v7(),
            staff_id: id.clone(),
            role: caller.role.as_str().to_string(),
            searched_at,
            kinds,
            looked_for: looked_for.into(),
            looked_for_until: searched_value_kept_until(searched_at),
            correlation_id: caller.correlation_id,
            request_id: caller.request_id.clone(),
        };
        let returned: Vec<Uuid> = cases.iter().map(|c| c.request_id).collect();
        staff_search::record_search(&mut conn, &record, &returned).await?;
    }
    let items: Vec<CaseView> = cases
        .into_iter()
        .map(|c| CaseView::new(c, timezone))
        .collect();
    let next_cursor = if more {
        items.last().map(|c| encode_cursor(&cursor_key(c)))
    } else {
        None
    };
    Ok(Json(CaseListView { items, next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_as_the_database_does() {
        assert_eq!(fold("Íñigo Ibáñez MÜLLER"), "inigo ibanez muller");
    }

    #[test]
    fn a_madrid_day_is_its_local_midnights() {
        let tz: Tz = "Europe/Madrid".parse().expect("tz");
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).expect("date");
        let (from, to) = day_range(day, tz).expect("range");
        assert_eq!(from.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        // Summer time starts: a 23-hour day.
        assert_eq!(to.to_rfc3339(), "2026-03-29T22:00:00+00:00");
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T08:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let id = Uuid::now_v7();
        let key = encode_cursor(&format!("{}|{id}", at.to_rfc3339()));
        assert_eq!(parse_cursor(&key), Ok((at, id)));
        assert_eq!(parse_cursor("%%"), Err(FieldIssue::Cursor));
        assert_eq!(parse_cursor(&encode_cursor("x|y")), Err(FieldIssue::Cursor));
    }
}
