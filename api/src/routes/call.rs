//! The video call: a clerk opens it (one of the day's call places), the citizen joins with the
//! join link, both exchange signalling over a WebSocket, the citizen answers whether it may be
//! recorded, and the clerk ends it.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::capability::{Purpose, check_link};
use domain::citizen_request::{
    CallRecord, CitizenRequest, ConsentDecision, ConsentWording, Participant, RecordingRecord,
};
use domain::metadata::Role;
use domain::values::Language;
use infrastructure::calls;
use infrastructure::tokens::Credential;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::caller::{CaseCaller, CaseReaders, JoinLink, NoLinks, Staff};
use crate::extract::{ApiJson, ApiQuery, RequestId};
use crate::messages::{FieldIssue, InvalidField};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::requests::with_version;
use crate::routes::responses::CaseAccessProblems;
use crate::signalling;
use crate::state::AppState;

/// A STUN or TURN server for `RTCPeerConnection`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IceServerView {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

/// The case's call as a participant needs it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallView {
    pub request_id: Uuid,
    pub call_id: Option<Uuid>,
    /// `none`, `in_progress` or `ended`.
    pub status: String,
    /// `not_asked`, `given`, `declined` or `withdrawn`.
    pub consent: String,
    pub clerk: Option<String>,
    pub room: Option<u8>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// STUN/TURN servers for the browsers.
    pub ice_servers: Vec<IceServerView>,
    /// Where each participant publishes to the recorder (WHIP) once consent is given.
    pub whip_url: String,
    /// The signalling WebSocket's path; the token goes in `?token=`.
    pub signalling_path: String,
    pub recordings: Vec<RecordingView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingView {
    pub id: Uuid,
    pub call_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// `citizen` and/or `clerk`, once their files are stored.
    pub stored: Vec<StoredView>,
    pub failed: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoredView {
    pub participant: String,
    pub object_key: String,
    pub version_id: String,
    pub sha256: String,
    pub size: u64,
    pub duration_ms: u64,
    pub retain_until: DateTime<Utc>,
}

pub(crate) fn recording_view(r: &RecordingRecord) -> RecordingView {
    RecordingView {
        id: r.recording_id,
        call_id: r.call_id,
        started_at: r.started_at,
        stored: r
            .stored
            .iter()
            .map(|s| StoredView {
                participant: s.participant.as_str().into(),
                object_key: s.object_key.clone(),
                version_id: s.version_id.clone(),
                sha256: s.sha256.clone(),
                size: s.size,
                duration_ms: s.duration_ms,
                retain_until: s.retain_until,
            })
            .collect(),
        failed: r
            .failed
            .iter()
            .map(|(p, reason)| match p {
                Some(p) => format!("{}: {reason}", p.as_str()),
                None => reason.clone(),
            })
            .collect(),
    }
}

fn view(state: &AppState, request_id: Uuid, case: &CitizenRequest) -> CallView {
    let call: Option<&CallRecord> = case.last_call();
    let settings = &state.settings.call;
    CallView {
        request_id,
        call_id: call.map(|c| c.call_id),
        status: match call {
            None => "none",
            Some(c) if c.ended_at.is_none() => "in_progress",
            Some(_) => "ended",
        }
        .into(),
        consent: call
            .map(|c| c.consent.as_str())
            .unwrap_or("not_asked")
            .into(),
        clerk: call.map(|c| c.clerk.clone()),
        room: call.map(|c| c.room),
        started_at: call.map(|c| c.started_at),
        ended_at: call.and_then(|c| c.ended_at),
        ice_servers: settings
            .ice_servers
            .iter()
            .map(|s| IceServerView {
                urls: s.urls.clone(),
                username: s.username.clone(),
                credential: s.credential.clone(),
            })
            .collect(),
        whip_url: format!("{}/{request_id}", settings.whip_url.trim_end_matches('/')),
        signalling_path: format!("/v1/requests/{request_id}/call/signal"),
        recordings: case.recordings().iter().map(recording_view).collect(),
    }
}

async fn respond(state: &AppState, request_id: Uuid) -> Result<Response, ApiError> {
    let (case, version) = state.booking.load(request_id).await?;
    Ok(with_version(
        StatusCode::OK,
        version,
        view(state, request_id, &case),
    ))
}

/// Open the call (a clerk, within the appointment's window). At most as many calls as video
/// rooms run at once, and a clerk is in one call at a time: a third call is refused with 409
/// `calls-full`.
#[utoipa::path(post, path = "/v1/requests/{id}/call/start", tag = "call", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The call is open", body = CallView, headers(("ETag" = String))),
        (status = 409, description = "Outside the window, another call in progress, every call place taken, or the case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn start(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, NoLinks>,
) -> Result<Response, ApiError> {
    let metadata = caller.metadata(state.booking.now());
    calls::start(&state.booking, &state.settings.call, id, &metadata).await?;
    respond(&state, id).await
}

/// The call: staff, or the citizen's join link.
#[utoipa::path(get, path = "/v1/requests/{id}/call", tag = "call", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The call", body = CallView, headers(("ETag" = String))),
        CaseAccessProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    case: CaseCaller<CaseReaders, JoinLink>,
) -> Result<Response, ApiError> {
    respond(&state, case.request_id).await
}

/// The citizen's answer to recording, with the wording shown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// `given`, `declined` or `withdrawn`.
    #[schema(example = "given")]
    pub decision: String,
    /// The version of the consent text shown (1 to 40 characters).
    #[schema(example = "grabazioa-2026-01")]
    pub wording_version: String,
    /// `eu` or `es`: the language it was shown in.
    #[schema(example = "eu")]
    pub language: String,
}

const DECISIONS: &[&str] = &["given", "declined", "withdrawn"];

/// Record consent to recording: the citizen (join link), or the clerk recording what the citizen
/// said. Recording starts only once consent is given in this call; withdrawing it stops the
/// recording, and what was recorded before is kept.
#[utoipa::path(post, path = "/v1/requests/{id}/call/consent", tag = "call", request_body = ConsentBody,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Recorded", body = CallView, headers(("ETag" = String))),
        (status = 409, description = "No call in progress, or a decline after consent was given", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn consent(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, JoinLink>,
    ApiJson(body): ApiJson<ConsentBody>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let decision = match body.decision.as_str() {
        "given" => Some(ConsentDecision::Given),
        "declined" => Some(ConsentDecision::Declined),
        "withdrawn" => Some(ConsentDecision::Withdrawn),
        _ => {
            errors.push(InvalidField::new("decision", FieldIssue::OneOf(DECISIONS)));
            None
        }
    };
    let language = match Language::parse(&body.language) {
        Ok(language) => Some(language),
        Err(e) => {
            errors.push(InvalidField::new("language", FieldIssue::Value(e)));
            None
        }
    };
    let (Some(decision), Some(language)) = (decision, language) else {
        return Err(ApiError::Invalid(errors));
    };
    let metadata = caller.metadata(state.booking.now());
    calls::consent(
        &state.booking,
        id,
        decision,
        ConsentWording {
            version: body.wording_version,
            language,
        },
        &metadata,
    )
    .await?;
    respond(&state, id).await
}

/// End the call (staff) and free its call place; a recording in progress stops and is stored.
#[utoipa::path(post, path = "/v1/requests/{id}/call/end", tag = "call", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Ended (or already ended)", body = CallView, headers(("ETag" = String))),
        (status = 409, description = "No call was ever opened", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn end(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, NoLinks>,
) -> Result<Response, ApiError> {
    let metadata = caller.metadata(state.booking.now());
    calls::end(&state.booking, id, &metadata).await?;
    respond(&state, id).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SignalQuery {
    /// The join link's token (citizen) or the staff token (clerk): browsers cannot set headers
    /// on a WebSocket.
    pub token: String,
}

/// The signalling WebSocket of a call in progress: JSON messages of type `offer`, `answer`,
/// `candidate` or `bye` (at most 64 KiB) are relayed to the other participant; the api itself
/// sends `peer-joined` and `peer-left`. One connection per participant.
#[utoipa::path(get, path = "/v1/requests/{id}/call/signal", tag = "call",
    params(("id" = Uuid, Path), SignalQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket"),
        (status = 400, description = "No token, or not a WebSocket handshake", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = ProblemBody, content_type = "application/problem+json"),
        (status = 426, description = "The connection cannot be upgraded", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not a participant of this call", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "No call in progress, or this participant is already connected", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn signal(
    State(state): State<AppState>,
    RequestId(id): RequestId,
    ApiQuery(query): ApiQuery<SignalQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let (case, _) = state.booking.load(id).await?;
    let participant = match state.authenticator.verify(query.token.trim()) {
        Err(_) => return Err(ApiError::InvalidToken),
        Ok(Credential::Staff(staff)) => {
            let clerk = format!("staff:{}", staff.subject);
            let in_call = case.call_in_progress().is_some_and(|c| c.clerk == clerk);
            if !staff
                .roles
                .iter()
                .any(|r| matches!(r, Role::Clerk | Role::Supervisor))
                || !in_call
            {
                return Err(ApiError::Forbidden);
            }
            Participant::Clerk
        }
        Ok(Credential::Link(link)) => {
            if link.sub != id || link.purpose != Purpose::Join {
                return Err(ApiError::Forbidden);
            }
            let start = case
                .booking()
                .map(|b| b.slot.start)
                .ok_or(ApiError::NotFound)?;
            check_link(link.purpose, link.slot_start(), case.status(), start)
                .map_err(ApiError::LinkVoid)?;
            Participant::Citizen
        }
    };
    if case.call_in_progress().is_none() {
        return Err(ApiError::Booking(
            infrastructure::booking::BookingError::Request(
                domain::citizen_request::CitizenRequestError::NoCallInProgress,
            ),
        ));
    }
    let Some(inbox) = state.signalling.join(id, participant) else {
        return Err(ApiError::AlreadyConnected);
    };
    let hub = state.signalling.clone();
    Ok(upgrade
        .max_message_size(signalling::MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| relay(socket, hub, id, participant, inbox))
        .into_response())
}

async fn relay(
    mut socket: WebSocket,
    hub: std::sync::Arc<signalling::Hub>,
    id: Uuid,
    participant: Participant,
    mut inbox: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    loop {
        tokio::select! {
            outgoing = inbox.recv() => match outgoing {
                Some(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if !signalling::relayable(text.as_str()) {
                        let _ = socket.send(Message::Text(signalling::notice("refused").into())).await;
                        continue;
                    }
                    if !hub.relay(id, participant, text.to_string()) {
                        let _ = socket.send(Message::Text(signalling::notice("peer-absent").into())).await;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    hub.leave(id, participant);
}
