//! The embedded site: HTML templates filled per language once at start, and the assets under
//! names that carry a hash of their content, so they can be cached for a year.
//!
//! The texts live in one file, `api/pages/texts.json` (`{"eu": {...}, "es": {...}}`): the
//! templates take theirs as `{{key}}`, and the scripts import the same file as a module
//! (`texts.js`), so a text is written once for the markup and the messages.

use infrastructure::html::escape;
use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

const TEXTS: &str = include_str!("../../pages/texts.json");
const LANGUAGES: [&str; 2] = ["eu", "es"];

/// Each source: its served name, its content type, its content.
const SOURCES: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../pages/css/style.css"),
    ),
    ("common.js", JS, include_str!("../../pages/js/common.js")),
    ("media.js", JS, include_str!("../../pages/js/media.js")),
    ("call.js", JS, include_str!("../../pages/js/call.js")),
    ("whip.js", JS, include_str!("../../pages/js/whip.js")),
    (
        "documents.js",
        JS,
        include_str!("../../pages/js/documents.js"),
    ),
    ("join.js", JS, include_str!("../../pages/js/join.js")),
    ("staff.js", JS, include_str!("../../pages/js/staff.js")),
    ("form.js", JS, include_str!("../../pages/js/form.js")),
    ("checks.js", JS, include_str!("../../pages/js/checks.js")),
    (
        "document-status.js",
        JS,
        include_str!("../../pages/js/document-status.js"),
    ),
    ("slots.js", JS, include_str!("../../pages/js/slots.js")),
    (
        "calendar.js",
        JS,
        include_str!("../../pages/js/calendar.js"),
    ),
    ("sha256.js", JS, include_str!("../../pages/js/sha256.js")),
    ("proof.js", JS, include_str!("../../pages/js/proof.js")),
    (
        "proof-worker.js",
        JS,
        include_str!("../../pages/js/proof-worker.js"),
    ),
    ("book.js", JS, include_str!("../../pages/js/book.js")),
    ("manage.js", JS, include_str!("../../pages/js/manage.js")),
    (
        "lost-link.js",
        JS,
        include_str!("../../pages/js/lost-link.js"),
    ),
    ("upload.js", JS, include_str!("../../pages/js/upload.js")),
    ("sign.js", JS, include_str!("../../pages/js/sign.js")),
];
const JS: &str = "text/javascript; charset=utf-8";

const TEMPLATES: [(Page, &str); 7] = [
    (Page::Join, include_str!("../../pages/join.html")),
    (Page::Staff, include_str!("../../pages/staff.html")),
    (Page::Book, include_str!("../../pages/book.html")),
    (Page::Manage, include_str!("../../pages/manage.html")),
    (Page::LostLink, include_str!("../../pages/lost-link.html")),
    (Page::Upload, include_str!("../../pages/upload.html")),
    (Page::Sign, include_str!("../../pages/sign.html")),
];

/// The pieces every page shares, written into a template as `{{> name}}`.
const PARTIALS: &[(&str, &str)] = &[
    (
        "site-header",
        include_str!("../../pages/partials/site-header.html"),
    ),
    (
        "citizen-footer",
        include_str!("../../pages/partials/citizen-footer.html"),
    ),
    (
        "void-step",
        include_str!("../../pages/partials/void-step.html"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Join,
    Staff,
    /// `{lang}/book`: choose a procedure, a time, give one's details, get the receipt.
    Book,
    /// `{lang}/manage/{request}`: see, move or cancel one's appointment.
    Manage,
    /// `{lang}/manage` without a case: ask for the manage link again.
    LostLink,
    /// `{lang}/upload/{request}`: the documents the clerk asked for.
    Upload,
    /// `{lang}/sign/{request}?signature=…`: read and sign with the mailed code.
    Sign,
}

pub struct Asset {
    pub content_type: &'static str,
    pub body: bytes::Bytes,
    pub etag: String,
}

pub struct Found<'a> {
    pub asset: &'a Asset,
    /// Asked by its hashed name (immutable) rather than its plain one.
    pub hashed: bool,
}

pub struct Site {
    /// The plain name, the hashed name and the asset.
    assets: Vec<(String, String, Asset)>,
    /// (page, language) → the page.
    pages: Vec<(Page, &'static str, String)>,
}

/// `call.js` → `call.<hash>.js`.
fn hashed_name(name: &str, hash: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

type Texts = BTreeMap<String, BTreeMap<String, String>>;

fn texts() -> Texts {
    serde_json::from_str(TEXTS).unwrap_or_else(|error| {
        // Checked by the tests; a broken file shows keys rather than stopping the api.
        tracing::error!(%error, "api/pages/texts.json does not parse");
        Texts::new()
    })
}

/// Values from the settings a template may name, beside its texts and assets.
pub struct Values {
    /// Where the pages are mounted (`/app`).
    pub base: String,
    /// `call.early_join_minutes`: when the waiting room opens.
    pub early_join_minutes: u32,
    /// `mail.domain`: the calendar file the booking page makes carries the mailed event's UID
    /// (`{request}@{domain}`), so a calendar that gets both keeps one event.
    pub mail_domain: String,
    /// `mail.call_link_lead_minutes`: the receipt says when the call link will come.
    pub call_link_lead_minutes: u32,
}

/// Fills `{{key}}` (a text), `{{lang}}`, `{{base}}`, `{{early_join_minutes}}`,
/// `{{mail_domain}}`, `{{call_link_lead_minutes}}` and `{{asset:name}}` in a template.
fn render(
    template: &str,
    lang: &str,
    texts: &BTreeMap<String, String>,
    url: &dyn Fn(&str) -> String,
    values: &Values,
) -> String {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let key = after[..close].trim();
        if let Some(name) = key.strip_prefix('>') {
            // A partial, written with the same values (partials do not nest further).
            match PARTIALS.iter().find(|(n, _)| *n == name.trim()) {
                Some((_, partial)) => out.push_str(&render(partial, lang, texts, url, values)),
                None => tracing::error!(partial = name.trim(), "a page partial is missing"),
            }
            rest = &after[close + 2..];
            continue;
        }
        match key {
            "lang" => out.push_str(lang),
            "base" => out.push_str(&escape(&values.base)),
            "early_join_minutes" => out.push_str(&values.early_join_minutes.to_string()),
            "mail_domain" => out.push_str(&escape(&values.mail_domain)),
            "call_link_lead_minutes" => out.push_str(&values.call_link_lead_minutes.to_string()),
            _ => match key.strip_prefix("asset:") {
                Some(name) => out.push_str(&url(name)),
                None => match texts.get(key) {
                    Some(text) => out.push_str(&escape(text)),
                    None => {
                        tracing::error!(key, lang, "a page text is missing");
                        out.push_str(&escape(key));
                    }
                },
            },
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

impl Site {
    pub fn build(values: &Values) -> Self {
        let base = values.base.as_str();
        let texts = texts();
        // The texts the scripts use, as a module of their own.
        let texts_module = format!(
            "// Generated from api/pages/texts.json.\nexport default {};\n",
            serde_json::to_string(&texts).unwrap_or_else(|_| "{}".into())
        );
        let mut sources: Vec<(&str, &str, String)> = SOURCES
            .iter()
            .map(|(name, kind, body)| (*name, *kind, (*body).to_string()))
            .collect();
        sources.push(("texts.js", JS, texts_module));
        // One hash over every source: a change anywhere renames everything, which for a
        // handful of small files costs little and keeps imports between them consistent.
        let mut digest = Sha256::new();
        for (name, _, body) in &sources {
            digest.update(name.as_bytes());
            digest.update([0]);
            digest.update(body.as_bytes());
            digest.update([0]);
        }
        let hash = hex::encode(&digest.finalize()[..6]);
        let names: Vec<(String, String)> = sources
            .iter()
            .map(|(name, _, _)| (name.to_string(), hashed_name(name, &hash)))
            .collect();
        let assets = sources
            .into_iter()
            .map(|(name, content_type, mut body)| {
                if content_type == JS {
                    // Imports name their module as `./x.js`; the browser must ask for the
                    // hashed name, or a module would be cached under a name that outlives it.
                    for (plain, hashed) in &names {
                        body = body
                            .replace(&format!("'./{plain}'"), &format!("'./{hashed}'"))
                            .replace(&format!("\"./{plain}\""), &format!("\"./{hashed}\""));
                    }
                }
                let hashed = hashed_name(name, &hash);
                let asset = Asset {
                    content_type,
                    etag: format!("\"{hash}\""),
                    body: bytes::Bytes::from(body),
                };
                (name.to_string(), hashed, asset)
            })
            .collect();
        let url = |name: &str| format!("{base}/assets/{}", hashed_name(name, &hash));
        let empty = BTreeMap::new();
        let mut pages = Vec::new();
        for (page, template) in TEMPLATES {
            for lang in LANGUAGES {
                let texts = texts.get(lang).unwrap_or(&empty);
                pages.push((page, lang, render(template, lang, texts, &url, values)));
            }
        }
        Self { assets, pages }
    }

    pub fn html(&self, page: Page, lang: &str) -> Option<&str> {
        self.pages
            .iter()
            .find(|(p, l, _)| *p == page && *l == lang)
            .map(|(_, _, html)| html.as_str())
    }

    pub fn asset(&self, file: &str) -> Option<Found<'_>> {
        self.assets.iter().find_map(|(plain, hashed, asset)| {
            if file == hashed {
                Some(Found {
                    asset,
                    hashed: true,
                })
            } else if file == plain {
                Some(Found {
                    asset,
                    hashed: false,
                })
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The placeholders `render` fills from `Values` and the language.
    const VALUE_NAMES: [&str; 5] = [
        "lang",
        "base",
        "early_join_minutes",
        "mail_domain",
        "call_link_lead_minutes",
    ];

    #[test]
    fn both_languages_have_every_text_and_no_english_slips_in() {
        let texts = texts();
        let eu = texts.get("eu").expect("eu texts");
        let es = texts.get("es").expect("es texts");
        let eu_keys: Vec<_> = eu.keys().collect();
        let es_keys: Vec<_> = es.keys().collect();
        assert_eq!(eu_keys, es_keys, "the same keys in both languages");
        let sources = TEMPLATES
            .iter()
            .map(|(page, template)| (format!("{page:?}"), *template))
            .chain(
                PARTIALS
                    .iter()
                    .map(|(name, partial)| (name.to_string(), *partial)),
            );
        for (page, template) in sources {
            let mut rest = template;
            while let Some(open) = rest.find("{{") {
                let after = &rest[open + 2..];
                let close = after.find("}}").expect("closed placeholder");
                let key = after[..close].trim();
                if let Some(name) = key.strip_prefix('>') {
                    assert!(
                        PARTIALS.iter().any(|(n, _)| *n == name.trim()),
                        "{page}: no partial {name}"
                    );
                } else if !(VALUE_NAMES.contains(&key) || key.starts_with("asset:")) {
                    assert!(eu.contains_key(key), "{page}: {key} in eu");
                }
                if let Some(name) = key.strip_prefix("asset:") {
                    assert!(
                        name == "texts.js" || SOURCES.iter().any(|(n, _, _)| *n == name),
                        "{name} is an asset"
                    );
                }
                rest = &after[close + 2..];
            }
        }
        for (lang, texts) in [("eu", eu), ("es", es)] {
            for (key, text) in texts {
                assert!(!text.trim().is_empty(), "{lang}.{key} is empty");
                for english in [" the ", "Please", " call ", "Loading", "Error:"] {
                    assert!(!text.contains(english), "{lang}.{key}: {text}");
                }
            }
        }
    }

    #[test]
    fn every_module_a_script_imports_is_served() {
        for (name, _, body) in SOURCES {
            for marker in ["from './", "new URL('./"] {
                for piece in body.split(marker).skip(1) {
                    let module = piece.split('\'').next().unwrap_or_default();
                    assert!(
                        module == "texts.js" || SOURCES.iter().any(|(n, _, _)| *n == module),
                        "{name} imports {module}, which is not served"
                    );
                }
            }
        }
    }

    #[test]
    fn every_text_a_script_names_exists() {
        let texts = texts();
        let eu = texts.get("eu").expect("eu texts");
        for (name, _, body) in SOURCES {
            // `t('key'` (not `get('…'`) and the keys the checks answer (`key: 'check.…'`).
            for marker in ["t('", "key: '"] {
                for (at, _) in body.match_indices(marker) {
                    let before = body[..at].chars().next_back().unwrap_or(' ');
                    if before.is_alphanumeric() || before == '_' || before == '.' {
                        continue;
                    }
                    let rest = &body[at + marker.len()..];
                    let key = rest.split('\'').next().unwrap_or_default();
                    assert!(eu.contains_key(key), "{name} names the missing text {key}");
                }
            }
        }
    }

    #[test]
    fn the_proof_worker_and_its_hash_are_loaded_by_hashed_names() {
        let site = Site::build(&Values {
            base: "/app".into(),
            early_join_minutes: 15,
            mail_domain: "arreta.test".into(),
            call_link_lead_minutes: 15,
        });
        let proof = site.asset("proof.js").expect("proof.js");
        let text = std::str::from_utf8(&proof.asset.body).expect("utf-8");
        assert!(text.contains("new URL('./proof-worker."), "{text}");
        assert!(!text.contains("'./proof-worker.js'"), "{text}");
        let worker = site.asset("proof-worker.js").expect("the worker");
        let text = std::str::from_utf8(&worker.asset.body).expect("utf-8");
        assert!(text.contains("from './sha256.") && !text.contains("'./sha256.js'"));
        let html = site.html(Page::Book, "eu").expect("book");
        assert!(
            html.contains("content=\"arreta.test\""),
            "the mail domain for the UID"
        );
    }

    #[test]
    fn imports_are_rewritten_to_hashed_names() {
        let site = Site::build(&Values {
            base: "/app".into(),
            early_join_minutes: 15,
            mail_domain: "arreta.test".into(),
            call_link_lead_minutes: 15,
        });
        let join = site.asset("join.js").expect("join.js");
        let text = std::str::from_utf8(&join.asset.body).expect("utf-8");
        assert!(!text.contains("'./common.js'"), "{text}");
        assert!(text.contains("'./common."));
        let html = site.html(Page::Join, "es").expect("page");
        assert!(html.contains("/app/assets/join."));
    }
}
