//! The leads service declared to the service host: its database, the outbox, the consumers of
//! messaging's inquiries, of search's and review's signals and of review's rating summaries,
//! and the gRPC service.

use std::sync::Arc;

use anyhow::Context as _;
use estospaces_auth::KeySet;
use estospaces_config::ConfigError;
use estospaces_events::{ConsumerConfig, topic_for};
use estospaces_host::{Application, ServiceHost};
use estospaces_proto::leads_v1::lead_service_server::LeadServiceServer;

use crate::SERVICE_NAME;
use crate::agencies::Agencies;
use crate::captcha::{Captcha, CaptchaVerifier, SiteVerify};
use crate::config::LeadsConfig;
use crate::listings::Listings;
use crate::service::LeadHandlers;
use crate::signals::{
    InquiryHandler, MESSAGING_TOPIC, REVIEW_TOPIC, ReviewHandler, SEARCH_TOPIC, SignalHandler,
};
use crate::store::{LeadStore, MIGRATIONS};

/// Builds the service trusting the keys of the identity service at `auth.identity_url`.
pub async fn build(config: LeadsConfig) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common);
    assemble(host, config, None).await
}

/// Builds the service trusting exactly the keys in `keys` (which the caller may replace), with
/// `captcha` standing in for the configured captcha provider when given.
pub async fn build_with_keys(
    config: LeadsConfig,
    keys: KeySet,
    captcha: Option<Arc<dyn CaptchaVerifier>>,
) -> anyhow::Result<Application> {
    let host = ServiceHost::new(SERVICE_NAME, &config.common).trust_keys(keys);
    assemble(host, config, captcha).await
}

/// The configured captcha check: none, or the provider's siteverify endpoint.
fn captcha(config: &LeadsConfig) -> anyhow::Result<Option<Arc<dyn CaptchaVerifier>>> {
    let settings = &config.service;
    match (&settings.captcha_verify_url, &settings.captcha_secret) {
        (None, None) => Ok(None),
        (Some(url), Some(secret)) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError::invalid(
                    "leads.captcha_verify_url",
                    "must be an http(s):// URL",
                )
                .into());
            }
            Ok(Some(Arc::new(SiteVerify::new(
                url.clone(),
                secret.clone(),
            )?)))
        }
        (Some(_), None) => Err(ConfigError::missing(
            "leads.captcha_secret",
            "the captcha provider verifies answers with it",
        )
        .into()),
        (None, Some(_)) => Err(ConfigError::missing(
            "leads.captcha_verify_url",
            "a captcha secret is set without the provider to send it to",
        )
        .into()),
    }
}

async fn assemble(
    mut host: ServiceHost,
    config: LeadsConfig,
    captcha_override: Option<Arc<dyn CaptchaVerifier>>,
) -> anyhow::Result<Application> {
    let settings = config.service.clone();
    let property_url = settings.property_url.clone().ok_or_else(|| {
        ConfigError::missing(
            "leads.property_url",
            "leads are about the property service's listings",
        )
    })?;
    let profile_url = settings.profile_url.clone().ok_or_else(|| {
        ConfigError::missing(
            "leads.profile_url",
            "agencies and their managers live in the profile service",
        )
    })?;
    let configured_captcha = captcha(&config)?;
    let listings =
        Listings::connect_lazy(&property_url, &config.common.tls).context("leads.property_url")?;
    let agencies =
        Agencies::connect_lazy(&profile_url, &config.common.tls).context("leads.profile_url")?;
    let auth = host.auth()?;
    let db = host.database(MIGRATIONS).await?;
    let store = LeadStore::new(db);
    host.relay_outbox().await?;

    // One group per producer: each keeps its own position.
    host.consume(
        ConsumerConfig::new(settings.messaging_events_group.clone()),
        &[&topic_for(MESSAGING_TOPIC)],
        InquiryHandler {
            listings: listings.clone(),
            agencies: agencies.clone(),
        },
    )
    .await?;
    host.consume(
        ConsumerConfig::new(settings.search_events_group.clone()),
        &[&topic_for(SEARCH_TOPIC)],
        SignalHandler,
    )
    .await?;
    host.consume(
        ConsumerConfig::new(settings.review_events_group.clone()),
        &[&topic_for(REVIEW_TOPIC)],
        ReviewHandler,
    )
    .await?;

    host.add_service(LeadServiceServer::with_interceptor(
        LeadHandlers::new(
            store,
            listings,
            agencies,
            Captcha::new(captcha_override.or(configured_captcha)),
        ),
        auth,
    ));
    host.bind().await
}
