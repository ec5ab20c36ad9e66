//! Conversations started in messaging about sales and rentals are inquiries too.

use estospaces_auth::Role;
use estospaces_proto::leads_v1::lead::{Source, Stage};
use estospaces_proto::messaging_v1::conversation::Topic;

use crate::helpers::*;

on_both_backends! {
    async fn a_sale_conversation_started_in_messaging_becomes_a_lead(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();

        let conversation = app.conversation(&buyer, &agent, &listing, Topic::Sale).await;

        app.wait_until(|| async { !app.list(&agent, "").await.expect("listed").is_empty() }).await;
        let leads = app.list(&agent, "").await.expect("listed");
        assert_eq!(leads.len(), 1);
        let lead = &leads[0];
        assert_eq!(lead.source(), Source::Messaging);
        assert_eq!(lead.conversation, conversation);
        assert_eq!(lead.listing, listing);
        assert_eq!(lead.agent, agent.name);
        assert_eq!(lead.stage(), Stage::New);
        assert_eq!(lead.contact.clone().expect("a contact").user, buyer.name);
        // The same person using the form later adds to the same lead.
        let asked = app.ask(&buyer, &listing).await;
        assert_eq!(asked, lead.name);
        assert_eq!(app.lead(&agent, &asked).await.expect("read").inquiry_count, 2);
    }

    async fn a_stay_conversation_does_not_become_a_lead(backend: Backend) {
        let app = spawn_app(backend).await;
        let host = app.user_with(&[Role::Host]);
        let stay = app.publish_as(&host, short_stay()).await;
        let guest = app.user();

        app.conversation(&guest, &host, &stay, Topic::Stay).await;

        app.wait_until(|| async { app.events_handled("leads.messaging-events").await == 1 }).await;
        assert!(app.list(&host, "").await.expect("listed").is_empty());
    }
}
