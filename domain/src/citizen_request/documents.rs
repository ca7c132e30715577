//! The case's private document space: what a document is, which types are accepted, and how a
//! file name sent by a browser becomes one that is safe to show and to offer for download.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest file name kept, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 64;
/// Most documents one case holds (each upload is one, rejected ones included).
pub const MAX_DOCUMENTS_PER_CASE: usize = 30;
/// Longest reason for a review or an access, in characters.
pub const MAX_DOCUMENT_REASON_CHARS: usize = 500;
/// How many leading bytes [`DocumentMediaType::sniff`] needs to decide.
pub const SNIFF_BYTES: usize = 8;

/// The types a citizen may upload. The type is taken from the content, never from the name or
/// the `Content-Type` the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentMediaType {
    Pdf,
    Jpeg,
    Png,
    /// UTF-8 text: only a request or complaint prepared from the form (never an upload; sniffing
    /// does not return it).
    Text,
}

impl DocumentMediaType {
    /// The types a citizen may upload.
    pub const ALL: [DocumentMediaType; 3] = [Self::Pdf, Self::Jpeg, Self::Png];

    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Text => "text/plain; charset=utf-8",
        }
    }

    /// The extensions a name of this type may keep (the first is the one given).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Jpeg => &["jpg", "jpeg", "jpe"],
            Self::Png => &["png"],
            Self::Text => &["txt"],
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Text => "txt",
        }
    }

    /// The type of a body from its first bytes (at least [`SNIFF_BYTES`] of them, or the whole
    /// body when it is shorter): PDF `%PDF-`, JPEG `FF D8 FF`, PNG's eight-byte signature.
    /// Anything else, an executable renamed `.pdf` included, is `None`.
    pub fn sniff(first_bytes: &[u8]) -> Option<Self> {
        const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if first_bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if first_bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if first_bytes.starts_with(PNG) {
            Some(Self::Png)
        } else {
            None
        }
    }
}

/// A file name as the client sent it, made safe: only its last path component, without control
/// characters, bidi and other invisible format characters (`invoice\u{202e}fdp.exe` would show
/// as `invoiceexe.pdf`), or characters that are special in file systems and headers, without
/// leading dots, ending in the extension of the type sniffed from the content (`page.html` holding
/// a PDF is stored as `page.pdf`), at most [`MAX_FILE_NAME_CHARS`] characters. An empty result
/// becomes `document.<extension>`.
pub fn sanitise_file_name(sent: Option<&str>, media_type: DocumentMediaType) -> String {
    let sent = sent.unwrap_or_default();
    let last = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .map(|c| match c {
            ':' | '*' | '?' | '"' | '<' | '>' | '|' | ';' => '_',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    // The name's own extension stays when it names the sniffed type; any other goes.
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, ext))
            if !stem.trim().is_empty()
                && (1..=8).contains(&ext.chars().count())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            let own = media_type
                .extensions()
                .iter()
                .any(|known| known.eq_ignore_ascii_case(ext));
            (
                stem.trim_end(),
                if own { ext } else { media_type.extension() },
            )
        }
        _ => (cleaned, media_type.extension()),
    };
    let stem = if stem.is_empty() { "document" } else { stem };
    let keep = MAX_FILE_NAME_CHARS - 1 - extension.chars().count();
    let stem: String = stem.chars().take(keep).collect();
    format!("{}.{extension}", stem.trim_end())
}

/// Unicode format characters that change how a name shows without showing themselves: bidi
/// embeddings, overrides, isolates and marks, zero-width characters, the soft hyphen, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD | 0x061C | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFEFF
            | 0xFFF9..=0xFFFB
    )
}

/// What the clerk decided about a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentReview {
    pub accepted: bool,
    pub reason: Option<String>,
    pub reviewed_by: String,
    pub reviewed_at: DateTime<Utc>,
}

/// A document in the case's space, as its events describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedDocument {
    pub document_id: uuid::Uuid,
    pub file_name: String,
    pub media_type: DocumentMediaType,
    pub size: u64,
    pub sha256: String,
    pub object_key: String,
    pub version_id: String,
    pub retain_until: DateTime<Utc>,
    pub uploaded_by: String,
    pub attached_at: DateTime<Utc>,
    pub review: Option<DocumentReview>,
    /// When its stored version was deleted at the end of its retention (`DocumentPurged`).
    #[serde(default)]
    pub purged_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_first_bytes() {
        assert_eq!(
            DocumentMediaType::sniff(b"%PDF-1.7\n..."),
            Some(DocumentMediaType::Pdf)
        );
        assert_eq!(
            DocumentMediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(DocumentMediaType::Jpeg)
        );
        assert_eq!(
            DocumentMediaType::sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some(DocumentMediaType::Png)
        );
        // An ELF executable, a PNG signature cut short, a ZIP, text, nothing.
        for other in [
            &b"\x7fELF\x02\x01\x01\0"[..],
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A][..],
            &b"PK\x03\x04"[..],
            &b"%PD"[..],
            &b"hello"[..],
            &b""[..],
        ] {
            assert_eq!(DocumentMediaType::sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn file_names_lose_paths_controls_and_length() {
        let pdf = DocumentMediaType::Pdf;
        assert_eq!(
            sanitise_file_name(Some("../../etc/passwd"), pdf),
            "passwd.pdf"
        );
        assert_eq!(
            sanitise_file_name(Some("C:\\Users\\ane\\NAN aurrealdea.pdf"), pdf),
            "NAN aurrealdea.pdf"
        );
        assert_eq!(
            sanitise_file_name(Some("a\u{0}b\r\nc\"d.pdf"), pdf),
            "abc_d.pdf"
        );
        assert_eq!(sanitise_file_name(Some(".."), pdf), "document.pdf");
        assert_eq!(sanitise_file_name(Some("  "), pdf), "document.pdf");
        assert_eq!(
            sanitise_file_name(None, DocumentMediaType::Png),
            "document.png"
        );
        let long = format!("{}.pdf", "é".repeat(100));
        let cut = sanitise_file_name(Some(&long), pdf);
        assert_eq!(cut.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(cut.ends_with(".pdf"), "{cut}");
        let no_extension = "x".repeat(200);
        let cut = sanitise_file_name(Some(&no_extension), pdf);
        assert_eq!(cut.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(cut.ends_with(".pdf"), "{cut}");
    }

    #[test]
    fn file_names_lose_bidi_and_invisible_characters() {
        let pdf = DocumentMediaType::Pdf;
        // Shown as "invoiceexe.pdf" with the override: the name the clerk sees must be the
        // name stored.
        assert_eq!(
            sanitise_file_name(Some("invoice\u{202e}fdp.exe"), pdf),
            "invoicefdp.pdf"
        );
        for mark in [
            '\u{200e}', '\u{200f}', '\u{061c}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{202a}', '\u{200b}', '\u{feff}', '\u{00ad}',
        ] {
            assert_eq!(
                sanitise_file_name(Some(&format!("a{mark}b.pdf")), pdf),
                "ab.pdf",
                "U+{:04X}",
                u32::from(mark)
            );
        }
        // Letters of other scripts are not format characters.
        assert_eq!(sanitise_file_name(Some("عقد.pdf"), pdf), "عقد.pdf");
    }

    #[test]
    fn file_names_take_the_extension_of_the_type_sniffed() {
        let pdf = DocumentMediaType::Pdf;
        assert_eq!(sanitise_file_name(Some("page.html"), pdf), "page.pdf");
        assert_eq!(sanitise_file_name(Some("scan"), pdf), "scan.pdf");
        assert_eq!(sanitise_file_name(Some("a.b.exe"), pdf), "a.b.pdf");
        assert_eq!(
            sanitise_file_name(Some("foto.JPEG"), DocumentMediaType::Jpeg),
            "foto.JPEG"
        );
        assert_eq!(
            sanitise_file_name(Some("foto.png"), DocumentMediaType::Jpeg),
            "foto.jpg"
        );
        assert_eq!(sanitise_file_name(Some(".pdf"), pdf), "pdf.pdf");
    }
}
