use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{EventLog, EventSink, OutgoingRecord};
use estospaces_kafka::{KafkaConfig, KafkaSink};
use estospaces_leads::captcha::CaptchaVerifier;
use estospaces_leads::store::LeadStore;
use estospaces_leads::{LeadsConfig, LeadsSettings};
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::leads_v1 as pb;
use estospaces_proto::leads_v1::lead_service_client::LeadServiceClient;
use estospaces_proto::messaging_v1 as messaging;
use estospaces_proto::profile_v1 as profile;
use estospaces_proto::profile_v1::profile_service_client::ProfileServiceClient;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_storage::testing::TestDatabase;
use prost::{Message, Name};
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

/// A signed-in user: their id, resource name and access token.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub token: String,
}

/// Property, profile and leads side by side sharing an event transport (the embedded log in the
/// test's data directory, or Kafka), clients for all three, and a token issuer all three
/// trust. Stops them when dropped.
pub struct TestApp {
    pub leads: LeadServiceClient<Channel>,
    pub properties: PropertyServiceClient<Channel>,
    pub profile: ProfileServiceClient<Channel>,
    pub store: LeadStore,
    issuer: TokenIssuer,
    log: Option<EventLog>,
    kafka: Option<KafkaConfig>,
    shutdown: Vec<tokio::sync::oneshot::Sender<()>>,
    _databases: [TestDatabase; 3],
    _data_dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for shutdown in self.shutdown.drain(..) {
            let _ = shutdown.send(());
        }
    }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("the service accepts connections")
}

/// The Kafka brokers of the test environment.
pub fn kafka_brokers() -> String {
    std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// Starts property and profile, then leads pointed at both, on fresh databases of `backend`,
/// with the embedded log (or Kafka when `kafka`); `captcha` stands in for a captcha provider.
pub async fn spawn_app_with(
    backend: Backend,
    kafka: bool,
    captcha: Option<Arc<dyn CaptchaVerifier>>,
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("leads-test", &Default::default());
    }
    let fresh = |migrations: estospaces_storage::Migrations| async move {
        match backend {
            Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
            Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
        }
        .expect("a fresh test database")
    };
    let leads_db = fresh(estospaces_leads::store::MIGRATIONS).await;
    let property_db = fresh(estospaces_property::store::MIGRATIONS).await;
    let profile_db = fresh(estospaces_profile::store::MIGRATIONS).await;
    let data_dir = tempfile::tempdir().expect("a data dir");
    let brokers = kafka.then(kafka_brokers);
    let common = |url: &str| CommonConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(url.to_owned().into()),
        data_dir: data_dir.path().to_owned(),
        kafka_brokers: brokers.clone(),
        shutdown_grace: Duration::from_secs(1),
        ..CommonConfig::default()
    };
    let key = SigningKey::generate();
    let jwk = key.public_jwk().clone();
    let keys = || KeySet::new(std::slice::from_ref(&jwk)).expect("an Ed25519 key");
    let defaults = CommonConfig::default();
    let issuer = TokenIssuer::new(
        key,
        &defaults.auth.issuer,
        &defaults.auth.audience,
        Duration::from_secs(3600),
    );
    let mut shutdown = Vec::new();
    let mut run = |app: estospaces_leads::Application| {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run(async {
            let _ = stopped.await;
        }));
        shutdown.push(stop);
    };

    let property_app = estospaces_property::build_with_keys(
        estospaces_property::PropertyConfig {
            common: common(&property_db.url),
            service: estospaces_property::PropertySettings::default(),
        },
        keys(),
    )
    .await
    .expect("the property service builds");
    let property_addr = property_app.local_addr();
    run(property_app);

    // Agencies need no users of identity's: profile takes members by name.
    let profile_app = estospaces_profile::build_with_keys(
        estospaces_profile::ProfileConfig {
            common: common(&profile_db.url),
            service: estospaces_profile::ProfileSettings::default(),
        },
        keys(),
    )
    .await
    .expect("the profile service builds");
    let profile_addr = profile_app.local_addr();
    run(profile_app);

    // Groups of their own on Kafka: tests running at once must not split a topic's partitions.
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let config = LeadsConfig {
        common: common(&leads_db.url),
        service: LeadsSettings {
            property_url: Some(format!("http://{property_addr}")),
            profile_url: Some(format!("http://{profile_addr}")),
            messaging_events_group: format!("leads.messaging-events.{suffix}"),
            search_events_group: format!("leads.search-events.{suffix}"),
            review_events_group: format!("leads.review-events.{suffix}"),
            ..LeadsSettings::default()
        },
    };
    let app = estospaces_leads::build_with_keys(config, keys(), captcha)
        .await
        .expect("the leads service builds");
    let addr = app.local_addr();
    run(app);

    let log = if kafka {
        None
    } else {
        Some(
            EventLog::open(&data_dir.path().join("events.db"))
                .await
                .expect("the shared event log"),
        )
    };
    TestApp {
        leads: LeadServiceClient::new(connect(addr).await),
        properties: PropertyServiceClient::new(connect(property_addr).await),
        profile: ProfileServiceClient::new(connect(profile_addr).await),
        store: LeadStore::new(leads_db.database.clone()),
        issuer,
        log,
        kafka: brokers.map(KafkaConfig::new),
        shutdown,
        _databases: [leads_db, property_db, profile_db],
        _data_dir: data_dir,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, false, None).await
}

/// A short stay in Porto, ready to publish.
pub fn short_stay() -> property::Property {
    property::Property {
        kind: property::ListingKind::ShortStay as i32,
        property_type: property::PropertyType::Apartment as i32,
        title: "Bright flat by the river".to_owned(),
        description: "Two rooms, a balcony and the river below.".to_owned(),
        address: Some(property::Address {
            street: "Rua das Flores 12".to_owned(),
            locality: "Porto".to_owned(),
            region: String::new(),
            postal_code: "4050-262".to_owned(),
            country_code: "PT".to_owned(),
            location: Some(property::GeoPoint {
                latitude: 41.1456,
                longitude: -8.6139,
            }),
        }),
        bedrooms: 2,
        bathrooms: 1,
        beds: 2,
        max_guests: 4,
        floor_area_square_meters: 70,
        amenities: vec![property::Amenity::Wifi as i32],
        photos: vec![property::Photo {
            media_id: "media-1".to_owned(),
            caption: "The living room".to_owned(),
            cover: true,
        }],
        cancellation_policy: property::CancellationPolicy::Moderate as i32,
        booking_mode: property::BookingMode::Instant as i32,
        min_nights: 1,
        currency_code: "EUR".to_owned(),
        short_stay_pricing: Some(property::ShortStayPricing {
            base_nightly_price: 10_000,
            cleaning_fee: 5_000,
            tax_basis_points: 1_000,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The asking price of [`for_sale`], in cents.
pub const ASKING_PRICE: i64 = 45_000_000;

/// A flat for sale in Lisbon, ready to publish.
pub fn for_sale() -> property::Property {
    property::Property {
        kind: property::ListingKind::Sale as i32,
        title: "Flat for sale in Alfama".to_owned(),
        description: "Three rooms with a view of the river.".to_owned(),
        short_stay_pricing: None,
        sale_pricing: Some(property::SalePricing {
            asking_price: ASKING_PRICE,
        }),
        cancellation_policy: 0,
        booking_mode: 0,
        min_nights: 0,
        ..short_stay()
    }
}

/// A signed-in inquiry: who asks, how much they would pay and how.
pub fn inquiry(listing: &str, message: &str) -> pb::CreateInquiryRequest {
    pb::CreateInquiryRequest {
        listing: listing.to_owned(),
        message: message.to_owned(),
        ..Default::default()
    }
}

/// An anonymous inquiry from `name` at `email`.
pub fn anonymous_inquiry(listing: &str, name: &str, email: &str) -> pb::CreateInquiryRequest {
    pb::CreateInquiryRequest {
        contact: Some(pb::Contact {
            display_name: name.to_owned(),
            email: email.to_owned(),
            ..Default::default()
        }),
        ..inquiry(listing, "Is it still available?")
    }
}

/// `hours` from now.
pub fn in_hours(hours: u64) -> prost_types::Timestamp {
    (SystemTime::now() + Duration::from_secs(hours * 3600)).into()
}

/// A slot from `start` hours from now, `minutes` long, for any of the agent's listings.
pub fn slot(start: u64, minutes: u64) -> pb::ViewingSlot {
    let start = SystemTime::now() + Duration::from_secs(start * 3600);
    pb::ViewingSlot {
        start_time: Some(start.into()),
        end_time: Some((start + Duration::from_secs(minutes * 60)).into()),
        ..Default::default()
    }
}

/// `message`, signed in as `user` when there is one.
pub fn as_user<T>(message: T, user: Option<&User>) -> tonic::Request<T> {
    match user {
        Some(user) => authorized(message, &user.token),
        None => tonic::Request::new(message),
    }
}

impl TestApp {
    pub fn user_with(&self, roles: &[Role]) -> User {
        let id = uuid::Uuid::now_v7().to_string();
        User {
            token: self.issuer.issue(&id, roles).token,
            name: format!("users/{id}"),
            id,
        }
    }

    /// A guest: someone looking for a home.
    pub fn user(&self) -> User {
        self.user_with(&[Role::Guest])
    }

    /// An agent, who may list homes for sale and create agencies.
    pub fn agent(&self) -> User {
        self.user_with(&[Role::Agent])
    }

    pub fn admin(&self) -> User {
        self.user_with(&[Role::Admin])
    }

    /// Publishes `listing` as `owner`: the listing's name.
    pub async fn publish_as(&self, owner: &User, listing: property::Property) -> String {
        let created = self
            .properties
            .clone()
            .create_property(authorized(
                property::CreatePropertyRequest {
                    property: Some(listing),
                    request_id: String::new(),
                },
                &owner.token,
            ))
            .await
            .expect("the listing is created")
            .into_inner()
            .property
            .expect("a listing");
        self.properties
            .clone()
            .publish_property(authorized(
                property::PublishPropertyRequest {
                    name: created.name.clone(),
                    etag: String::new(),
                },
                &owner.token,
            ))
            .await
            .expect("a complete listing publishes");
        created.name
    }

    /// A published flat for sale of a new agent: the agent and the listing's name.
    pub async fn sale_listing(&self) -> (User, String) {
        let agent = self.agent();
        let listing = self.publish_as(&agent, for_sale()).await;
        (agent, listing)
    }

    /// A new agency owned by `owner` (an agent): its name.
    pub async fn agency(&self, owner: &User) -> String {
        self.profile
            .clone()
            .create_agency(authorized(
                profile::CreateAgencyRequest {
                    agency: Some(profile::Agency {
                        display_name: "Casa Lisboa".to_owned(),
                        description: "Homes in Lisbon.".to_owned(),
                        ..Default::default()
                    }),
                },
                &owner.token,
            ))
            .await
            .expect("agents create agencies")
            .into_inner()
            .agency
            .expect("an agency")
            .name
    }

    /// `owner` adds `member` to `agency` as `role`.
    pub async fn add_member(
        &self,
        agency: &str,
        owner: &User,
        member: &User,
        role: profile::MemberRole,
    ) {
        self.profile
            .clone()
            .create_agency_member(authorized(
                profile::CreateAgencyMemberRequest {
                    parent: agency.to_owned(),
                    member: Some(profile::AgencyMember {
                        user: member.name.clone(),
                        role: role as i32,
                        ..Default::default()
                    }),
                },
                &owner.token,
            ))
            .await
            .expect("owners add members");
    }

    /// Sends an inquiry, as `user` or anonymously.
    pub async fn inquire(
        &self,
        user: Option<&User>,
        request: pb::CreateInquiryRequest,
    ) -> Result<String, tonic::Status> {
        self.leads
            .clone()
            .create_inquiry(as_user(request, user))
            .await
            .map(|response| response.into_inner().lead)
    }

    /// `user` asks about `listing`: the lead's name.
    pub async fn ask(&self, user: &User, listing: &str) -> String {
        let lead = self
            .inquire(Some(user), inquiry(listing, "Can I see it this week?"))
            .await
            .expect("the inquiry is taken");
        assert!(lead.starts_with("leads/"), "{lead}");
        lead
    }

    /// Reads lead `name` as `user`.
    pub async fn lead(&self, user: &User, name: &str) -> Result<pb::Lead, tonic::Status> {
        self.leads
            .clone()
            .get_lead(authorized(
                pb::GetLeadRequest {
                    name: name.to_owned(),
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().lead.expect("a lead"))
    }

    /// `user`'s own leads (or with `agency`, the agency's).
    pub async fn list(&self, user: &User, agency: &str) -> Result<Vec<pb::Lead>, tonic::Status> {
        self.leads
            .clone()
            .list_leads(authorized(
                pb::ListLeadsRequest {
                    agency: agency.to_owned(),
                    ..Default::default()
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().leads)
    }

    /// Moves lead `name` to `stage` as `user`.
    pub async fn change_stage(
        &self,
        user: &User,
        name: &str,
        stage: pb::lead::Stage,
    ) -> Result<pb::Lead, tonic::Status> {
        self.leads
            .clone()
            .change_lead_stage(authorized(
                pb::ChangeLeadStageRequest {
                    name: name.to_owned(),
                    stage: stage as i32,
                    ..Default::default()
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().lead.expect("a lead"))
    }

    /// Publishes `slot` in `agent`'s calendar as `caller`.
    pub async fn publish_slot(
        &self,
        caller: &User,
        agent: &User,
        slot: pb::ViewingSlot,
    ) -> Result<pb::ViewingSlot, tonic::Status> {
        self.leads
            .clone()
            .create_viewing_slot(authorized(
                pb::CreateViewingSlotRequest {
                    parent: agent.name.clone(),
                    viewing_slot: Some(slot),
                },
                &caller.token,
            ))
            .await
            .map(|response| response.into_inner().viewing_slot.expect("a slot"))
    }

    /// Books `slot` for `lead` as `user`.
    pub async fn book(
        &self,
        user: &User,
        lead: &str,
        slot: &str,
    ) -> Result<pb::ViewingSlot, tonic::Status> {
        self.leads
            .clone()
            .book_viewing(authorized(
                pb::BookViewingRequest {
                    lead: lead.to_owned(),
                    viewing_slot: slot.to_owned(),
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().viewing_slot.expect("a slot"))
    }

    /// `agent`'s slots as `reader` sees them (anonymously with `None`).
    pub async fn slots(&self, reader: Option<&User>, agent: &User) -> Vec<pb::ViewingSlot> {
        self.leads
            .clone()
            .list_viewing_slots(as_user(
                pb::ListViewingSlotsRequest {
                    parent: agent.name.clone(),
                    ..Default::default()
                },
                reader,
            ))
            .await
            .expect("slots are public")
            .into_inner()
            .viewing_slots
    }

    /// Publishes an event as service `source` would, on its topic, keyed by `key`.
    pub async fn publish_event<P: Name>(
        &self,
        source: &str,
        event_type: &str,
        key: &str,
        payload: &P,
    ) {
        let event_id = uuid::Uuid::now_v7().to_string();
        let envelope = EventEnvelope {
            event_id: event_id.clone(),
            event_type: event_type.to_owned(),
            source: source.to_owned(),
            aggregate_type: source.to_owned(),
            aggregate_id: key.to_owned(),
            aggregate_sequence: 1,
            occurred_at: Some(SystemTime::now().into()),
            correlation_id: event_id,
            payload: Some(prost_types::Any {
                type_url: P::type_url(),
                value: payload.encode_to_vec(),
            }),
            ..EventEnvelope::default()
        };
        let record = OutgoingRecord {
            topic: format!("estospaces.{source}.v1"),
            key: key.to_owned(),
            payload: envelope.encode_to_vec(),
            headers: Vec::new(),
        };
        let results = match (&self.log, &self.kafka) {
            (Some(log), _) => log.publish(std::slice::from_ref(&record)).await,
            (None, Some(kafka)) => {
                KafkaSink::new(kafka.clone())
                    .expect("a producer")
                    .publish(std::slice::from_ref(&record))
                    .await
            }
            (None, None) => unreachable!("an app has a transport"),
        };
        for result in results {
            result.expect("the transport takes the event");
        }
    }

    /// `inquirer` started a conversation of `topic` with `owner` about `listing` in messaging:
    /// the conversation's name.
    pub async fn conversation(
        &self,
        inquirer: &User,
        owner: &User,
        listing: &str,
        topic: messaging::conversation::Topic,
    ) -> String {
        let conversation = format!("conversations/{}", uuid::Uuid::now_v7());
        self.publish_event(
            "messaging",
            "messaging.inquiry_created",
            &conversation,
            &messaging::InquiryCreated {
                conversation: Some(messaging::Conversation {
                    name: conversation.clone(),
                    listing: listing.to_owned(),
                    topic: topic as i32,
                    inquirer: inquirer.name.clone(),
                    owner: owner.name.clone(),
                    ..Default::default()
                }),
            },
        )
        .await;
        conversation
    }

    /// How many events of consumer groups starting with `group` this service has handled.
    pub async fn events_handled(&self, group: &str) -> usize {
        use sqlx::Row;
        let row =
            sqlx::query("SELECT COUNT(*) AS handled FROM event_inbox WHERE consumer_group LIKE $1")
                .bind(format!("{group}%"))
                .fetch_one(self.store.database().pool())
                .await
                .expect("the inbox is readable");
        let handled: i64 = row.try_get("handled").expect("a count");
        usize::try_from(handled).expect("a count")
    }

    /// Polls `done` until it holds, for up to 20 s.
    pub async fn wait_until<F, Fut>(&self, done: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done().await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the condition never held"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The score factor `factor` of `lead`.
pub fn factor<'a>(lead: &'a pb::Lead, factor: &str) -> &'a pb::ScoreFactor {
    lead.score_factors
        .iter()
        .find(|f| f.factor == factor)
        .unwrap_or_else(|| panic!("a {factor} factor in {:?}", lead.score_factors))
}
