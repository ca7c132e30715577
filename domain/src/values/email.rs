use serde::{Deserialize, Serialize};

use super::ValueError;

/// An email address good enough to send a receipt to: one `@`, a plausible local part and a
/// domain with at least one dot, no spaces or control characters, at most 254 characters.
/// Domain is lower-cased; the local part is kept as given (it may be case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let trimmed = input.trim();
        if trimmed.is_empty() || trimmed.len() > 254 {
            return Err(ValueError::Email);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(ValueError::Email)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(ValueError::Email);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_the_domain() {
        assert_eq!(
            Email::parse(" Miren.Etxeberria@Vitoria-Gasteiz.EUS ")
                .expect("valid")
                .as_str(),
            "Miren.Etxeberria@vitoria-gasteiz.eus"
        );
        assert!(Email::parse("a+tag@sub.example.org").is_ok());
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.org",
            "ane@",
            "ane@localhost",
            "ane@exa mple.org",
            "an e@example.org",
            "ane@@example.org",
            ".ane@example.org",
            "a..ne@example.org",
            "ane@-example.org",
            "ane@example..org",
            "ane\n@example.org",
        ] {
            assert_eq!(Email::parse(bad), Err(ValueError::Email), "{bad:?}");
        }
    }

    #[test]
    fn refuses_overlong_addresses() {
        let long = format!("{}@example.org", "a".repeat(65));
        assert_eq!(Email::parse(&long), Err(ValueError::Email));
    }
}
