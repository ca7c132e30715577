use serde::{Deserialize, Serialize};

use super::ValueError;

/// The two languages the council serves in, on equal terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Basque (euskara).
    Eu,
    /// Spanish (castellano).
    Es,
}

impl Language {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "eu" => Ok(Self::Eu),
            "es" => Ok(Self::Es),
            _ => Err(ValueError::Language),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eu => "eu",
            Self::Es => "es",
        }
    }

    /// Picks eu or es from an `Accept-Language` header by its quality values; Spanish when
    /// neither is asked for (the council's default for unknown callers).
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Self::Es;
        };
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let language = match primary {
                "eu" => Self::Eu,
                "es" => Self::Es,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map_or(Self::Es, |(_, language)| language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_languages() {
        assert_eq!(Language::parse("EU"), Ok(Language::Eu));
        assert_eq!(Language::parse("es"), Ok(Language::Es));
        assert_eq!(Language::parse("fr"), Err(ValueError::Language));
    }

    #[test]
    fn accept_language_picks_the_preferred_of_eu_and_es() {
        assert_eq!(Language::from_accept_language(None), Language::Es);
        assert_eq!(Language::from_accept_language(Some("eu-ES")), Language::Eu);
        assert_eq!(
            Language::from_accept_language(Some("fr, eu;q=0.8, es;q=0.5")),
            Language::Eu
        );
        assert_eq!(
            Language::from_accept_language(Some("eu;q=0.2, es-ES;q=0.9")),
            Language::Es
        );
        assert_eq!(Language::from_accept_language(Some("en-GB")), Language::Es);
        assert_eq!(Language::from_accept_language(Some("eu;q=0")), Language::Es);
    }
}
