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

use crate::caller::{Caller, CaseCaller, CaseReaders, JoinLink, NoLinks, Principal, Staff};
use crate::extract::{ApiJson, ApiQuery, RequestId};
use crate::messages::{FieldIssue, InvalidField};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::requests::with_version;
use crate::routes::responses::CaseAccessProblems;
use crate::state::AppState;
use infrastructure::calls::signalling::{self, Connection};
use std::sync::Arc;

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
    /// STUN and TURN servers for this caller's browser: the TURN credential is issued for this
    /// participant of this call and stops working at `ice_expires_at` (ask again before then,
    /// e.g. before reconnecting). Callers who are not participants get no TURN.
    pub ice_servers: Vec<IceServerView>,
    pub ice_expires_at: Option<DateTime<Utc>>,
    /// What the citizen is asked before recording, in the case's language.
    pub consent_wording: ConsentWordingView,
    /// Whether the citizen's page is in the waiting room (or on the call) now.
    pub citizen_waiting: bool,
    pub citizen_seen_at: Option<DateTime<Utc>>,
    /// Where each participant publishes to the recorder (WHIP) once consent is given.
    pub whip_url: String,
    /// The signalling WebSocket's path; the token goes in `?token=`.
    pub signalling_path: String,
    pub recordings: Vec<RecordingView>,
}

/// The consent wording shown to the citizen; its version goes with the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentWordingView {
    pub version: String,
    /// `eu` or `es`.
    pub language: String,
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingView {
    pub id: Uuid,
    pub call_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// `citizen` and/or `clerk`, once their files are stored.
    pub stored: Vec<StoredView>,
    /// Each file that could not be stored, with why.
    pub failed: Vec<FailedView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailedView {
    /// `citizen` or `clerk`; absent when the whole recording failed.
    pub participant: Option<String>,
    /// The publication whose file failed.
    pub publication: Option<Uuid>,
    pub reason: String,
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
            .map(|f| FailedView {
                participant: f.participant.map(|p| p.as_str().into()),
                publication: f.publication,
                reason: f.reason.clone(),
            })
            .collect(),
    }
}

/// Which participant of the call `caller` is, if any: the citizen by a join link, the clerk
/// (or supervisor) acting as clerk. Auditors reading the call are not participants.
fn participant_of(caller: &Caller) -> Option<Participant> {
    match (&caller.principal, caller.role) {
        (Principal::Citizen(_), _) => Some(Participant::Citizen),
        (Principal::Staff { .. }, Role::Clerk | Role::Supervisor) => Some(Participant::Clerk),
        _ => None,
    }
}

async fn view(
    state: &AppState,
    request_id: Uuid,
    case: &CitizenRequest,
    participant: Option<Participant>,
) -> Result<CallView, ApiError> {
    let call: Option<&CallRecord> = case.last_call();
    let settings = &state.settings.call;
    let now = state.booking.now();
    let mut ice_servers: Vec<IceServerView> = settings
        .ice_servers
        .iter()
        .map(|s| IceServerView {
            urls: s.urls.clone(),
            username: None,
            credential: None,
        })
        .collect();
    let mut ice_expires_at = None;
    if let (Some(turn), Some(participant)) = (&settings.turn, participant) {
        let credential = turn.credential(request_id, participant.as_str(), now);
        ice_expires_at = Some(credential.expires_at);
        ice_servers.push(IceServerView {
            urls: turn.urls.clone(),
            username: Some(credential.username),
            credential: Some(credential.password),
        });
    }
    let language = case.booking().map(|b| b.language).unwrap_or(Language::Es);
    let citizen_seen_at =
        calls::presence::present_since(&state.pool, request_id, Participant::Citizen, now).await?;
    Ok(CallView {
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
        ice_servers,
        ice_expires_at,
        consent_wording: ConsentWordingView {
            version: calls::consent::VERSION.into(),
            language: language.as_str().into(),
            text: calls::consent::text(language).into(),
        },
        citizen_waiting: citizen_seen_at.is_some(),
        citizen_seen_at,
        whip_url: format!("{}/{request_id}", settings.whip_url.trim_end_matches('/')),
        signalling_path: format!("/v1/requests/{request_id}/call/signal"),
        recordings: case.recordings().iter().map(recording_view).collect(),
    })
}

async fn respond(
    state: &AppState,
    request_id: Uuid,
    caller: &Caller,
) -> Result<Response, ApiError> {
    let (case, version) = state.booking.load(request_id).await?;
    let view = view(state, request_id, &case, participant_of(caller)).await?;
    Ok(with_version(StatusCode::OK, version, view))
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
    respond(&state, id, &caller).await
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
    respond(&state, case.request_id, &case.caller).await
}

/// Say that this participant's page is there (the citizen's waiting room, the clerk's call
/// page): the clerk's page shows the citizen as waiting for 25 s after the last of these.
/// Pages send it every 10 s.
#[utoipa::path(post, path = "/v1/requests/{id}/call/presence", tag = "call", params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Noted"),
        CaseAccessProblems,
    ))]
pub async fn presence(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, JoinLink>,
) -> Result<StatusCode, ApiError> {
    state.booking.load(id).await?;
    if let Some(participant) = participant_of(&caller) {
        calls::presence::mark(&state.pool, id, participant, state.booking.now()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
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
    respond(&state, id, &caller).await
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
    respond(&state, id, &caller).await
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
    let Some(connection) = state.signalling.join(id, participant).await? else {
        return Err(ApiError::AlreadyConnected);
    };
    let hub = state.signalling.clone();
    // A failed upgrade never reaches `relay`: the place it took is given back at once, so the
    // page's retry is not refused until the place goes stale.
    let (failed_hub, request_id, side, connection_id) = (
        hub.clone(),
        connection.request_id,
        connection.participant,
        connection.id,
    );
    Ok(upgrade
        .max_message_size(signalling::MAX_MESSAGE_BYTES)
        .on_failed_upgrade(move |error| {
            tracing::warn!(%error, %request_id, "a signalling socket failed to upgrade");
            tokio::spawn(async move {
                if let Err(error) = failed_hub.release(request_id, side, connection_id).await {
                    tracing::warn!(%error, "a failed socket's place was not given back");
                }
            });
        })
        .on_upgrade(move |socket| relay(socket, hub, connection))
        .into_response())
}

/// Carries one participant's socket: what arrives is relayed through the hub to the other
/// side; what the hub holds for this side is sent when it is woken, and at each heartbeat
/// (which also pings the browser, so a vanished one is noticed).
async fn relay(mut socket: WebSocket, hub: Arc<signalling::Hub>, connection: Connection) {
    let mut connection = connection;
    let (request_id, participant) = (connection.request_id, connection.participant.as_str());
    tracing::info!(%request_id, participant, peer_present = connection.peer_present, "signalling socket open");
    if connection.peer_present {
        let notice = signalling::notice("peer-present");
        if socket.send(Message::Text(notice.into())).await.is_err() {
            let _ = hub.leave(&connection).await;
            return;
        }
    }
    let mut heartbeat = tokio::time::interval(signalling::HEARTBEAT);
    heartbeat.tick().await;
    loop {
        let deliver = tokio::select! {
            woken = connection.wake.recv() => woken.is_some(),
            _ = heartbeat.tick() => {
                match hub.heartbeat(&connection).await {
                    Ok(true) => {}
                    // Taken over after it went stale: the newer socket is the participant.
                    Ok(false) => break,
                    Err(error) => tracing::warn!(%error, "signalling heartbeat failed"),
                }
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
                true
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let answer = if !signalling::relayable(text.as_str()) {
                        Some("refused")
                    } else {
                        match hub.relay(&connection, text.as_str()).await {
                            Ok(true) => None,
                            Ok(false) => Some("peer-absent"),
                            Err(error) => {
                                tracing::warn!(%error, "a signalling message was not relayed");
                                Some("relay-failed")
                            }
                        }
                    };
                    if let Some(kind) = answer
                        && socket.send(Message::Text(signalling::notice(kind).into())).await.is_err()
                    {
                        break;
                    }
                    false
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => false,
            },
        };
        if deliver {
            match hub.take(&connection).await {
                Ok(messages) => {
                    for message in messages {
                        if socket.send(Message::Text(message.into())).await.is_err() {
                            let _ = hub.leave(&connection).await;
                            return;
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "signalling messages not read"),
            }
        }
    }
    tracing::info!(%request_id, participant, "signalling socket closed");
    if let Err(error) = hub.leave(&connection).await {
        tracing::warn!(%error, "a signalling connection was not released; it goes stale");
    }
}
