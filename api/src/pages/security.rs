//! The headers every page answer carries: a Content-Security-Policy that allows no inline script
//! or style and no other host but the recorder (WHIP), and the usual framing, referrer and
//! permission limits. A page that needs one more thing (a worker, a frame of its own Blob) gets
//! that directive alone, not every page.

use axum::http::{HeaderMap, HeaderValue, header};

/// What one page needs beyond the common policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allow {
    /// `worker-src 'self'`: the booking page solves its proof of work in a worker of its own.
    pub worker: bool,
    /// `frame-src blob:` and `img-src blob:`: the sign page shows the document it read (a PDF
    /// or an image) from a Blob URL it made itself; nothing framed comes from a server URL.
    pub blob_documents: bool,
}

/// What the policy is built from: the public URL (the pages' base path and the host to fall
/// back on) and the recorder's origin.
pub struct Policy {
    base_path: String,
    public_host: String,
    whip_origin: Option<String>,
}

/// `scheme://authority` and the path of an absolute http(s) URL; `None` for anything else.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    valid_host(authority).then_some((scheme, authority, path))
}

/// A host with an optional port, in the few characters hosts are made of: anything else in a
/// `Host` header (a `;`, a space, a quote) could rewrite the policy it is copied into.
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

/// A path made of plain URL characters, so it can be a route prefix as it is.
fn valid_path(path: &str) -> bool {
    path.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b))
}

impl Policy {
    pub fn new(public_url: &str, whip_url: &str) -> Self {
        let (public_host, base_path) = match split_url(public_url.trim()) {
            Some((_, host, path)) if valid_path(path) => {
                (host.to_string(), path.trim_end_matches('/').to_string())
            }
            _ => {
                tracing::warn!(
                    public_url,
                    "mail.public_url has no usable path: pages at /app"
                );
                ("127.0.0.1:8080".to_string(), "/app".to_string())
            }
        };
        let whip_origin =
            split_url(whip_url.trim()).map(|(scheme, host, _)| format!("{scheme}://{host}"));
        Self {
            base_path,
            public_host,
            whip_origin,
        }
    }

    /// Where the pages are mounted: `/app` for `http://127.0.0.1:8080/app`, empty for a public
    /// URL without a path.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    fn content_security_policy(&self, request: &HeaderMap, allow: Allow) -> String {
        // Older browsers do not count ws:/wss: as 'self', so the signalling socket's host is
        // named: the one the browser asked for, or the public one when that is not a host.
        let host = request
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| valid_host(h))
            .unwrap_or(&self.public_host);
        let mut connect = format!("'self' ws://{host} wss://{host}");
        if let Some(whip) = &self.whip_origin {
            connect.push(' ');
            connect.push_str(whip);
        }
        let img = if allow.blob_documents {
            "'self' data: blob:"
        } else {
            "'self' data:"
        };
        let mut policy = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src {img}; \
             media-src 'self' blob: mediastream:; connect-src {connect}; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        );
        if allow.worker {
            policy.push_str("; worker-src 'self'");
        }
        if allow.blob_documents {
            policy.push_str("; frame-src blob:");
        }
        // A download from a Blob URL (the calendar file) is a navigation, which no directive
        // governs: nothing is needed for it.
        policy
    }

    /// Adds the security headers to a page answer.
    pub fn apply(&self, out: &mut HeaderMap, request: &HeaderMap, allow: Allow) {
        if let Ok(csp) = HeaderValue::from_str(&self.content_security_policy(request, allow)) {
            out.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        out.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        out.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        out.insert(
            "permissions-policy",
            HeaderValue::from_static("camera=(self), microphone=(self)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_and_origins_come_from_the_settings() {
        let policy = Policy::new(
            "https://arreta.example/app/",
            "https://rec.example:8443/whip",
        );
        assert_eq!(policy.base_path(), "/app");
        let csp = policy.content_security_policy(&HeaderMap::new(), Allow::default());
        assert!(!csp.contains("worker-src") && !csp.contains("frame-src"));
        assert!(csp.contains("img-src 'self' data:;"), "{csp}");
        assert!(csp.contains(
            "connect-src 'self' ws://arreta.example wss://arreta.example https://rec.example:8443;"
        ));
        assert_eq!(
            Policy::new("https://arreta.example", "x").base_path(),
            "",
            "no path: the pages at the root"
        );
        assert_eq!(
            Policy::new("https://arreta.example/a b", "x").base_path(),
            "/app"
        );
        assert!(
            !Policy::new("https://a.example/app", "javascript:alert(1)")
                .content_security_policy(&HeaderMap::new(), Allow::default())
                .contains("javascript")
        );
    }

    #[test]
    fn a_page_gets_only_the_directive_it_needs() {
        let policy = Policy::new("https://arreta.example/app", "https://rec.example/whip");
        let worker = policy.content_security_policy(
            &HeaderMap::new(),
            Allow {
                worker: true,
                ..Allow::default()
            },
        );
        assert!(worker.ends_with("; worker-src 'self'"), "{worker}");
        assert!(!worker.contains("frame-src"), "{worker}");
        let sign = policy.content_security_policy(
            &HeaderMap::new(),
            Allow {
                blob_documents: true,
                ..Allow::default()
            },
        );
        assert!(sign.contains("img-src 'self' data: blob:;"), "{sign}");
        assert!(sign.ends_with("; frame-src blob:"), "{sign}");
        assert!(
            !sign.contains("worker-src") && !sign.contains("object-src"),
            "{sign}"
        );
    }
}
