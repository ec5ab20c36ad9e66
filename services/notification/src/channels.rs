//! Where messages leave the platform: email (an SMTP server, or `.eml` files when none is
//! configured) and text messages (a sandbox that sends nothing, or Twilio's API).

use std::path::PathBuf;
use std::time::Duration;

use estospaces_config::{ExposeSecret, SecretString};
use futures::future::BoxFuture;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server is down, busy or said "try later".
    #[error("{0}")]
    Transient(String),
    /// Trying again cannot help: the address is refused, the message is malformed.
    #[error("{0}")]
    Permanent(String),
    /// The address no longer exists (a push subscription the browser dropped): forget it.
    #[error("{0}")]
    Gone(String),
}

/// An email to send.
#[derive(Clone)]
pub struct Email {
    /// The delivery's id, for the Message-ID and the file name.
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where mail clients POST a one-click unsubscribe (RFC 8058); empty for account mail.
    pub unsubscribe_url: String,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Email {
    /// The RFC 5322 message: multipart text and HTML, with the unsubscribe headers.
    pub fn to_message(&self, from: &Mailbox) -> Result<Message, SendError> {
        let to: Mailbox = self
            .to
            .parse()
            .map_err(|err| SendError::Permanent(format!("the address {:?}: {err}", self.to)))?;
        let domain = from.email.domain().to_owned();
        let mut message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&self.subject)
            .message_id(Some(format!("<{}@{domain}>", self.id)))
            .multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                self.html.clone(),
            ))
            .map_err(|err| SendError::Permanent(format!("building the message: {err}")))?;
        if !self.unsubscribe_url.is_empty() {
            let headers = message.headers_mut();
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", self.unsubscribe_url),
            ));
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
        }
        Ok(message)
    }
}

/// Sends email.
pub trait Mailer: std::fmt::Debug + Send + Sync + 'static {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>>;
}

/// Email through an SMTP server (`lettre`).
#[derive(Debug)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for `url`: `smtp://host:port`, `smtp://host?tls=required`, `smtps://user:pw@host`.
    pub fn new(url: &SecretString, from: Mailbox, timeout: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|err| anyhow::anyhow!("notification.smtp_url: {err}"))?
            .timeout(Some(timeout))
            .build();
        Ok(Self { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let message = email.to_message(&self.from)?;
            match self.transport.send(message).await {
                Ok(_) => Ok(()),
                Err(err) if err.is_permanent() => Err(SendError::Permanent(format!("SMTP: {err}"))),
                // Refused connections, timeouts and 4xx answers: the server may take it later.
                Err(err) => Err(SendError::Transient(format!("SMTP: {err}"))),
            }
        })
    }
}

/// Email written as `.eml` files in a directory: the embedded default, so a newcomer can open
/// what the platform would have sent.
#[derive(Debug)]
pub struct MailDir {
    dir: PathBuf,
    from: Mailbox,
}

impl MailDir {
    pub fn new(dir: PathBuf, from: Mailbox) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir, from })
    }
}

impl Mailer for MailDir {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let message = email.to_message(&self.from)?;
            let path = self.dir.join(format!("{}.eml", email.id));
            let partial = self.dir.join(format!(".{}.eml.partial", email.id));
            // Written aside and renamed, so a reader never sees half a message.
            let write = async {
                tokio::fs::write(&partial, message.formatted()).await?;
                tokio::fs::rename(&partial, &path).await
            };
            write
                .await
                .map_err(|err| SendError::Transient(format!("writing {}: {err}", path.display())))
        })
    }
}

/// Sends text messages; returns the provider's message id.
pub trait SmsProvider: std::fmt::Debug + Send + Sync + 'static {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<String, SendError>>;
}

/// Sends nothing: the text stays in the delivery log (`ListDeliveries`), where tests and
/// developers read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxSms;

impl SmsProvider for SandboxSms {
    fn send<'a>(
        &'a self,
        _to: &'a str,
        _text: &'a str,
    ) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(async { Ok(format!("sandbox-{}", uuid::Uuid::now_v7())) })
    }
}

/// Twilio's Messages API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json` with basic
/// auth and a form body.
#[derive(Debug)]
pub struct TwilioSms {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: SecretString,
    from: String,
}

impl TwilioSms {
    pub fn new(
        base_url: &str,
        account_sid: String,
        auth_token: SecretString,
        from: String,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder().timeout(timeout).build()?,
            url: format!(
                "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                base_url.trim_end_matches('/')
            ),
            account_sid,
            auth_token,
            from,
        })
    }
}

impl SmsProvider for TwilioSms {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(async move {
            let response = self
                .client
                .post(&self.url)
                .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
                .form(&[("To", to), ("From", self.from.as_str()), ("Body", text)])
                .send()
                .await
                .map_err(|err| SendError::Transient(format!("Twilio: {err}")))?;
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            if status.is_success() {
                return Ok(body["sid"].as_str().unwrap_or_default().to_owned());
            }
            let why = format!(
                "Twilio answered {status}: {}",
                body["message"].as_str().unwrap_or("no message")
            );
            if status.as_u16() == 429 || status.is_server_error() {
                Err(SendError::Transient(why))
            } else {
                Err(SendError::Permanent(why))
            }
        })
    }
}
