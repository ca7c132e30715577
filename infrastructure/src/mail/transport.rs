//! Where messages go: files in a folder (the local default) or the council's SMTP relay.

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::response::{Category, Code};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use super::settings::{MailSettings, SmtpSecurity, TransportKind};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later: the relay is down, busy, or answered 4xx.
    #[error("delivery failed, will retry: {0}")]
    Transient(String),
    /// The relay refused the message for good (5xx): retrying changes nothing.
    #[error("delivery refused: {0}")]
    Permanent(String),
}

/// A 53x reply: authentication or encryption, i.e. our configuration, not the message.
fn about_us(code: Option<Code>) -> bool {
    code.is_some_and(|c| c.category == Category::Unspecified3)
}

#[derive(Debug, thiserror::Error)]
pub enum TransportSetupError {
    #[error("mail transport: {0}")]
    Smtp(String),
    #[error("mail: {0}: {1}")]
    Folder(PathBuf, std::io::Error),
}

pub enum MailTransport {
    Files(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl MailTransport {
    pub fn from_settings(settings: &MailSettings) -> Result<Self, TransportSetupError> {
        match settings.transport {
            TransportKind::Files => {
                std::fs::create_dir_all(&settings.folder)
                    .map_err(|e| TransportSetupError::Folder(settings.folder.clone(), e))?;
                Ok(Self::Files(settings.folder.clone()))
            }
            TransportKind::Smtp => {
                let smtp = &settings.smtp;
                let tls = |host: &str| {
                    let mut builder = TlsParameters::builder(host.to_string());
                    if let Some(ca_file) = &smtp.ca_file {
                        let pem = std::fs::read(ca_file)
                            .map_err(|e| TransportSetupError::Folder(ca_file.clone(), e))?;
                        let ca = Certificate::from_pem(&pem).map_err(|e| {
                            TransportSetupError::Smtp(format!("{}: {e}", ca_file.display()))
                        })?;
                        builder = builder.add_root_certificate(ca);
                    }
                    builder
                        .build_rustls()
                        .map_err(|e| TransportSetupError::Smtp(e.to_string()))
                };
                let tls = match smtp.security {
                    SmtpSecurity::None => Tls::None,
                    SmtpSecurity::Starttls => Tls::Required(tls(&smtp.host)?),
                    SmtpSecurity::Tls => Tls::Wrapper(tls(&smtp.host)?),
                };
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                        .port(smtp.port)
                        .tls(tls)
                        .timeout(Some(Duration::from_secs(smtp.timeout_seconds)));
                if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Ok(Self::Smtp(builder.build()))
            }
        }
    }

    /// Hands the message over. For files, `<message id>.eml` is written whole or not at all, so
    /// a retry rewrites the same file instead of adding a second one.
    pub async fn deliver(&self, message_id: Uuid, message: &Message) -> Result<(), DeliveryError> {
        match self {
            Self::Files(folder) => {
                let target = folder.join(format!("{message_id}.eml"));
                let partial = folder.join(format!(".{message_id}.eml.partial"));
                let write = async {
                    tokio::fs::write(&partial, message.formatted()).await?;
                    tokio::fs::rename(&partial, &target).await
                };
                write
                    .await
                    .map_err(|e| DeliveryError::Transient(format!("{}: {e}", target.display())))
            }
            Self::Smtp(smtp) => match smtp.send(message.clone()).await {
                Ok(_) => Ok(()),
                // 5x0-5x2 and 5x4-5x5 refuse this message (550 no such mailbox, 552 too big...).
                // 53x are about us (530 STARTTLS first, 535 bad credentials): every message
                // would get the same, so they wait for the operators' fix instead of failing.
                Err(e) if e.is_permanent() && !about_us(e.status()) => {
                    Err(DeliveryError::Permanent(e.to_string()))
                }
                Err(e) => Err(DeliveryError::Transient(e.to_string())),
            },
        }
    }
}
