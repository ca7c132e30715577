//! Who is calling, and what they may do. Every route takes its caller from the extractors here.
//!
//! Staff carry a bearer JWT from the council's identity provider; citizens are anonymous or carry
//! a capability link (a bearer token Arreta issued for one request and one purpose). Anonymous
//! callers and link holders are rate limited by client address.

use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use domain::capability::{Purpose, check_link, check_link_reading};
use domain::metadata::{EventMetadata, Role};
use infrastructure::read_models;
use infrastructure::tokens::{CapabilityClaims, Credential};
use uuid::Uuid;

use crate::problem::ApiError;
use crate::rate_limit::LimitClass;
use crate::state::AppState;

pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Who presented what.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    Anonymous,
    Staff { id: String, roles: Vec<Role> },
    Citizen(CapabilityClaims),
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The role the caller acts in on this route (set when authorised).
    pub role: Role,
    pub request_id: Option<String>,
    pub correlation_id: Uuid,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

impl Caller {
    /// The purpose of the citizen's link, for a link holder.
    pub fn link_purpose(&self) -> Option<Purpose> {
        match &self.principal {
            Principal::Citizen(link) => Some(link.purpose),
            _ => None,
        }
    }

    /// `staff:<id>`, `citizen:<request>` for a link holder, `citizen` when anonymous.
    pub fn actor(&self) -> String {
        match &self.principal {
            Principal::Anonymous => "citizen".into(),
            Principal::Staff { id, .. } => format!("staff:{id}"),
            Principal::Citizen(link) => format!("citizen:{}", link.sub),
        }
    }

    /// A key that scopes what this caller does (idempotency keys).
    pub fn scope(&self) -> String {
        match &self.principal {
            Principal::Anonymous => format!(
                "anonymous:{}",
                self.client_address.as_deref().unwrap_or("unknown")
            ),
            Principal::Staff { id, .. } => format!("staff:{id}"),
            Principal::Citizen(link) => format!("link:{}", link.jti),
        }
    }

    pub fn metadata(&self, occurred_at: DateTime<Utc>) -> EventMetadata {
        EventMetadata {
            actor: self.actor(),
            role: self.role,
            correlation_id: self.correlation_id,
            causation_id: None,
            request_id: self.request_id.clone(),
            occurred_at,
            client_address: self.client_address.clone(),
            user_agent: self.user_agent.clone(),
        }
    }

    /// The first of `allowed` this caller holds, if any.
    fn staff_role(&self, allowed: &[Role]) -> Option<Role> {
        match &self.principal {
            Principal::Staff { roles, .. } => allowed.iter().copied().find(|r| roles.contains(r)),
            _ => None,
        }
    }

    /// Refuses callers without one of `allowed`: 401 for an anonymous caller (they may yet
    /// authenticate), 403 for everyone else. Anonymous callers and link holders count as
    /// `Role::Citizen`.
    fn authorise(&mut self, allowed: &[Role]) -> Result<(), ApiError> {
        if let Some(role) = self.staff_role(allowed) {
            self.role = role;
            return Ok(());
        }
        let citizen = matches!(self.principal, Principal::Anonymous | Principal::Citizen(_));
        if citizen && allowed.contains(&Role::Citizen) {
            self.role = Role::Citizen;
            return Ok(());
        }
        match self.principal {
            Principal::Anonymous => Err(ApiError::Unauthenticated),
            _ => Err(ApiError::Forbidden),
        }
    }
}

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName, max: usize) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(max).collect())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let headers = &parts.headers;
        let principal = match headers.get(header::AUTHORIZATION) {
            None => Principal::Anonymous,
            Some(value) => {
                let text = value.to_str().map_err(|_| ApiError::InvalidToken)?;
                let (scheme, token) = text.split_once(' ').ok_or(ApiError::InvalidToken)?;
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return Err(ApiError::InvalidToken);
                }
                match state.authenticator.verify(token.trim()) {
                    Ok(Credential::Staff(identity)) => Principal::Staff {
                        id: identity.subject,
                        roles: identity.roles,
                    },
                    Ok(Credential::Link(claims)) => Principal::Citizen(claims),
                    Err(error) => {
                        tracing::info!(%error, "bearer token refused");
                        return Err(ApiError::InvalidToken);
                    }
                }
            }
        };
        let client_address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let class = match principal {
            Principal::Anonymous => Some(LimitClass::Public),
            Principal::Citizen(_) => Some(LimitClass::Citizen),
            Principal::Staff { .. } => None,
        };
        if let (Some(class), Some(address)) = (class, client_address.as_deref()) {
            state.rate_limiter.check(class, address)?;
        }
        let caller = Self {
            principal,
            role: Role::Citizen,
            request_id: header_text(headers, "x-request-id", 64),
            correlation_id: header_text(headers, CORRELATION_HEADER, 64)
                .and_then(|v| Uuid::parse_str(&v).ok())
                .unwrap_or_else(Uuid::now_v7),
            client_address,
            user_agent: header_text(headers, header::USER_AGENT, 256),
        };
        // Extracted once per request, whichever extractor asks first.
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A set of roles allowed on a route. `Role::Citizen` admits anonymous callers and link holders.
pub trait Roles: Send + Sync {
    const ALLOWED: &'static [Role];
}

/// The purposes of capability links a case route accepts.
pub trait Purposes: Send + Sync {
    const ACCEPTED: &'static [Purpose];
}

macro_rules! roles {
    ($($(#[$doc:meta])* $name:ident => [$($role:ident),*];)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl Roles for $name {
            const ALLOWED: &'static [Role] = &[$(Role::$role),*];
        }
    )*};
}

roles! {
    /// Everyone, anonymous included: the catalogue, availability, health.
    Anyone => [Citizen, Clerk, Supervisor, Auditor, Reporting, MunicipalSync, Recorder, Operator];
    /// Who may book: citizens on the web, clerks and supervisors for the 010 line and the
    /// counter, 010 operators by phone (`Channel::may_be_booked_by`).
    Bookers => [Citizen, Clerk, Supervisor, Operator];
    /// The council's front office.
    Staff => [Clerk, Supervisor];
    /// Who may move or cancel an appointment: the front office, and 010 operators on a
    /// caller's behalf.
    Schedulers => [Clerk, Supervisor, Operator];
    /// Staff who may read a case's summary (who, what, when, status). An operator reads it: to
    /// move a caller's appointment they must find it, check with the caller that it is theirs
    /// (name, DNI/NIE) and tell them the time; that is the data the caller gave at booking.
    CaseSummaryReaders => [Clerk, Supervisor, Auditor, Operator];
    /// Staff who may read what happened in a case beyond its summary: the call, documents,
    /// signatures. Not operators.
    CaseReaders => [Clerk, Supervisor, Auditor];
    /// Who may search cases (`GET /v1/requests`), by personal data too (each such search
    /// recorded): the 010 line finds a caller's appointment this way.
    Searchers => [Clerk, Supervisor, Auditor, Operator];
    /// Who may replay a case's history.
    Auditors => [Auditor, Supervisor];
    /// Who may read the figures.
    Reporters => [Reporting, Supervisor, Auditor];
    /// The council's appointment system.
    MunicipalSystem => [MunicipalSync];
}

/// Link purposes.
pub struct NoLinks;
pub struct AnyLink;
pub struct ManageLink;
pub struct UploadLink;
pub struct SignLink;
pub struct JoinLink;
/// The document space from a link: the upload link, or the join link during the call (the
/// case decides, `CitizenRequest::link_may_upload`).
pub struct DocumentLinks;
/// The document list from a link: the document space's links, and the manage link, whose page
/// shows what was asked and how it was reviewed.
pub struct DocumentListLinks;
/// A document's content from a link: what is put up for signature (sign link) or what staff
/// handed over in the call (join link) (`CitizenRequest::link_may_read`).
pub struct ReadingLinks;

impl Purposes for NoLinks {
    const ACCEPTED: &'static [Purpose] = &[];
}
impl Purposes for AnyLink {
    const ACCEPTED: &'static [Purpose] = &Purpose::ALL;
}
impl Purposes for ManageLink {
    const ACCEPTED: &'static [Purpose] = &[Purpose::Manage];
}
impl Purposes for JoinLink {
    const ACCEPTED: &'static [Purpose] = &[Purpose::Join];
}
impl Purposes for SignLink {
    const ACCEPTED: &'static [Purpose] = &[Purpose::Sign];
}
impl Purposes for UploadLink {
    const ACCEPTED: &'static [Purpose] = &[Purpose::Upload];
}
impl Purposes for DocumentLinks {
    const ACCEPTED: &'static [Purpose] = &[Purpose::Upload, Purpose::Join];
}
impl Purposes for DocumentListLinks {
    const ACCEPTED: &'static [Purpose] = &[Purpose::Upload, Purpose::Join, Purpose::Manage];
}
impl Purposes for ReadingLinks {
    const ACCEPTED: &'static [Purpose] = &[Purpose::Sign, Purpose::Join];
}

/// A caller whose role is among `R`. As an extractor it runs before the body is read, so a
/// caller without the right gets 401/403 and learns nothing about the body's validity.
pub struct Authorized<R: Roles>(pub Caller, pub PhantomData<R>);

impl<R: Roles> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut caller = Caller::from_request_parts(parts, state).await?;
        caller.authorise(R::ALLOWED)?;
        Ok(Self(caller, PhantomData))
    }
}

/// A caller allowed on one case (`{id}` in the path): staff in `R`, or a citizen holding a live
/// link for this very case with one of the purposes `P`.
pub struct CaseCaller<R: Roles, P: Purposes> {
    pub caller: Caller,
    pub request_id: Uuid,
    _marker: PhantomData<(R, P)>,
}

impl<R: Roles, P: Purposes> FromRequestParts<AppState> for CaseCaller<R, P> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut caller = Caller::from_request_parts(parts, state).await?;
        let crate::extract::RequestId(request_id) =
            crate::extract::RequestId::from_request_parts(parts, state).await?;
        match &caller.principal {
            Principal::Staff { .. } => caller.authorise(R::ALLOWED)?,
            Principal::Anonymous => return Err(ApiError::Unauthenticated),
            Principal::Citizen(link) => {
                if link.sub != request_id || !P::ACCEPTED.contains(&link.purpose) {
                    return Err(ApiError::Forbidden);
                }
                // The event store, not a read model that may lag a close or a cancel, decides
                // whether the link still works.
                let mut conn = state.pool.acquire().await?;
                let current = read_models::case_summary_from_events(
                    &mut conn,
                    state.booking.personal(),
                    request_id,
                )
                .await?
                .ok_or(ApiError::NotFound)?;
                // A read (GET) of a closed case still works with the manage link.
                let check = if parts.method == axum::http::Method::GET {
                    check_link_reading
                } else {
                    check_link
                };
                check(
                    link.purpose,
                    link.slot_start(),
                    current.status,
                    current.slot_start,
                )
                .map_err(ApiError::LinkVoid)?;
                caller.role = Role::Citizen;
            }
        }
        Ok(Self {
            caller,
            request_id,
            _marker: PhantomData,
        })
    }
}
