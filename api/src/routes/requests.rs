//! Booking and the lifecycle of a citizen request.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use domain::calendar::ClerkId;
use domain::capability::{LinkError, Purpose, check_link};
use domain::citizen_request::{
    CancelledBy, CaseOutcome, CaseStatus, Channel, Citizen, CitizenRequestError,
};
use domain::values::{CitizenName, Email, Language, NationalId, Phone, ProcedureCode};
use infrastructure::booking::{BookingError, CaseState, NewBooking};
use infrastructure::read_models;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::caller::{
    AnyLink, Authorized, Bookers, CaseCaller, CaseSummaryReaders, ManageLink, NoLinks, Principal,
    Schedulers, Staff,
};
use crate::extract::{ApiJson, IfMatch};
use crate::idempotency::IdempotencyKey;
use crate::messages::{FieldIssue, InvalidField};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::booking_guard::{self, ProofBody};
use crate::routes::responses::{CaseAccessProblems, CaseCommandProblems};
use crate::routes::views::CaseView;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitizenBody {
    #[schema(example = "Miren Etxeberria Ruiz")]
    pub name: String,
    /// DNI or NIE with its check letter.
    #[schema(example = "12345678Z")]
    pub national_id: String,
    #[schema(example = "miren@example.org")]
    pub email: String,
    #[schema(example = "+34600123456")]
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    #[schema(example = "PADRON-ALTA", pattern = "^[A-Za-z0-9-]{2,32}$")]
    pub procedure: String,
    /// One of the starts `/v1/availability` proposes, RFC 3339 with offset.
    #[schema(example = "2026-12-02T09:00:00+01:00", format = DateTime)]
    pub start: String,
    /// `web` (default), or `phone_010` and `counter` for staff booking on a citizen's behalf.
    #[schema(pattern = "^(web|phone_010|counter)$")]
    pub channel: Option<String>,
    /// `eu` or `es`.
    #[schema(pattern = "^(eu|es|EU|ES)$")]
    pub language: String,
    pub citizen: CitizenBody,
    /// The municipal appointment system's reference, when there is one. It names one case
    /// whoever books it: the case id derives from it, so the municipal system's `booked` for it
    /// finds this case, and a second booking with it converges on the first or is refused (409).
    pub external_reference: Option<String>,
    /// Required of anonymous web bookings (428 without it): a solved `GET /v1/booking-challenge`.
    /// Staff bookings need none.
    pub proof: Option<ProofBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    #[schema(example = "2026-12-03T10:30:00+01:00", format = DateTime)]
    pub start: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// `resolved`, `referred`, `withdrawn` or `abandoned`.
    #[schema(pattern = "^(resolved|referred|withdrawn|abandoned)$")]
    pub outcome: String,
    pub summary: String,
    pub registry_entry: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignClerkBody {
    #[schema(example = "clerk-07")]
    pub clerk: String,
}

const CHANNELS: &[&str] = &["web", "phone_010", "counter"];
const OUTCOMES: &[&str] = &["resolved", "referred", "withdrawn", "abandoned"];

/// Collects every field error of a body before answering, so the caller fixes them all at once.
#[derive(Default)]
pub(crate) struct Fields(Vec<InvalidField>);

impl Fields {
    pub(crate) fn take<T, E>(
        &mut self,
        field: &str,
        result: Result<T, E>,
        issue: impl FnOnce(E) -> FieldIssue,
    ) -> Option<T> {
        result
            .map_err(|e| self.0.push(InvalidField::new(field, issue(e))))
            .ok()
    }

    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(self.0))
        }
    }
}

fn parse_start(text: &str) -> Result<DateTime<Utc>, ()> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ())
}

fn parse_channel(text: Option<&str>) -> Result<Channel, ()> {
    match text.unwrap_or("web") {
        "web" => Ok(Channel::Web),
        "phone_010" => Ok(Channel::Phone010),
        "counter" => Ok(Channel::Counter),
        _ => Err(()),
    }
}

impl BookBody {
    pub(crate) fn parse(self, request_id: Uuid) -> Result<NewBooking, ApiError> {
        let mut f = Fields::default();
        let procedure = f.take(
            "procedure",
            ProcedureCode::parse(&self.procedure),
            FieldIssue::Value,
        );
        let start = f.take("start", parse_start(&self.start), |_| FieldIssue::DateTime);
        let channel = f.take("channel", parse_channel(self.channel.as_deref()), |_| {
            FieldIssue::OneOf(CHANNELS)
        });
        let language = f.take(
            "language",
            Language::parse(&self.language),
            FieldIssue::Value,
        );
        let name = f.take(
            "citizen.name",
            CitizenName::parse(&self.citizen.name),
            FieldIssue::Value,
        );
        let national_id = f.take(
            "citizen.national_id",
            NationalId::parse(&self.citizen.national_id),
            FieldIssue::Value,
        );
        let email = f.take(
            "citizen.email",
            Email::parse(&self.citizen.email),
            FieldIssue::Value,
        );
        let phone = match self
            .citizen
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(p) => f.take(
                "citizen.phone",
                Phone::parse(p).map(Some),
                FieldIssue::Value,
            ),
            None => Some(None),
        };
        f.finish()?;
        match (
            procedure,
            start,
            channel,
            language,
            name,
            national_id,
            email,
            phone,
        ) {
            (
                Some(procedure),
                Some(start),
                Some(channel),
                Some(language),
                Some(name),
                Some(national_id),
                Some(email),
                Some(phone),
            ) => Ok(NewBooking {
                request_id,
                procedure,
                start,
                channel,
                language,
                citizen: Citizen {
                    name,
                    national_id,
                    email,
                    phone,
                },
                external_reference: self.external_reference,
            }),
            _ => Err(ApiError::Internal("a parsed field went missing".into())),
        }
    }
}

/// The case as it stands after a command: folded from its events, so the answer carries exactly
/// the version just written even when the read models have not caught up yet.
pub(crate) async fn current_case(state: &AppState, request_id: Uuid) -> Result<CaseView, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let summary =
        read_models::case_summary_from_events(&mut conn, state.booking.personal(), request_id)
            .await?
            .ok_or(ApiError::NotFound)?;
    Ok(CaseView::new(summary, state.booking.calendar().timezone))
}

pub(crate) fn with_etag(status: StatusCode, view: CaseView) -> Response {
    let version = view.version;
    with_version(status, version, view)
}

/// A JSON answer with the case's version as its ETag.
pub(crate) fn with_version(
    status: StatusCode,
    version: impl std::fmt::Display,
    body: impl Serialize,
) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

pub(crate) async fn respond(state: &AppState, done: CaseState) -> Result<Response, ApiError> {
    Ok(with_etag(
        StatusCode::OK,
        current_case(state, done.request_id).await?,
    ))
}

/// Book an appointment: the room is reserved in the day's agenda, then the case is opened.
/// With `Idempotency-Key`, a retry returns the first answer instead of booking twice. An
/// anonymous (web) booking carries a solved `GET /v1/booking-challenge` as `proof`, and is held
/// to one active appointment per DNI/NIE and procedure and `booking_guard.max_active_per_email`
/// per email; staff bookings are held to neither. Citizens book on the `web` channel, 010
/// operators on `phone_010` (on the caller's behalf), clerks and supervisors on any.
#[utoipa::path(post, path = "/v1/requests", tag = "booking", request_body = BookBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer")),
    responses(
        (status = 201, description = "Booked", body = CaseView, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Malformed body or key", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "Invalid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for this caller or channel (citizens book on `web`, operators on `phone_010`)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "No room free at that time, the same key still running, or (anonymous) an active appointment for this DNI/NIE and procedure or too many for this email; nothing written", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid data, a slot that cannot be booked, a key reused with another body, or a proof that does not hold (forged, expired, unsolved or already used)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 428, description = "An anonymous booking without `proof`; nothing written", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; nothing written", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn book(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Bookers>,
    idempotency: Option<Extension<IdempotencyKey>>,
    ApiJson(mut body): ApiJson<BookBody>,
) -> Result<Response, ApiError> {
    // With an Idempotency-Key, a retry books the same request id: the process converges.
    let request_id = idempotency.map_or_else(Uuid::now_v7, |Extension(key)| key.derived_id());
    let proof = body.proof.take();
    let mut booking = body.parse(request_id)?;
    if let Some(reference) = &booking.external_reference {
        // The case of a reference has one id whoever books it (here, or the municipal system
        // through its integration): one reference names at most one case.
        booking.request_id = infrastructure::municipal::request_id(reference);
    }
    if !booking.channel.may_be_booked_by(caller.role) {
        return Err(ApiError::Forbidden);
    }
    // Held until the booking is made: a refusal or a failed booking writes nothing.
    let hold = booking_guard::hold(&state, &caller, &booking, proof.as_ref()).await?;
    let now = state.booking.now();
    let done = state
        .booking
        .book(booking.clone(), &caller.metadata(now))
        .await?;
    booking_guard::release(hold, &booking, now).await;
    let mut view = current_case(&state, done.request_id).await?;
    if caller.principal == Principal::Anonymous {
        // A citizen booking on the web gets the link to manage the booking straight away.
        let (token, _) = state
            .authenticator
            .issue_link(view.id, Purpose::Manage, view.slot.start, now)
            .map_err(|e| ApiError::Internal(format!("issuing a link: {e}")))?;
        view.manage_token = Some(token);
    }
    let location = HeaderValue::from_str(&format!("/v1/requests/{}", view.id)).ok();
    let mut response = with_etag(StatusCode::CREATED, view);
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The case summary: clerks, supervisors, auditors and 010 operators, or the citizen with any
/// link of this case.
#[utoipa::path(get, path = "/v1/requests/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The case", body = CaseView, headers(("ETag" = String))),
        CaseAccessProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    case: CaseCaller<CaseSummaryReaders, AnyLink>,
) -> Result<Response, ApiError> {
    let id = case.request_id;
    let mut conn = state.pool.acquire().await?;
    let summary = match read_models::case_summary(&mut conn, id).await? {
        Some(summary) => summary,
        // Not projected yet (just booked): the event store has it.
        None => read_models::case_summary_from_events(&mut conn, state.booking.personal(), id)
            .await?
            .ok_or(ApiError::NotFound)?,
    };
    Ok(with_etag(
        StatusCode::OK,
        CaseView::new(summary, state.booking.calendar().timezone),
    ))
}

/// Move the appointment to another proposed slot: clerks, supervisors, 010 operators on the
/// caller's behalf, or the citizen's manage link.
/// `If-Match` makes it conditional on the case's version.
#[utoipa::path(post, path = "/v1/requests/{id}/reschedule", tag = "cases", request_body = RescheduleBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag")),
    responses(
        (status = 200, description = "Rescheduled", body = CaseView),
        (status = 409, description = "No room free, or the case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid slot", body = ProblemBody, content_type = "application/problem+json"),
        CaseCommandProblems,
    ))]
pub async fn reschedule(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Schedulers, ManageLink>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> Result<Response, ApiError> {
    let mut f = Fields::default();
    let start = f.take("start", parse_start(&body.start), |_| FieldIssue::DateTime);
    f.finish()?;
    let start = start.ok_or_else(|| ApiError::Internal("start went missing".into()))?;
    let metadata = caller.metadata(state.booking.now());
    let done = state
        .booking
        .reschedule(id, start, &metadata, expected)
        .await?;
    let mut view = current_case(&state, done.request_id).await?;
    if caller.link_purpose() == Some(Purpose::Manage) {
        // The link in hand may end a month after the old time, sooner than the new one needs.
        let (token, _) = state
            .authenticator
            .issue_link(
                view.id,
                Purpose::Manage,
                view.slot.start,
                metadata.occurred_at,
            )
            .map_err(|e| ApiError::Internal(format!("issuing a link: {e}")))?;
        view.manage_token = Some(token);
    }
    Ok(with_etag(StatusCode::OK, view))
}

/// Cancel the appointment; its room is freed: clerks, supervisors, 010 operators on the
/// caller's behalf (counted as the citizen's cancellation), or the citizen's manage link.
#[utoipa::path(post, path = "/v1/requests/{id}/cancel", tag = "cases", request_body = CancelBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag")),
    responses(
        (status = 200, description = "Cancelled", body = CaseView),
        (status = 409, description = "The case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        CaseCommandProblems,
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Schedulers, ManageLink>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<Response, ApiError> {
    let by = CancelledBy::acting_as(caller.role);
    let reason = body.reason.unwrap_or_default();
    let metadata = caller.metadata(state.booking.now());
    let done = state
        .booking
        .cancel(id, reason, by, &metadata, expected)
        .await?;
    respond(&state, done).await
}

/// Record that the citizen did not come.
#[utoipa::path(post, path = "/v1/requests/{id}/no-show", tag = "cases",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag")),
    responses(
        (status = 200, description = "Recorded", body = CaseView),
        (status = 409, description = "Too early, or the case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        CaseCommandProblems,
    ))]
pub async fn no_show(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, NoLinks>,
    IfMatch(expected): IfMatch,
) -> Result<Response, ApiError> {
    let metadata = caller.metadata(state.booking.now());
    let done = state
        .booking
        .record_no_show(id, &metadata, expected)
        .await?;
    respond(&state, done).await
}

/// Close the case with its outcome.
#[utoipa::path(post, path = "/v1/requests/{id}/close", tag = "cases", request_body = CloseBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag")),
    responses(
        (status = 200, description = "Closed", body = CaseView),
        (status = 409, description = "The case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid data", body = ProblemBody, content_type = "application/problem+json"),
        CaseCommandProblems,
    ))]
pub async fn close(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, NoLinks>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<CloseBody>,
) -> Result<Response, ApiError> {
    let outcome = match body.outcome.as_str() {
        "resolved" => CaseOutcome::Resolved,
        "referred" => CaseOutcome::Referred,
        "withdrawn" => CaseOutcome::Withdrawn,
        "abandoned" => CaseOutcome::Abandoned,
        _ => {
            return Err(ApiError::Invalid(vec![InvalidField::new(
                "outcome",
                FieldIssue::OneOf(OUTCOMES),
            )]));
        }
    };
    let metadata = caller.metadata(state.booking.now());
    let done = state
        .booking
        .close(
            id,
            outcome,
            body.summary,
            body.registry_entry,
            &metadata,
            expected,
        )
        .await?;
    respond(&state, done).await
}

/// Assign a clerk to the appointment; a clerk attends one appointment at a time.
#[utoipa::path(post, path = "/v1/requests/{id}/clerk", tag = "cases", request_body = AssignClerkBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag")),
    responses(
        (status = 200, description = "Assigned", body = CaseView),
        (status = 409, description = "The clerk is busy then, or the case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Unknown clerk", body = ProblemBody, content_type = "application/problem+json"),
        CaseCommandProblems,
    ))]
pub async fn assign_clerk(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, NoLinks>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<AssignClerkBody>,
) -> Result<Response, ApiError> {
    let metadata = caller.metadata(state.booking.now());
    let clerk = ClerkId(body.clerk.trim().to_string());
    let done = state
        .booking
        .assign_clerk(id, clerk, &metadata, expected)
        .await?;
    respond(&state, done).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// `manage`, `upload`, `join` or `sign`.
    #[schema(pattern = "^(manage|upload|join|sign)$")]
    pub purpose: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    /// The bearer token to put in the link sent to the citizen.
    pub token: String,
    pub purpose: String,
    pub request_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

const PURPOSES: &[&str] = &["manage", "upload", "join", "sign"];

/// Issue a capability link for the citizen: one purpose on this case, short-lived, void once the
/// case is closed or cancelled (and, for a join link, once the appointment moves).
#[utoipa::path(post, path = "/v1/requests/{id}/links", tag = "cases", request_body = LinkBody,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Issued", body = LinkView),
        (status = 409, description = "The case is closed or cancelled", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Unknown purpose", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn issue_link(
    State(state): State<AppState>,
    CaseCaller { request_id: id, .. }: CaseCaller<Staff, NoLinks>,
    ApiJson(body): ApiJson<LinkBody>,
) -> Result<Response, ApiError> {
    let purpose = Purpose::parse(body.purpose.trim()).ok_or_else(|| {
        ApiError::Invalid(vec![InvalidField::new(
            "purpose",
            FieldIssue::OneOf(PURPOSES),
        )])
    })?;
    let case = current_case(&state, id).await?;
    let (status, start) = (
        CaseStatus::parse(&case.status).unwrap_or(CaseStatus::New),
        case.slot.start,
    );
    check_link(purpose, Some(start), status, start).map_err(|e| {
        ApiError::Booking(BookingError::Request(match e {
            LinkError::Cancelled => CitizenRequestError::Cancelled,
            LinkError::CaseClosed | LinkError::Rescheduled => CitizenRequestError::Closed,
        }))
    })?;
    let (token, claims) = state
        .authenticator
        .issue_link(id, purpose, start, state.booking.now())
        .map_err(|e| ApiError::Internal(format!("issuing a link: {e}")))?;
    let view = LinkView {
        token,
        purpose: purpose.as_str().to_string(),
        request_id: id,
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}
