//! Inquiries through the contact form become leads of the listing's agent.

use estospaces_auth::Role;
use estospaces_proto::leads_v1 as pb;
use estospaces_proto::profile_v1 as profile;
use pb::lead::{Source, Stage};
use tonic::Code;

use crate::helpers::*;

on_both_backends! {
    async fn an_inquiry_creates_one_lead_for_the_listings_agent(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();

        let name = app
            .inquire(
                Some(&buyer),
                pb::CreateInquiryRequest {
                    contact: Some(pb::Contact {
                        display_name: "Ana Sousa".to_owned(),
                        phone: "+351 912 345 678".to_owned(),
                        ..Default::default()
                    }),
                    budget: 44_000_000,
                    financing: pb::Financing::Cash as i32,
                    ..inquiry(&listing, "Is the roof terrace shared?")
                },
            )
            .await
            .expect("signed-in users ask");

        let lead = app.lead(&agent, &name).await.expect("the agent reads their lead");
        assert_eq!(lead.name, name);
        assert_eq!(lead.listing, listing);
        assert_eq!(lead.listing_title, "Flat for sale in Alfama");
        assert_eq!(lead.agent, agent.name);
        assert_eq!(lead.agency, "");
        let contact = lead.contact.clone().expect("a contact");
        assert_eq!(contact.user, buyer.name);
        assert_eq!(contact.display_name, "Ana Sousa");
        assert_eq!(contact.phone, "+351 912 345 678");
        assert_eq!(lead.stage(), Stage::New);
        assert_eq!(lead.source(), Source::Form);
        assert_eq!(lead.inquiry_count, 1);
        assert_eq!(lead.budget, 44_000_000);
        assert_eq!(lead.currency_code, "EUR");
        assert_eq!(lead.financing(), pb::Financing::Cash);
        assert_eq!(lead.last_message, "Is the roof terrace shared?");
        assert!(lead.first_response_time.is_none());
        let listed = app.list(&agent, "").await.expect("agents list their leads");
        assert_eq!(listed.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), [name.as_str()]);
    }

    async fn a_second_inquiry_by_the_same_person_updates_their_lead_and_another_person_gets_a_second_lead(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let other = app.user();
        let first = app
            .inquire(Some(&buyer), pb::CreateInquiryRequest { budget: 40_000_000, ..inquiry(&listing, "Hello") })
            .await
            .expect("asked");

        let again = app
            .inquire(
                Some(&buyer),
                pb::CreateInquiryRequest { budget: 43_000_000, ..inquiry(&listing, "Could I pay a bit more?") },
            )
            .await
            .expect("asked again");
        let second = app.ask(&other, &listing).await;

        assert_eq!(again, first, "the same person's lead");
        assert_ne!(second, first, "another person's lead");
        let lead = app.lead(&agent, &first).await.expect("read");
        assert_eq!(lead.inquiry_count, 2);
        assert_eq!(lead.budget, 43_000_000);
        assert_eq!(lead.last_message, "Could I pay a bit more?");
        let other_lead = app.lead(&agent, &second).await.expect("read");
        assert_eq!(other_lead.inquiry_count, 1);
        assert_eq!(other_lead.contact.expect("a contact").user, other.name);
        assert_eq!(app.list(&agent, "").await.expect("listed").len(), 2);
    }

    async fn an_anonymous_inquiry_needs_a_name_and_an_email_address_and_returns_no_lead_name(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;

        let refused = app
            .inquire(None, inquiry(&listing, "Is it still available?"))
            .await
            .expect_err("anonymous inquiries say who they are");
        let taken = app
            .inquire(None, anonymous_inquiry(&listing, "Rui Costa", "Rui@Example.com"))
            .await
            .expect("anonymous inquiries are taken");
        let again = app
            .inquire(None, anonymous_inquiry(&listing, "Rui Costa", "RUI@example.com"))
            .await
            .expect("taken again");

        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&refused), ["contact.display_name", "contact.email"]);
        assert_eq!((taken.as_str(), again.as_str()), ("", ""), "an anonymous caller gets no lead to read");
        let leads = app.list(&agent, "").await.expect("listed");
        assert_eq!(leads.len(), 1, "one email address, one person");
        assert_eq!(leads[0].inquiry_count, 2);
        let contact = leads[0].contact.clone().expect("a contact");
        assert_eq!(contact.user, "");
        assert_eq!(contact.display_name, "Rui Costa");
        assert_eq!(contact.email, "rui@example.com");
    }

    async fn a_short_stay_is_booked_not_asked_about(backend: Backend) {
        let app = spawn_app(backend).await;
        let host = app.user_with(&[Role::Host]);
        let stay = app.publish_as(&host, short_stay()).await;

        let refused = app
            .inquire(Some(&app.user()), inquiry(&stay, "Is it free in May?"))
            .await
            .expect_err("short stays have no leads");

        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "LISTING_IS_A_SHORT_STAY");
        assert!(app.list(&host, "").await.expect("listed").is_empty());
    }

    async fn an_owner_cannot_inquire_about_their_own_listing(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;

        let refused = app
            .inquire(Some(&agent), inquiry(&listing, "Testing my own form"))
            .await
            .expect_err("owners do not ask themselves");

        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "OWN_LISTING");
        assert!(app.list(&agent, "").await.expect("listed").is_empty());
    }

    async fn an_inquiry_for_an_agent_in_an_agency_records_the_agency(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.agent();
        let agency = app.agency(&owner).await;
        let agent = app.agent();
        app.add_member(&agency, &owner, &agent, profile::MemberRole::Agent).await;
        let listing = app.publish_as(&agent, for_sale()).await;

        let name = app.ask(&app.user(), &listing).await;

        let lead = app.lead(&agent, &name).await.expect("the agent reads it");
        assert_eq!(lead.agent, agent.name);
        assert_eq!(lead.agency, agency);
    }

    async fn two_first_inquiries_of_one_person_at_once_make_one_lead_asked_twice(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();

        let (one, two) = tokio::join!(
            app.inquire(Some(&buyer), inquiry(&listing, "First tab")),
            app.inquire(Some(&buyer), inquiry(&listing, "Second tab")),
        );

        let (one, two) = (one.expect("taken"), two.expect("taken"));
        assert_eq!(one, two, "one person, one lead");
        let leads = app.list(&agent, "").await.expect("listed");
        assert_eq!(leads.len(), 1);
        assert_eq!(leads[0].inquiry_count, 2);
    }

    async fn leads_are_listed_newest_first_a_page_at_a_time_and_by_stage(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let mut asked = Vec::new();
        for _ in 0..3 {
            asked.push(app.ask(&app.user(), &listing).await);
        }
        app.change_stage(&agent, &asked[1], Stage::Contacted).await.expect("contacted");
        let page = |token: String, stage: Stage| {
            let mut leads = app.leads.clone();
            let request = authorized(
                pb::ListLeadsRequest { page_size: 2, page_token: token, stage: stage as i32, ..Default::default() },
                &agent.token,
            );
            async move { leads.list_leads(request).await.expect("listed").into_inner() }
        };

        let first = page(String::new(), Stage::Unspecified).await;
        let second = page(first.next_page_token.clone(), Stage::Unspecified).await;
        let contacted = page(String::new(), Stage::Contacted).await;

        let names = |page: &pb::ListLeadsResponse| page.leads.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&first), [asked[2].clone(), asked[1].clone()]);
        assert_ne!(first.next_page_token, "");
        assert_eq!(names(&second), [asked[0].clone()]);
        assert_eq!(second.next_page_token, "");
        assert_eq!(names(&contacted), [asked[1].clone()]);
    }
}
