//! The notification service declared to the service host: its database, delivery keys, the
//! outbox, the consumer of the platform's events, the sender and digest workers and the gRPC
//! service.

use std::sync::Arc;

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_config::ConfigError;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::notification_v1::notification_service_server::NotificationServiceServer;
use lettre::message::Mailbox;
use tokio::sync::{Notify, broadcast};

use crate::SERVICE_NAME;
use crate::channels::{MailDir, Mailer, SandboxSms, SmsProvider, SmtpMailer, TwilioSms};
use crate::config::{NotificationConfig, PushProviderKind, SmsProviderKind};
use crate::events::{PlatformEventsHandler, TOPICS};
use crate::keys::Keys;
use crate::notify::Notifier;
use crate::push::{PushProvider, SandboxPush, VapidKey, WebPush};
use crate::sender::{Digests, Reminders, SendPolicy, Sender};
use crate::service::NotificationHandlers;
use crate::store::{MIGRATIONS, NotificationStore};
use crate::templates::Templates;

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: NotificationConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace).
pub async fn build_with_keys(
    config: NotificationConfig,
    keys: KeySet,
) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config).await
}

/// The configured mailer: SMTP when `smtp_url` is set, `.eml` files otherwise.
fn mailer(config: &NotificationConfig) -> anyhow::Result<Arc<dyn Mailer>> {
    let settings = &config.service;
    let from: Mailbox = settings
        .mail_from
        .parse()
        .map_err(|err| ConfigError::invalid("notification.mail_from", format!("{err}")))?;
    Ok(match &settings.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url, from, settings.provider_timeout)?),
        None => {
            let dir = settings
                .mail_dir
                .clone()
                .unwrap_or_else(|| config.common.data_dir.join("mail"));
            Arc::new(
                MailDir::new(dir.clone(), from)
                    .with_context(|| format!("creating {}", dir.display()))?,
            )
        }
    })
}

fn sms_provider(config: &NotificationConfig) -> anyhow::Result<Arc<dyn SmsProvider>> {
    let settings = &config.service;
    Ok(match settings.sms_provider {
        SmsProviderKind::Sandbox => Arc::new(SandboxSms),
        SmsProviderKind::Twilio => {
            let required =
                |key: &'static str| ConfigError::missing(key, "the Twilio SMS provider needs it");
            Arc::new(TwilioSms::new(
                &settings.twilio_base_url,
                settings
                    .twilio_account_sid
                    .clone()
                    .ok_or_else(|| required("notification.twilio_account_sid"))?,
                settings
                    .twilio_auth_token
                    .clone()
                    .ok_or_else(|| required("notification.twilio_auth_token"))?,
                settings
                    .twilio_from
                    .clone()
                    .ok_or_else(|| required("notification.twilio_from"))?,
                settings.provider_timeout,
            )?)
        }
    })
}

/// The VAPID key pair, made on first start and kept in the database.
async fn vapid_key(store: &NotificationStore) -> anyhow::Result<VapidKey> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let secret = store
        .vapid_secret(|| engine.encode(VapidKey::generate().secret_bytes()))
        .await?;
    VapidKey::from_secret_bytes(&engine.decode(secret)?)
        .map_err(|err| anyhow::anyhow!("the stored VAPID key: {err}"))
}

async fn assemble(
    mut host: ServiceHost,
    config: NotificationConfig,
) -> anyhow::Result<Application> {
    let settings = config.service.clone();
    let mailer = mailer(&config)?;
    let sms = sms_provider(&config)?;
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = NotificationStore::new(db);
    host.relay_outbox().await?;
    let keys = Keys::initialize(store.clone()).await?;
    let vapid = vapid_key(&store).await?;
    let push: Arc<dyn PushProvider> = match settings.push_provider {
        PushProviderKind::WebPush => Arc::new(WebPush::new(
            vapid.clone(),
            settings.vapid_subject.clone(),
            settings.provider_timeout,
        )?),
        PushProviderKind::Sandbox => Arc::new(SandboxPush),
    };

    let (inbox, _) = broadcast::channel(1024);
    let wake_sender = Arc::new(Notify::new());
    let base_url = settings
        .public_base_url
        .clone()
        .unwrap_or_else(|| "http://localhost:8080".to_owned());
    let notifier = Notifier::new(
        Arc::new(Templates::new()),
        keys.clone(),
        base_url,
        inbox.clone(),
        wake_sender.clone(),
    );
    let topics: Vec<String> = TOPICS.iter().map(|source| topic_for(source)).collect();
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    host.consume(
        ConsumerConfig::new(settings.consumer_group.clone()),
        &topics,
        PlatformEventsHandler::new(notifier.clone()),
    )
    .await?;

    let sender = Sender::new(
        store.clone(),
        mailer,
        sms,
        push,
        SendPolicy {
            max_attempts: settings.max_attempts.max(1),
            retry_delay: settings.retry_delay,
            max_retry_delay: settings.max_retry_delay,
            hourly_limit: settings.hourly_limit_per_recipient,
            interval: settings.send_interval,
        },
        wake_sender,
    );
    host.worker("sender", move |stopping| sender.run(stopping));
    host.task(
        "alert digests",
        Digests::new(store.clone(), notifier.clone(), settings.digest_interval).run(),
    );
    host.task(
        "check-in and viewing reminders",
        Reminders::new(store.clone(), notifier, settings.digest_interval).run(),
    );

    let draining = host.draining();
    host.add_service(NotificationServiceServer::with_interceptor(
        NotificationHandlers::new(store, keys, inbox, draining)
            .with_push(vapid.public_key(), settings.push_services.clone()),
        auth,
    ));
    host.bind().await
}
