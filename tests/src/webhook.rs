//! A stand-in for the municipal appointment system's webhook endpoint: records every delivery
//! attempt and answers as scripted (OK, an error status, or too slowly).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;

#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Ok,
    Status(u16),
    /// Answers 200, but only after this long.
    Slow(Duration),
    /// Answers 302 to `/moved` (as an http→https redirect or a proxy in front would).
    Redirect,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub signature: String,
    pub content_type: String,
    pub body: String,
    /// What the endpoint answered (a slow answer counts as 200, though the sender gave up).
    pub answered: u16,
}

impl Delivery {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Recorder {
    script: VecDeque<Answer>,
    deliveries: Vec<Delivery>,
    /// Requests that followed a redirect to `/moved`.
    followed: usize,
}

pub struct Endpoint {
    pub address: SocketAddr,
    recorder: Arc<Mutex<Recorder>>,
}

impl Endpoint {
    /// Serves on an ephemeral port; `script` answers the first deliveries, then OK.
    pub async fn start(script: &[Answer]) -> Self {
        let recorder = Arc::new(Mutex::new(Recorder {
            script: script.iter().copied().collect(),
            deliveries: Vec::new(),
            followed: 0,
        }));
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .route("/moved", axum::routing::any(moved))
            .with_state(recorder.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { address, recorder }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.address)
    }

    /// Every attempt so far, in arrival order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.recorder.lock().expect("recorder").deliveries.clone()
    }

    /// How many requests followed a redirect.
    pub fn followed(&self) -> usize {
        self.recorder.lock().expect("recorder").followed
    }

    /// The attempts it answered 2xx to in time.
    pub fn accepted(&self) -> Vec<Delivery> {
        self.deliveries()
            .into_iter()
            .filter(|d| d.answered == 200)
            .collect()
    }
}

async fn moved(State(recorder): State<Arc<Mutex<Recorder>>>) -> StatusCode {
    recorder.lock().expect("recorder").followed += 1;
    StatusCode::OK
}

async fn receive(
    State(recorder): State<Arc<Mutex<Recorder>>>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let answer = recorder
        .lock()
        .expect("recorder")
        .script
        .pop_front()
        .unwrap_or(Answer::Ok);
    let answered = match answer {
        Answer::Ok => 200,
        Answer::Status(code) => code,
        Answer::Redirect => 302,
        // Recorded as not accepted: the sender stopped waiting before the answer came.
        Answer::Slow(_) => 0,
    };
    recorder
        .lock()
        .expect("recorder")
        .deliveries
        .push(Delivery {
            event_id: header("x-arreta-event-id"),
            signature: header("x-arreta-signature"),
            content_type: header("content-type"),
            body,
            answered,
        });
    if let Answer::Slow(wait) = answer {
        tokio::time::sleep(wait).await;
    }
    if let Answer::Redirect = answer {
        return (
            StatusCode::FOUND,
            [(axum::http::header::LOCATION, "/moved")],
        )
            .into_response();
    }
    StatusCode::from_u16(if answered == 0 { 200 } else { answered })
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}
