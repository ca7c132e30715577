//! `[cors]`: which browser origins may call the api and the recorder. Arreta's own pages sit on
//! the origin of `mail.public_url`, the recorder's WHIP on another (`:8090` locally), and other
//! front-office apps on theirs; every other origin gets no `Access-Control-*` header at all, so
//! a page elsewhere cannot read an answer or send a credentialed request.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// `scheme://host[:port]` of each front office; empty means the origin of
    /// `mail.public_url` alone.
    pub allowed_origins: Vec<String>,
}

/// The origin (`scheme://host[:port]`, lower case, default port left out) of an http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    // An IPv6 literal keeps its colons inside the brackets.
    let (host, port) = match authority.strip_prefix('[') {
        Some(inner) => {
            let (address, after) = inner.split_once(']')?;
            (format!("[{address}]"), after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (authority.clone(), None),
        },
    };
    let host_port = match port {
        None => host,
        Some(port) if port == default_port => host,
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{host}:{port}")
        }
        Some(_) => return None,
    };
    Some(format!("{scheme}://{host_port}"))
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_are_scheme_host_and_a_port_other_than_the_default() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/app").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("HTTPS://Arreta.Vitoria-Gasteiz.eus:443/app/").as_deref(),
            Some("https://arreta.vitoria-gasteiz.eus")
        );
        assert_eq!(
            origin_of("https://arreta.example").as_deref(),
            Some("https://arreta.example")
        );
        assert_eq!(
            origin_of("http://[::1]:8080/x").as_deref(),
            Some("http://[::1]:8080")
        );
        assert_eq!(origin_of("ftp://host/"), None);
        assert_eq!(origin_of("https://user@host/"), None);
        assert_eq!(origin_of("no scheme"), None);
    }
}

/// What one server answers to the allowed origins: its methods, the request headers it takes,
/// and the response headers a page may read.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    origins: Vec<String>,
    methods: &'static str,
    request_headers: &'static str,
    exposed_headers: &'static str,
}

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE_SECONDS: &str = "600";

impl CorsPolicy {
    /// The api's: the REST API's methods and headers.
    pub fn api(origins: Vec<String>) -> Self {
        Self {
            origins,
            methods: "GET, POST, OPTIONS",
            request_headers: "authorization, content-type, content-disposition, if-match, idempotency-key, accept-language, x-request-id, x-correlation-id",
            exposed_headers: "location, etag, link, x-request-id, idempotent-replayed, retry-after, content-disposition, repr-digest",
        }
    }

    /// The recorder's: WHIP's POST and DELETE (RFC 9725 §4.3 asks for CORS on both).
    pub fn whip(origins: Vec<String>) -> Self {
        Self {
            origins,
            methods: "POST, DELETE, OPTIONS",
            request_headers: "authorization, content-type",
            exposed_headers: "location, link, etag",
        }
    }

    fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }
}

/// The middleware: a preflight from an allowed origin is answered here (204); other requests
/// from it get `Access-Control-Allow-Origin` and the exposed headers; requests from any other
/// origin pass through untouched, without a single `Access-Control-*` header.
pub async fn cors(
    axum::extract::State(policy): axum::extract::State<std::sync::Arc<CorsPolicy>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, Method, StatusCode, header};
    use axum::response::IntoResponse;
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| policy.allows(o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(policy.methods),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(policy.request_headers),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECONDS),
        );
        response
    } else {
        let mut response = next.run(request).await;
        response.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(policy.exposed_headers),
        );
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    response
}

#[cfg(test)]
mod middleware_tests {
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode, header};
    use axum::routing::post;
    use tower::ServiceExt;

    use super::{CorsPolicy, cors};

    fn app() -> Router {
        let policy = Arc::new(CorsPolicy::whip(vec!["http://127.0.0.1:8080".into()]));
        Router::new()
            .route("/whip/x", post(|| async { StatusCode::CREATED }))
            .layer(axum::middleware::from_fn_with_state(policy, cors))
    }

    fn preflight(origin: &str) -> Request<Body> {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/whip/x")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization, content-type",
            )
            .body(Body::empty())
            .expect("request")
    }

    #[tokio::test]
    async fn an_allowed_origin_gets_its_preflight_and_headers() {
        let response = app()
            .oneshot(preflight("http://127.0.0.1:8080"))
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let h = response.headers();
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://127.0.0.1:8080"
        );
        assert!(
            h[header::ACCESS_CONTROL_ALLOW_METHODS]
                .to_str()
                .expect("text")
                .contains("DELETE")
        );
        assert!(
            h[header::ACCESS_CONTROL_ALLOW_HEADERS]
                .to_str()
                .expect("text")
                .contains("authorization")
        );
        let post = Request::builder()
            .method(Method::POST)
            .uri("/whip/x")
            .header(header::ORIGIN, "http://127.0.0.1:8080")
            .body(Body::empty())
            .expect("request");
        let response = app().oneshot(post).await.expect("answer");
        assert_eq!(response.status(), StatusCode::CREATED);
        assert!(
            response.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
                .to_str()
                .expect("text")
                .contains("location")
        );
    }

    #[tokio::test]
    async fn another_origin_gets_no_access_control_header() {
        for origin in ["http://evil.example", "http://127.0.0.1:8081", "null"] {
            let response = app().oneshot(preflight(origin)).await.expect("answer");
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{origin}"
            );
            assert!(
                !response
                    .headers()
                    .keys()
                    .any(|k| k.as_str().starts_with("access-control-")),
                "{origin}: {:?}",
                response.headers()
            );
        }
    }
}
