//! WHIP (RFC 9725): `POST /whip/{request}` with an SDP offer starts a publication and answers
//! 201 with the SDP answer and the resource's URL in `Location`; `DELETE` on that URL ends it.
//! The citizen authenticates with the case's join link, the clerk with a staff token; a
//! publication is accepted only for a call in progress with consent given (403 otherwise).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use domain::capability::{Purpose, check_link};
use domain::citizen_request::Participant;
use domain::metadata::Role;
use infrastructure::booking::BookingError;
use infrastructure::tokens::{Authenticator, Credential};
use uuid::Uuid;

use crate::recorder::{PublishError, Recorder};

#[derive(Clone)]
pub struct WhipState {
    pub recorder: Arc<Recorder>,
    pub authenticator: Arc<Authenticator>,
}

/// The WHIP routes, answering CORS for `origins` (the pages that publish from a browser).
pub fn router(state: WhipState, origins: Vec<String>) -> Router {
    let cors = Arc::new(infrastructure::cors::CorsPolicy::whip(origins));
    Router::new()
        .route("/whip/{request}", post(publish))
        .route("/whip/{request}/{resource}", delete(unpublish))
        .route("/health/live", axum::routing::get(|| async { "ok" }))
        .layer(axum::middleware::from_fn_with_state(
            cors,
            infrastructure::cors::cors,
        ))
        .with_state(state)
}

/// A plain problem (RFC 9457) in both languages: the recorder has no Accept-Language of note.
fn problem(status: StatusCode, slug: &str, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": format!("urn:arreta:problem:{slug}"),
        "title": detail,
        "status": status.as_u16(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// Who publishes: the citizen through a live join link of this case, or staff in the call.
async fn participant(
    state: &WhipState,
    headers: &HeaderMap,
    request_id: Uuid,
) -> Result<(Participant, Option<String>), Response> {
    let unauthenticated = || {
        problem(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Egiaztagiria falta da / Falta la credencial",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthenticated)?;
    let forbidden = || {
        problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Ez dago baimenduta / No permitido",
        )
    };
    match state.authenticator.verify(token.trim()) {
        Ok(Credential::Staff(staff))
            if staff
                .roles
                .iter()
                .any(|r| matches!(r, Role::Clerk | Role::Supervisor)) =>
        {
            Ok((Participant::Clerk, Some(format!("staff:{}", staff.subject))))
        }
        Ok(Credential::Staff(_)) => Err(forbidden()),
        Ok(Credential::Link(link)) if link.sub == request_id && link.purpose == Purpose::Join => {
            let (case, _) = state
                .recorder
                .booking
                .load(request_id)
                .await
                .map_err(|_| forbidden())?;
            let start = case.booking().map(|b| b.slot.start).ok_or_else(forbidden)?;
            check_link(link.purpose, link.slot_start(), case.status(), start)
                .map_err(|_| unauthenticated())?;
            Ok((Participant::Citizen, None))
        }
        Ok(Credential::Link(_)) => Err(forbidden()),
        Err(_) => Err(unauthenticated()),
    }
}

async fn publish(
    State(state): State<WhipState>,
    Path(request_id): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (participant, staff) = match participant(&state, &headers, request_id).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let is_sdp = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/sdp"));
    if !is_sdp {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "application/sdp behar da / Se necesita application/sdp",
        );
    }
    let Ok(offer) = String::from_utf8(body.to_vec()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad-offer",
            "SDP okerra / SDP no válido",
        );
    };
    match state
        .recorder
        .publish(request_id, participant, staff.as_deref(), offer)
        .await
    {
        Ok((resource, answer)) => {
            let mut response = (StatusCode::CREATED, answer).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/sdp"),
            );
            if let Ok(location) = HeaderValue::from_str(&format!("/whip/{request_id}/{resource}")) {
                headers.insert(header::LOCATION, location);
            }
            response
        }
        Err(PublishError::NoConsent) => problem(
            StatusCode::FORBIDDEN,
            "recording-consent-missing",
            "Herritarrak ez du grabatzeko baimenik eman / La persona no ha consentido la grabación",
        ),
        Err(PublishError::NoCall | PublishError::NotInCall) => problem(
            StatusCode::FORBIDDEN,
            "no-call-in-progress",
            "Ez dago deirik martxan / No hay llamada en curso",
        ),
        Err(PublishError::AlreadyPublishing) => problem(
            StatusCode::CONFLICT,
            "already-publishing",
            "Dagoeneko argitaratzen / Ya está publicando",
        ),
        Err(PublishError::Case(BookingError::NotFound(_))) => problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Ez da aurkitu / No encontrado",
        ),
        Err(PublishError::Session(crate::session::SessionError::Offer(
            crate::offer::OfferError::NotSdp,
        ))) => problem(
            StatusCode::BAD_REQUEST,
            "bad-offer",
            "SDP okerra / SDP no válido",
        ),
        Err(PublishError::Session(crate::session::SessionError::Offer(
            crate::offer::OfferError::NothingToRecord,
        ))) => problem(
            StatusCode::BAD_REQUEST,
            "bad-offer",
            "Eskaintzak ez du Opus audiorik ez VP8 edo H264 bideorik / La oferta no trae audio Opus ni vídeo VP8 o H264",
        ),
        Err(error) => {
            tracing::error!(%request_id, %error, "publication refused");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Zerbitzua ez dago erabilgarri / Servicio no disponible",
            )
        }
    }
}

async fn unpublish(
    State(state): State<WhipState>,
    Path((request_id, resource)): Path<(Uuid, Uuid)>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = participant(&state, &headers, request_id).await {
        return response;
    }
    if state.recorder.unpublish(request_id, resource) {
        StatusCode::OK.into_response()
    } else {
        problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Ez da aurkitu / No encontrado",
        )
    }
}
