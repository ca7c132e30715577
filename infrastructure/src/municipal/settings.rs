//! The `[municipal]` section: the council's appointment system, pushed to by webhook.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MunicipalSettings {
    /// Where changes made here are pushed; without it nothing is pushed.
    pub webhook_url: Option<String>,
    /// The HMAC-SHA256 key of the `X-Arreta-Signature` header, at least 32 bytes.
    pub webhook_secret: Option<String>,
    /// CloudEvents `source` of every event pushed.
    pub source: String,
    /// A delivery that takes longer is retried.
    pub timeout_seconds: u64,
    pub retry_base_seconds: u64,
    pub retry_max_seconds: u64,
    /// Deliveries tried before an event is given up as failed (and logged as an error).
    pub max_attempts: i32,
    pub batch_size: i64,
    pub poll_interval_ms: u64,
    /// The key of the iCalendar feed tokens, at least 32 bytes; without it the feeds are off.
    pub feed_secret: Option<String>,
}

impl Default for MunicipalSettings {
    fn default() -> Self {
        Self {
            webhook_url: None,
            webhook_secret: None,
            source: "urn:arreta:vitoria-gasteiz".into(),
            timeout_seconds: 10,
            retry_base_seconds: 5,
            retry_max_seconds: 900,
            max_attempts: 200,
            batch_size: 50,
            poll_interval_ms: 1000,
            feed_secret: None,
        }
    }
}

impl MunicipalSettings {
    pub fn validate(&self, production: bool) -> Result<(), String> {
        if let Some(url) = &self.webhook_url {
            let https = url.starts_with("https://");
            if !(https || url.starts_with("http://")) {
                return Err("municipal.webhook_url must be an http(s) URL".into());
            }
            if production && !https {
                return Err("the production profile needs an https municipal.webhook_url".into());
            }
            if self.webhook_secret.as_ref().is_none_or(|s| s.len() < 32) {
                return Err(
                    "municipal.webhook_secret of at least 32 bytes is needed to sign webhooks"
                        .into(),
                );
            }
        }
        if self.feed_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err("municipal.feed_secret must be at least 32 bytes".into());
        }
        if self.retry_base_seconds == 0 || self.retry_max_seconds < self.retry_base_seconds {
            return Err(
                "municipal.retry_base_seconds must be positive and at most retry_max_seconds"
                    .into(),
            );
        }
        if self.max_attempts < 1 || self.batch_size < 1 || self.timeout_seconds == 0 {
            return Err(
                "municipal.max_attempts, batch_size and timeout_seconds must be positive".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_needs_a_long_secret_and_https_in_production() {
        let mut settings = MunicipalSettings {
            webhook_url: Some("http://127.0.0.1:9000/hook".into()),
            ..MunicipalSettings::default()
        };
        assert!(settings.validate(false).is_err(), "no secret");
        settings.webhook_secret = Some("short".into());
        assert!(settings.validate(false).is_err(), "short secret");
        settings.webhook_secret = Some("x".repeat(32));
        assert_eq!(settings.validate(false), Ok(()));
        assert!(settings.validate(true).is_err(), "http in production");
        settings.webhook_url = Some("https://citas.vitoria-gasteiz.eus/arreta".into());
        assert_eq!(settings.validate(true), Ok(()));
        assert_eq!(MunicipalSettings::default().validate(true), Ok(()));
    }
}
