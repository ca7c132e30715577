//! Arreta's own pages: the citizen's book, manage (and "lost your link?"), upload, sign and join
//! pages and the clerk's call page, as static shells per page and language, with their scripts
//! and styles, all embedded in the binary (no build step, no files to deploy, nothing from
//! another host).
//!
//! They are not API operations, so they stay out of the OpenAPI document. Everything that
//! depends on the case (request id, token, times) is read by the scripts: the request from the
//! path, the token from the fragment (`#token`), which browsers never send to a server.

mod security;
mod site;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use infrastructure::config::Settings;
use uuid::Uuid;

use security::{Allow, Policy};
use site::{Page, Site, Values};

/// What the handlers share: the rendered site and the security policy.
#[derive(Clone)]
struct Pages {
    site: Arc<Site>,
    policy: Arc<Policy>,
}

/// The pages' router, mounted under the path of `mail.public_url` (the links mailed to
/// citizens point there): `{base}/{lang}/book`, `{base}/{lang}/manage[/{request}]`,
/// `{base}/{lang}/{upload|sign|join}/{request}`, `{base}/{lang}/staff/call/{request}` and
/// `{base}/assets/{file}`.
pub fn router<S: Clone + Send + Sync + 'static>(settings: &Settings) -> Router<S> {
    let policy = Policy::new(&settings.mail.public_url, &settings.call.whip_url);
    let base = policy.base_path().to_string();
    let pages = Pages {
        site: Arc::new(Site::build(&Values {
            base: base.clone(),
            early_join_minutes: settings.call.early_join_minutes,
            mail_domain: settings.mail.domain.clone(),
            call_link_lead_minutes: settings.mail.call_link_lead_minutes,
        })),
        policy: Arc::new(policy),
    };
    Router::new()
        .route(&format!("{base}/{{lang}}/book"), get(book))
        .route(&format!("{base}/{{lang}}/manage"), get(lost_link))
        .route(&format!("{base}/{{lang}}/manage/{{request}}"), get(manage))
        .route(&format!("{base}/{{lang}}/upload/{{request}}"), get(upload))
        .route(&format!("{base}/{{lang}}/sign/{{request}}"), get(sign))
        .route(&format!("{base}/{{lang}}/join/{{request}}"), get(join))
        .route(
            &format!("{base}/{{lang}}/staff/call/{{request}}"),
            get(staff),
        )
        .route(&format!("{base}/assets/{{file}}"), get(asset))
        .with_state(pages)
}

async fn book(
    State(pages): State<Pages>,
    Path(lang): Path<String>,
    headers: HeaderMap,
) -> Response {
    page(&pages, Page::Book, &lang, None, &headers)
}

async fn lost_link(
    State(pages): State<Pages>,
    Path(lang): Path<String>,
    headers: HeaderMap,
) -> Response {
    page(&pages, Page::LostLink, &lang, None, &headers)
}

/// The pages of one case: `{lang}/{page}/{request}`.
macro_rules! case_page {
    ($($name:ident => $page:expr;)*) => {$(
        async fn $name(
            State(pages): State<Pages>,
            Path((lang, request)): Path<(String, String)>,
            headers: HeaderMap,
        ) -> Response {
            page(&pages, $page, &lang, Some(&request), &headers)
        }
    )*};
}

case_page! {
    manage => Page::Manage;
    upload => Page::Upload;
    sign => Page::Sign;
    join => Page::Join;
    staff => Page::Staff;
}

/// What a page needs beyond the common policy: the booking page's worker, the sign page's
/// document from a Blob URL.
fn allowance(page: Page) -> Allow {
    Allow {
        worker: page == Page::Book,
        blob_documents: page == Page::Sign,
    }
}

fn page(
    pages: &Pages,
    page: Page,
    lang: &str,
    request: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    // The shell is the same for every case, but a path that names no case is not a page.
    if request.is_some_and(|r| Uuid::parse_str(r).is_err()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(html) = pages.site.html(page, lang) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = html.to_string().into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The shell carries nothing private, but a stale one would point at assets that are gone.
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(if lang == "eu" { "eu" } else { "es" }),
    );
    pages.policy.apply(out, headers, allowance(page));
    response
}

async fn asset(
    State(pages): State<Pages>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(found) = pages.site.asset(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = HeaderValue::from_str(&found.asset.etag).ok();
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .zip(etag.as_ref().and_then(|e| e.to_str().ok()))
        .is_some_and(|(asked, etag)| asked.split(',').any(|a| a.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        found.asset.body.clone().into_response()
    };
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(found.asset.content_type),
    );
    // A hashed name never changes content, so it may be kept a year; the plain name (not used
    // by the pages themselves) must be checked every time.
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if found.hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    if let Some(etag) = etag {
        out.insert(header::ETAG, etag);
    }
    pages.policy.apply(out, &headers, Allow::default());
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    const CASE: &str = "0190c2a4-7d5e-7000-8000-000000000000";

    fn app() -> Router {
        router(&Settings::default())
    }

    async fn get(uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = app()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Every page's path after `/app/{lang}/`, the script it loads, and what it must hold.
    fn every_page() -> Vec<(String, &'static str, &'static str)> {
        vec![
            ("book".into(), "book.", "id=\"procedure-step\""),
            ("manage".into(), "lost-link.", "id=\"lost-form\""),
            (format!("manage/{CASE}"), "manage.", "id=\"cancel-confirm\""),
            (
                format!("upload/{CASE}"),
                "upload.",
                "<progress id=\"upload-progress\"",
            ),
            (format!("sign/{CASE}"), "sign.", "id=\"code-form\""),
            (format!("join/{CASE}"), "join.", "id=\"device-check\""),
            (
                format!("staff/call/{CASE}"),
                "staff.",
                "id=\"staff-signin\"",
            ),
        ]
    }

    #[tokio::test]
    async fn a_page_is_html_with_a_strict_policy_in_its_language() {
        for lang in ["eu", "es"] {
            for (path, script, marker) in every_page() {
                let uri = format!("/app/{lang}/{path}");
                let (status, headers, body) = get(&uri, &[("host", "arreta.test:8080")]).await;
                assert_eq!(status, StatusCode::OK, "{uri}");
                assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
                assert_eq!(header(&headers, "cache-control"), "no-store");
                assert_eq!(header(&headers, "content-language"), lang);
                let csp = header(&headers, "content-security-policy");
                for directive in [
                    "default-src 'none'",
                    "script-src 'self'",
                    "style-src 'self'",
                    "frame-ancestors 'none'",
                    "base-uri 'none'",
                    "form-action 'self'",
                    "media-src 'self' blob: mediastream:",
                    "connect-src 'self' ws://arreta.test:8080 wss://arreta.test:8080 http://127.0.0.1:8090",
                ] {
                    assert!(csp.contains(directive), "{uri}: {directive} in {csp}");
                }
                assert!(!csp.contains("unsafe"), "{csp}");
                assert_eq!(header(&headers, "x-frame-options"), "DENY");
                assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
                assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
                assert_eq!(
                    header(&headers, "permissions-policy"),
                    "camera=(self), microphone=(self)"
                );
                assert!(body.contains(&format!("<html lang=\"{lang}\">")), "{uri}");
                assert!(!body.contains("{{"), "every placeholder filled: {uri}");
                // No inline script or style: the policy would refuse them anyway.
                assert!(
                    !body.contains("<script>") && !body.contains("style="),
                    "{uri}"
                );
                assert!(
                    body.contains(&format!(
                        "<script type=\"module\" src=\"/app/assets/{script}"
                    )),
                    "{uri} loads {script}"
                );
                assert!(body.contains(marker), "{uri}: {marker}");
                // Landmarks, the skip link and both languages offered on every page.
                for part in [
                    "<header",
                    "<main id=\"main\"",
                    "<footer",
                    "class=\"skip\" href=\"#main\"",
                    "hreflang=\"eu\"",
                    "hreflang=\"es\"",
                ] {
                    assert!(body.contains(part), "{uri}: {part}");
                }
            }
        }
    }

    #[tokio::test]
    async fn only_the_booking_page_may_start_a_worker_and_only_the_sign_page_frame_a_blob() {
        for (path, worker, frames) in [
            "book".to_string(),
            "manage".into(),
            format!("manage/{CASE}"),
            format!("upload/{CASE}"),
            format!("sign/{CASE}"),
            format!("join/{CASE}"),
        ]
        .into_iter()
        .map(|p| {
            let worker = p == "book";
            let frames = p.starts_with("sign/");
            (p, worker, frames)
        }) {
            let (_, headers, _) = get(&format!("/app/es/{path}"), &[]).await;
            let csp = header(&headers, "content-security-policy");
            assert_eq!(csp.contains("worker-src 'self'"), worker, "{path}: {csp}");
            assert_eq!(csp.contains("frame-src blob:"), frames, "{path}: {csp}");
            assert_eq!(
                csp.contains("img-src 'self' data: blob:"),
                frames,
                "{path}: {csp}"
            );
        }
    }

    #[tokio::test]
    async fn a_forged_host_does_not_reach_the_policy() {
        let (_, headers, _) = get(
            &format!("/app/es/join/{CASE}"),
            &[("host", "evil.test; script-src *")],
        )
        .await;
        let csp = header(&headers, "content-security-policy");
        assert!(csp.contains("ws://127.0.0.1:8080 "), "{csp}");
        assert!(!csp.contains("evil"), "{csp}");
    }

    #[tokio::test]
    async fn an_unknown_language_or_a_path_without_a_case_is_not_found() {
        for uri in [
            format!("/app/en/join/{CASE}"),
            format!("/app/fr/staff/call/{CASE}"),
            "/app/eu/join/not-a-case".to_string(),
            "/app/assets/nothing.js".to_string(),
            "/app/en/book".to_string(),
            "/app/EU/book".to_string(),
            "/app/fr/manage".to_string(),
            format!("/app/en/manage/{CASE}"),
            "/app/es/manage/not-a-case".to_string(),
            format!("/app/de/upload/{CASE}"),
            "/app/eu/upload/1234".to_string(),
            format!("/app/en/sign/{CASE}"),
            "/app/es/sign/x".to_string(),
            format!("/app/es/book/{CASE}"),
        ] {
            let (status, _, _) = get(&uri, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        }
    }

    #[tokio::test]
    async fn assets_have_their_type_a_long_cache_and_an_etag() {
        let (_, _, html) = get(&format!("/app/eu/join/{CASE}"), &[]).await;
        let script = html
            .split("src=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a script");
        let (status, headers, body) = get(script, &[]).await;
        assert_eq!(status, StatusCode::OK, "{script}");
        assert_eq!(
            header(&headers, "content-type"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            header(&headers, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        // Imports point at hashed names too, so nothing a page loads is cached unversioned.
        assert!(body.contains("from './call."), "{body}");
        let etag = header(&headers, "etag").to_string();
        assert!(etag.starts_with('"'));
        let (status, _, _) = get(script, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);

        let style = html
            .split("rel=\"stylesheet\" href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a stylesheet");
        let (status, headers, _) = get(style, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&headers, "content-type"), "text/css; charset=utf-8");
    }

    #[tokio::test]
    async fn the_pages_follow_the_path_of_the_public_url() {
        let mut settings = Settings::default();
        settings.mail.public_url = "https://arreta.vitoria-gasteiz.eus/hitzorduak/".into();
        let response = router::<()>(&settings)
            .oneshot(
                Request::get(format!("/hitzorduak/es/join/{CASE}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK);
    }
}
