//! `estospaces-events`: look at and repair the event backbone.
//!
//! ```text
//! estospaces-events outbox --database-url postgres://...        backlog of a service's outbox
//! estospaces-events lag --group search.indexer --topic estospaces.property.v1
//! estospaces-events dlq list --group search.indexer             what a group gave up on
//! estospaces-events dlq replay --group search.indexer           send it back to its topic
//! ```
//!
//! Kafka when `--brokers` (or `ESTOSPACES_KAFKA_BROKERS`) is given, reached with the services'
//! `[kafka]` TLS and SASL settings (`ESTOSPACES_KAFKA__*`, or the file `ESTOSPACES_CONFIG`
//! names); otherwise the embedded log at `--log` (default `$ESTOSPACES_DATA_DIR/events.db`).

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use estospaces_events::{
    Delivery, Event, EventLog, Outbox, dead_letter_topic, replay_dead_letters,
};
use estospaces_kafka::{KafkaConfig, KafkaSink, KafkaSource};
use estospaces_proto::events_v1::DeadLetter;
use estospaces_storage::Database;
use prost::Message as _;

#[derive(Debug, Parser)]
#[command(
    name = "estospaces-events",
    version,
    about = "Inspect and repair EstoSpaces events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct Transport {
    /// Kafka bootstrap servers; without them, the embedded log is used.
    #[arg(long, env = "ESTOSPACES_KAFKA_BROKERS")]
    brokers: Option<String>,
    /// The embedded event log's file.
    #[arg(long, env = "ESTOSPACES_EVENT_LOG", default_value = "data/events.db")]
    log: PathBuf,
}

impl Transport {
    /// Kafka, when `--brokers` is given.
    fn kafka(&self) -> anyhow::Result<Option<KafkaConfig>> {
        let Some(brokers) = &self.brokers else {
            return Ok(None);
        };
        let security = estospaces_config::load_shared()
            .context("reading the [kafka] settings")?
            .kafka;
        Ok(Some(
            KafkaConfig::new(brokers.clone()).with_security(security),
        ))
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// How many events wait in a service's outbox, and since when.
    Outbox {
        /// The service's database (PostgreSQL or `sqlite://` URL).
        #[arg(long, env = "ESTOSPACES_DATABASE_URL")]
        database_url: String,
    },
    /// How far a consumer group is behind on its topics.
    Lag {
        #[arg(long)]
        group: String,
        #[arg(long = "topic", required = true)]
        topics: Vec<String>,
        #[command(flatten)]
        transport: Transport,
    },
    /// Dead letters of a consumer group.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
}

#[derive(Debug, Subcommand)]
enum DlqAction {
    /// Prints every dead letter of the group.
    List {
        #[arg(long)]
        group: String,
        #[command(flatten)]
        transport: Transport,
    },
    /// Republishes the group's dead letters (not yet replayed) to the topics they came from.
    Replay {
        #[arg(long)]
        group: String,
        #[command(flatten)]
        transport: Transport,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Outbox { database_url } => {
            let db = Database::connect(&database_url)
                .await
                .context("opening the database")?;
            let stats = Outbox::stats(&db).await.context("reading the outbox")?;
            let age = stats.oldest_pending_age.map_or_else(
                || "-".to_owned(),
                |age| format!("{:.1}s", age.as_secs_f64()),
            );
            println!("pending {}  oldest {age}", stats.pending);
        }
        Command::Lag {
            group,
            topics,
            transport,
        } => {
            let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
            let kafka = transport.kafka()?;
            println!(
                "{:<40} {:>9} {:>12} {:>12} {:>8}",
                "topic", "partition", "committed", "end", "lag"
            );
            match kafka {
                Some(kafka) => {
                    let lags = estospaces_kafka::consumer_lag(&kafka, &group, &topics).await?;
                    for lag in lags {
                        let committed = lag
                            .committed
                            .map_or_else(|| "-".to_owned(), |offset| offset.to_string());
                        println!(
                            "{:<40} {:>9} {:>12} {:>12} {:>8}",
                            lag.topic, lag.partition, committed, lag.high_watermark, lag.lag
                        );
                    }
                }
                None => {
                    let log = EventLog::open(&transport.log).await?;
                    let ends = log.end_positions().await?;
                    let positions = log.group_positions().await?;
                    for topic in topics {
                        let end = ends.get(topic).copied().unwrap_or(0);
                        let committed = positions.get(&(group.clone(), topic.to_owned())).copied();
                        let lag = log.count_after(topic, committed.unwrap_or(0)).await?;
                        let committed =
                            committed.map_or_else(|| "-".to_owned(), |offset| offset.to_string());
                        println!("{topic:<40} {:>9} {committed:>12} {end:>12} {lag:>8}", 0);
                    }
                }
            }
        }
        Command::Dlq {
            action: DlqAction::List { group, transport },
        } => {
            let topic = dead_letter_topic(&group);
            let letters = match transport.kafka()? {
                Some(kafka) => {
                    estospaces_kafka::read_topic(&kafka, &topic, Duration::from_secs(3)).await?
                }
                None => {
                    EventLog::open(&transport.log)
                        .await?
                        .read(&topic, 0, i64::MAX)
                        .await?
                }
            };
            for letter in &letters {
                println!("{}", describe(letter));
            }
            println!("{} dead letter(s) for {group}", letters.len());
        }
        Command::Dlq {
            action: DlqAction::Replay { group, transport },
        } => {
            // A group of its own remembers what was replayed, so a second run sends nothing twice.
            let replay_group = format!("{group}.replay");
            let topic = dead_letter_topic(&group);
            let replayed = match transport.kafka()? {
                Some(kafka) => {
                    let mut source =
                        KafkaSource::subscribe(&kafka, &replay_group, &[&topic]).await?;
                    let sink = KafkaSink::new(kafka)?;
                    replay_dead_letters(&mut source, &sink, Duration::from_secs(10)).await?
                }
                None => {
                    let log = EventLog::open(&transport.log).await?;
                    let mut source = log.subscribe(&replay_group, &[&topic]);
                    replay_dead_letters(&mut source, &log, Duration::from_millis(500)).await?
                }
            };
            println!("replayed {replayed} dead letter(s) for {group}");
        }
    }
    Ok(())
}

/// One line per dead letter: where it came from, what it was, why it failed.
fn describe(delivery: &Delivery) -> String {
    let Ok(letter) = DeadLetter::decode(delivery.payload.as_slice()) else {
        return format!("offset {}: not a DeadLetter", delivery.offset);
    };
    let event = Event::decode(&letter.envelope).map_or_else(
        |_| "undecodable event".to_owned(),
        |event| {
            format!(
                "{} {} ({})",
                event.event_type(),
                event.event_id(),
                event.aggregate_id()
            )
        },
    );
    format!(
        "{}[{}]@{}: {event}: {} attempt(s): {}",
        letter.topic, letter.partition, letter.offset, letter.attempts, letter.error
    )
}
