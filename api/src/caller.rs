//! Who is calling. Every route takes its caller from this one extractor, so the security work
//! (verified JWTs for staff, capability links for citizens) changes this file, not the handlers.
//!
//! Until then, in the local profile only, the caller's role and staff id are read from the
//! `X-Arreta-Role` and `X-Arreta-Staff` headers, unverified; without them the caller is an
//! anonymous citizen. The production profile refuses to start with this (see `main.rs`).

use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use domain::metadata::{EventMetadata, Role};
use uuid::Uuid;

use crate::problem::ApiError;

pub const ROLE_HEADER: &str = "x-arreta-role";
pub const STAFF_HEADER: &str = "x-arreta-staff";
pub const CORRELATION_HEADER: &str = "x-correlation-id";

#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    /// `staff:<id>` for staff, `citizen` for a citizen.
    pub actor: String,
    pub request_id: Option<String>,
    pub correlation_id: Uuid,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

impl Caller {
    /// Refuses callers whose role is not among `roles`: 401 for an anonymous citizen (they may
    /// yet identify), 403 for everyone else.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else if self.role == Role::Citizen {
            Err(ApiError::Unauthenticated)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn metadata(&self, occurred_at: DateTime<Utc>) -> EventMetadata {
        EventMetadata {
            actor: self.actor.clone(),
            role: self.role,
            correlation_id: self.correlation_id,
            causation_id: None,
            request_id: self.request_id.clone(),
            occurred_at,
            client_address: self.client_address.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

fn header(headers: &HeaderMap, name: &str, max: usize) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(max).collect())
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let role = match header(headers, ROLE_HEADER, 32) {
            None => Role::Citizen,
            Some(text) => match Role::parse(text.trim()) {
                Some(Role::System) | None => return Err(ApiError::Unauthenticated),
                Some(role) => role,
            },
        };
        let actor = if role == Role::Citizen {
            "citizen".to_string()
        } else {
            let staff = header(headers, STAFF_HEADER, 64)
                .filter(|id| !id.trim().is_empty() && id.chars().all(|c| c.is_ascii_graphic()))
                .ok_or(ApiError::Unauthenticated)?;
            format!("staff:{staff}")
        };
        let correlation_id = header(headers, CORRELATION_HEADER, 64)
            .and_then(|v| Uuid::parse_str(&v).ok())
            .unwrap_or_else(Uuid::now_v7);
        Ok(Self {
            role,
            actor,
            request_id: header(headers, "x-request-id", 64),
            correlation_id,
            client_address: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string()),
            user_agent: header(headers, "user-agent", 256),
        })
    }
}

/// A set of roles allowed on a route.
pub trait Roles: Send + Sync {
    const ALLOWED: &'static [Role];
}

/// Everyone, including anonymous citizens: the catalogue, availability, health.
pub struct Anyone;
/// Who may book: citizens on the web, clerks and supervisors for the 010 line and the counter.
pub struct Bookers;
/// The council's front office.
pub struct Staff;
/// Who may read a case.
pub struct CaseReaders;
/// Who may replay a case's history.
pub struct Auditors;

impl Roles for Anyone {
    const ALLOWED: &'static [Role] = &[
        Role::Citizen,
        Role::Clerk,
        Role::Supervisor,
        Role::Auditor,
        Role::Reporting,
        Role::MunicipalSync,
        Role::Recorder,
    ];
}
impl Roles for Bookers {
    const ALLOWED: &'static [Role] = &[Role::Citizen, Role::Clerk, Role::Supervisor];
}
impl Roles for Staff {
    const ALLOWED: &'static [Role] = &[Role::Clerk, Role::Supervisor];
}
impl Roles for CaseReaders {
    const ALLOWED: &'static [Role] = &[Role::Clerk, Role::Supervisor, Role::Auditor];
}
impl Roles for Auditors {
    const ALLOWED: &'static [Role] = &[Role::Auditor, Role::Supervisor];
}

/// A caller whose role is among `R`. As an extractor it runs before the body is read, so a
/// caller without the right gets 401/403 and learns nothing about the body's validity.
pub struct Authorized<R: Roles>(pub Caller, pub PhantomData<R>);

impl<S: Send + Sync, R: Roles> FromRequestParts<S> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(R::ALLOWED)?;
        Ok(Self(caller, PhantomData))
    }
}
