//! The two ways an alert leaves: email through SMTP (lettre: implicit TLS, STARTTLS or, to
//! loopback only, plain, as `FV_SMTP_URL` says) and a JSON POST of `{"text": ...}` (Slack and
//! Teams incoming webhooks read that field). Errors never name the URLs: an SMTP URL holds a
//! password and a chat webhook's path is its credential.

use std::time::Duration;

use lettre::{message::Mailbox, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::config::AlertSettings;

/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Why a delivery failed (logged, kept on the outbox row, retried).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the {0} channel is not configured")]
    Off(String),
    #[error("the email could not be built: {0}")]
    Build(String),
    #[error("the SMTP server did not take the email: {0}")]
    Smtp(String),
    #[error("the webhook could not be reached: {0}")]
    Network(String),
    #[error("the webhook answered {0}")]
    Status(u16),
}

/// The channels that are on.
pub struct Channels {
    email: Option<Email>,
    webhook: Option<Webhook>,
}

struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

struct Webhook {
    url: SecretString,
    http: reqwest::Client,
}

impl Channels {
    /// The channels `settings` turns on (their values were checked at start-up; one that
    /// does not build after all is logged and left off).
    pub fn new(settings: &AlertSettings) -> Self {
        let email = settings.smtp.as_ref().and_then(|s| {
            let built = AsyncSmtpTransport::<Tokio1Executor>::from_url(s.url.expose_secret())
                .map(|b| b.timeout(Some(TIMEOUT)).build());
            let from = s.from.parse::<Mailbox>();
            let to: Result<Vec<Mailbox>, _> = s.to.iter().map(|t| t.parse()).collect();
            match (built, from, to) {
                (Ok(transport), Ok(from), Ok(to)) => Some(Email {
                    transport,
                    from,
                    to,
                }),
                _ => {
                    tracing::error!("alert email is off: FV_SMTP_URL, FV_ALERT_FROM or FV_ADMIN_EMAILS could not be used");
                    None
                }
            }
        });
        let webhook = settings.webhook.as_ref().and_then(|url| {
            let http = reqwest::Client::builder()
                .timeout(TIMEOUT)
                .user_agent(concat!("fv-partner-app/", env!("CARGO_PKG_VERSION")))
                .build();
            match http {
                Ok(http) => Some(Webhook {
                    url: url.clone(),
                    http,
                }),
                Err(e) => {
                    tracing::error!(error = %e.without_url(), "alert webhook is off: no HTTP client");
                    None
                }
            }
        });
        Self { email, webhook }
    }

    /// `email` and/or `webhook`.
    pub fn names(&self) -> Vec<&'static str> {
        let mut on = Vec::new();
        if self.email.is_some() {
            on.push("email");
        }
        if self.webhook.is_some() {
            on.push("webhook");
        }
        on
    }

    /// Sends one alert on `channel`.
    pub async fn deliver(
        &self,
        channel: &str,
        subject: &str,
        body: &str,
    ) -> Result<(), DeliveryError> {
        match (channel, &self.email, &self.webhook) {
            ("email", Some(email), _) => email.send(subject, body).await,
            ("webhook", _, Some(hook)) => hook.send(subject, body).await,
            (other, _, _) => Err(DeliveryError::Off(other.to_owned())),
        }
    }
}

impl Email {
    async fn send(&self, subject: &str, body: &str) -> Result<(), DeliveryError> {
        let mut message = Message::builder().from(self.from.clone()).subject(subject);
        for to in &self.to {
            message = message.to(to.clone());
        }
        let message = message
            .body(body.to_owned())
            .map_err(|e| DeliveryError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError::Smtp(e.to_string()))
    }
}

impl Webhook {
    async fn send(&self, subject: &str, body: &str) -> Result<(), DeliveryError> {
        let text = format!("{subject}\n\n{body}");
        let answer = self
            .http
            .post(self.url.expose_secret())
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            .map_err(|e| DeliveryError::Network(e.without_url().to_string()))?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(DeliveryError::Status(answer.status().as_u16()))
        }
    }
}
