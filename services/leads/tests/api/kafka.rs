//! The service on Kafka: the messaging service's events reach it over the broker.

use estospaces_proto::leads_v1::lead::Source;
use estospaces_proto::messaging_v1::conversation::Topic;

use crate::helpers::*;

#[tokio::test]
async fn on_kafka_a_conversation_started_in_messaging_becomes_a_lead() {
    let app = spawn_app_with(Backend::Postgres, true, None).await;
    let (agent, listing) = app.sale_listing().await;
    let buyer = app.user();

    let conversation = app
        .conversation(&buyer, &agent, &listing, Topic::Sale)
        .await;

    app.wait_until(|| async { !app.list(&agent, "").await.expect("listed").is_empty() })
        .await;
    let leads = app.list(&agent, "").await.expect("listed");
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].source(), Source::Messaging);
    assert_eq!(leads[0].conversation, conversation);
    assert_eq!(
        leads[0].contact.clone().expect("a contact").user,
        buyer.name
    );
}
