use std::time::{Duration, Instant};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::EventSink;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_proto::search_v1 as spb;
use estospaces_storage::testing::TestDatabase;
use tonic::transport::Channel;

use crate::helpers::{
    Backend, LISBON, PORTO, authorized, envelope, names, query_by, records, short_stay, spawn_app,
    spawn_app_with,
};

/// The property service and the search service on one machine, sharing the embedded log: a
/// listing published through property's API becomes searchable.
#[tokio::test]
async fn a_listing_published_through_the_property_service_becomes_searchable() {
    let mut search = spawn_app(Backend::Sqlite).await;
    let property_db = TestDatabase::sqlite(&[
        estospaces_property::store::MIGRATIONS,
        estospaces_events::MIGRATIONS,
    ])
    .await
    .expect("a database");
    let key = SigningKey::generate();
    let common = CommonConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(property_db.url.clone().into()),
        // The same data directory: the same embedded event log.
        data_dir: search.data_dir.path().to_owned(),
        shutdown_grace: Duration::from_secs(1),
        ..CommonConfig::default()
    };
    let issuer = TokenIssuer::new(
        key.clone(),
        &common.auth.issuer,
        &common.auth.audience,
        Duration::from_secs(600),
    );
    let keys = KeySet::new(&[key.public_jwk().clone()]).expect("a key");
    let property = estospaces_property::build_with_keys(
        estospaces_property::PropertyConfig {
            common,
            service: Default::default(),
        },
        keys,
    )
    .await
    .expect("property builds");
    let addr = property.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(property.run(async {
        let _ = stopped.await;
    }));
    let mut client = PropertyServiceClient::new(
        Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("connects"),
    );
    let host = issuer
        .issue(&uuid::Uuid::now_v7().to_string(), &[Role::Host])
        .token;

    let mut draft = short_stay(
        "Azulejo loft by the river",
        "Porto",
        PORTO.0,
        PORTO.1,
        9_000,
    );
    draft.name.clear();
    draft.owner.clear();
    draft.state = 0;
    draft.create_time = None;
    draft.photos = vec![pb::Photo {
        media_id: "m1".to_owned(),
        caption: "Living room".to_owned(),
        cover: true,
    }];
    draft.cancellation_policy = pb::CancellationPolicy::Flexible as i32;
    let created = client
        .create_property(authorized(
            pb::CreatePropertyRequest {
                property: Some(draft),
                request_id: String::new(),
            },
            &host,
        ))
        .await
        .expect("created")
        .into_inner()
        .property
        .expect("a listing");
    client
        .publish_property(authorized(
            pb::PublishPropertyRequest {
                name: created.name.clone(),
                etag: String::new(),
            },
            &host,
        ))
        .await
        .expect("published");

    let found = search
        .search_until(
            query_by(spb::PropertyQuery {
                text: "azulejo".to_owned(),
                ..Default::default()
            }),
            |response| response.total_size == 1,
        )
        .await;
    assert_eq!(names(&found), [created.name.as_str()]);

    // Its rating comes from the review service, through property's `property.updated`.
    let changed = estospaces_proto::review_v1::RatingChanged {
        rating_summary: Some(estospaces_proto::review_v1::RatingSummary {
            name: format!("{}/ratingSummary", created.name),
            review_count: 2,
            average_rating: 5.0,
            score: 3.93,
            ..Default::default()
        }),
    };
    let mut review_event = envelope("review.rating_changed", &created.name, 1, &changed);
    review_event.source = "review".to_owned();
    let mut record = records(vec![review_event]).remove(0);
    record.topic = "estospaces.review.v1".to_owned();
    let log = search.log.as_ref().expect("the embedded log");
    for result in log.publish(&[record]).await {
        result.expect("the log takes the event");
    }
    let rated = search
        .search_until(
            query_by(spb::PropertyQuery {
                min_rating: 4.9,
                ..Default::default()
            }),
            |response| response.total_size == 1,
        )
        .await;
    let rating = rated.results[0].property.as_ref().and_then(|p| p.rating);
    assert_eq!(rating.map(|r| r.review_count), Some(2));
    let _ = stop.send(());
}

/// With brokers configured, the indexer reads the property topic from Kafka.
#[tokio::test]
async fn with_kafka_the_indexer_reads_the_property_topic_from_the_broker() {
    let brokers = std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS")
        .unwrap_or_else(|_| "127.0.0.1:9092".to_owned());
    let mut app = spawn_app_with(Backend::Postgres, |config| {
        config.common.kafka_brokers = Some(brokers.clone());
        // A replica of its own: its group reads the topic from the beginning.
        config.service.replica_id = Some(format!("kafka-test-{}", uuid::Uuid::now_v7()));
    })
    .await;
    let listing = short_stay(
        &format!("Kafka flat {}", uuid::Uuid::now_v7().simple()),
        "Lisboa",
        LISBON.0,
        LISBON.1,
        9_000,
    );
    let id = listing.name.trim_start_matches("properties/").to_owned();
    let sink = estospaces_kafka::KafkaSink::new(estospaces_kafka::KafkaConfig::new(brokers))
        .expect("a producer");
    let listed = envelope(
        "property.listed",
        &id,
        1,
        &pb::PropertyListed {
            property: Some(listing.clone()),
        },
    );
    for result in sink.publish(&records(vec![listed])).await {
        result.expect("the broker takes the event");
    }

    let started = Instant::now();
    let found = app
        .search_until(
            query_by(spb::PropertyQuery {
                text: listing.title.clone(),
                ..Default::default()
            }),
            |response| {
                response
                    .results
                    .iter()
                    .any(|r| r.property.as_ref().is_some_and(|p| p.name == listing.name))
            },
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        found.results[0].property.as_ref().expect("a listing").title,
        listing.title
    );
}
