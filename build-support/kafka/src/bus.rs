//! The event transport a service's configuration selects: Kafka when `ESTOSPACES_KAFKA_BROKERS`
//! is set, otherwise the embedded log at `<ESTOSPACES_DATA_DIR>/events.db`, so every service
//! wires its relay and consumers the same way in both modes.

use estospaces_config::CommonConfig;
use estospaces_events::log::LogSource;
use estospaces_events::{
    Delivery, EventLog, EventSink, EventSource, OutgoingRecord, TransportError,
};

use crate::{KafkaConfig, KafkaSink, KafkaSource};

/// Where events travel.
#[derive(Debug, Clone)]
pub enum EventBus {
    Kafka(KafkaConfig),
    Log(EventLog),
}

impl EventBus {
    /// The transport `config` names.
    pub async fn from_config(config: &CommonConfig) -> Result<Self, TransportError> {
        match &config.kafka_brokers {
            Some(brokers) => Ok(Self::Kafka(
                KafkaConfig::new(brokers.clone()).with_security(config.kafka.clone()),
            )),
            None => Ok(Self::Log(
                EventLog::open(&config.data_dir.join("events.db")).await?,
            )),
        }
    }

    /// A sink for the relay and for dead letters.
    pub fn sink(&self) -> Result<BusSink, TransportError> {
        match self {
            Self::Kafka(kafka) => Ok(BusSink::Kafka(Box::new(KafkaSink::new(kafka.clone())?))),
            Self::Log(log) => Ok(BusSink::Log(log.clone())),
        }
    }

    /// A consumer-group member reading `topics`.
    pub async fn subscribe(
        &self,
        group: &str,
        topics: &[&str],
    ) -> Result<BusSource, TransportError> {
        match self {
            Self::Kafka(kafka) => Ok(BusSource::Kafka(
                KafkaSource::subscribe(kafka, group, topics).await?,
            )),
            Self::Log(log) => Ok(BusSource::Log(log.subscribe(group, topics))),
        }
    }
}

/// [`EventBus::sink`].
#[derive(Debug)]
pub enum BusSink {
    /// Boxed: a Kafka sink with its settings is ten times the size of the log's handle.
    Kafka(Box<KafkaSink>),
    Log(EventLog),
}

impl EventSink for BusSink {
    async fn publish(&self, records: &[OutgoingRecord]) -> Vec<Result<(), TransportError>> {
        match self {
            Self::Kafka(sink) => sink.publish(records).await,
            Self::Log(log) => log.publish(records).await,
        }
    }
}

/// [`EventBus::subscribe`].
#[derive(Debug)]
pub enum BusSource {
    Kafka(KafkaSource),
    Log(LogSource),
}

impl EventSource for BusSource {
    async fn next(&mut self) -> Result<Delivery, TransportError> {
        match self {
            Self::Kafka(source) => source.next().await,
            Self::Log(source) => source.next().await,
        }
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), TransportError> {
        match self {
            Self::Kafka(source) => source.ack(delivery).await,
            Self::Log(source) => source.ack(delivery).await,
        }
    }

    async fn commit(&mut self) -> Result<(), TransportError> {
        match self {
            Self::Kafka(source) => source.commit().await,
            Self::Log(source) => source.commit().await,
        }
    }
}
