//! Connections to the services behind the gateway, one lazily connected gRPC channel per domain.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The upstream channels by domain.
#[derive(Debug, Clone, Default)]
pub struct Upstreams {
    channels: HashMap<String, Channel>,
}

/// A configured upstream URL is not a URL.
#[derive(Debug, thiserror::Error)]
#[error("upstream `{domain}`: `{url}` is not a valid URL")]
pub struct InvalidUpstream {
    domain: String,
    url: String,
}

impl Upstreams {
    /// Channels for each `domain → URL`; none connects until first used.
    pub fn new(urls: &BTreeMap<String, String>) -> Result<Self, InvalidUpstream> {
        let mut channels = HashMap::new();
        for (domain, url) in urls {
            let endpoint = Endpoint::from_shared(url.clone())
                .map_err(|_| InvalidUpstream {
                    domain: domain.clone(),
                    url: url.clone(),
                })?
                .connect_timeout(Duration::from_secs(5))
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(30));
            channels.insert(domain.to_lowercase(), endpoint.connect_lazy());
        }
        Ok(Self { channels })
    }

    /// The channel to `domain`'s service.
    pub fn get(&self, domain: &str) -> Option<&Channel> {
        self.channels.get(domain)
    }

    /// Each upstream that is not SERVING, with why.
    pub async fn unready(&self) -> Vec<(String, String)> {
        let checks = self.channels.iter().map(|(domain, channel)| async move {
            let mut request = tonic::Request::new(HealthCheckRequest {
                service: String::new(),
            });
            request.set_timeout(Duration::from_secs(2));
            let result = tokio::time::timeout(
                Duration::from_secs(2),
                HealthClient::new(channel.clone()).check(request),
            )
            .await;
            let problem = match result {
                Ok(Ok(response)) if response.get_ref().status == ServingStatus::Serving as i32 => {
                    return None;
                }
                Ok(Ok(response)) => format!("status {}", response.get_ref().status().as_str_name()),
                Ok(Err(status)) => format!("{}: {}", status.code(), status.message()),
                Err(_) => "health check timed out".to_owned(),
            };
            Some((domain.clone(), problem))
        });
        let mut problems: Vec<_> = futures::future::join_all(checks)
            .await
            .into_iter()
            .flatten()
            .collect();
        problems.sort();
        problems
    }
}
