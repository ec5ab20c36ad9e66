//! Viewing slots: agents publish them, leads book them, one lead per slot.

use estospaces_proto::leads_v1 as pb;
use pb::lead::Stage;
use tonic::Code;

use crate::helpers::*;

/// A slot as listed: its name, whether booked, and the lead shown.
fn shown(slots: &[pb::ViewingSlot]) -> Vec<(String, bool, String)> {
    slots
        .iter()
        .map(|slot| (slot.name.clone(), slot.booked, slot.lead.clone()))
        .collect()
}

async fn cancel(app: &TestApp, user: &User, lead: &str) -> Result<(), tonic::Status> {
    app.leads
        .clone()
        .cancel_viewing(authorized(
            pb::CancelViewingRequest {
                lead: lead.to_owned(),
            },
            &user.token,
        ))
        .await
        .map(drop)
}

on_both_backends! {
    async fn an_agent_publishes_slots_but_not_overlapping_ones(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;

        let first = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("agents publish slots");
        let for_listing = app
            .publish_slot(&agent, &agent, pb::ViewingSlot { listing: listing.clone(), ..slot(49, 60) })
            .await
            .expect("a slot right after, for one listing");
        let overlapping = app.publish_slot(&agent, &agent, slot(49, 30)).await.expect_err("overlaps");
        let straddling = app.publish_slot(&agent, &agent, slot(47, 90)).await.expect_err("overlaps");

        assert!(first.name.starts_with(&format!("{}/viewingSlots/", agent.name)));
        assert!(!first.booked);
        assert_eq!(for_listing.listing, listing);
        for refused in [overlapping, straddling] {
            assert_eq!(refused.code(), Code::AlreadyExists);
            assert_eq!(reason(&refused), "VIEWING_SLOTS_OVERLAP");
        }
        let listed = app.slots(Some(&agent), &agent).await;
        assert_eq!(listed, [first, for_listing], "slots read as they were written");
    }

    async fn nobody_publishes_in_someone_elses_calendar(backend: Backend) {
        let app = spawn_app(backend).await;
        let agent = app.agent();
        let other = app.agent();

        let refused = app.publish_slot(&other, &agent, slot(48, 60)).await.expect_err("not their calendar");

        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(reason(&refused), "NOT_YOUR_CALENDAR");
        assert!(app.slots(None, &agent).await.is_empty());
    }

    async fn of_two_leads_racing_for_one_slot_exactly_one_wins(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let (ana, rui) = (app.user(), app.user());
        let ana_lead = app.ask(&ana, &listing).await;
        let rui_lead = app.ask(&rui, &listing).await;
        let only = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("published");

        let (for_ana, for_rui) = tokio::join!(
            app.book(&ana, &ana_lead, &only.name),
            app.book(&rui, &rui_lead, &only.name),
        );

        let (winner, loser) = match (for_ana, for_rui) {
            (Ok(_), Err(lost)) => (ana_lead, lost),
            (Err(lost), Ok(_)) => (rui_lead, lost),
            other => panic!("exactly one booking wins: {other:?}"),
        };
        assert_eq!(loser.code(), Code::Aborted);
        assert_eq!(reason(&loser), "VIEWING_SLOT_TAKEN");
        assert_eq!(shown(&app.slots(Some(&agent), &agent).await), [(only.name.clone(), true, winner.clone())]);
        assert_eq!(app.lead(&agent, &winner).await.expect("read").viewing, only.name);
    }

    async fn booking_schedules_the_viewing_and_rebooking_frees_the_first_slot(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let lead = app.ask(&buyer, &listing).await;
        let first = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("published");
        let second = app.publish_slot(&agent, &agent, slot(72, 60)).await.expect("published");

        let booked = app.book(&buyer, &lead, &first.name).await.expect("the person who asked books");
        let scheduled = app.lead(&agent, &lead).await.expect("read");
        let rebooked = app.book(&buyer, &lead, &second.name).await.expect("and moves the viewing");

        assert!(booked.booked);
        assert_eq!(booked.lead, lead);
        assert_eq!(scheduled.stage(), Stage::ViewingScheduled);
        assert_eq!(scheduled.viewing, first.name);
        assert_eq!(rebooked.name, second.name);
        assert_eq!(
            shown(&app.slots(Some(&agent), &agent).await),
            [(first.name.clone(), false, String::new()), (second.name.clone(), true, lead.clone())]
        );
        let moved = app.lead(&agent, &lead).await.expect("read");
        assert_eq!(moved.viewing, second.name);
        assert_eq!(moved.stage(), Stage::ViewingScheduled);
    }

    async fn cancelling_a_viewing_frees_its_slot_and_returns_the_lead_to_contacted(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let lead = app.ask(&buyer, &listing).await;
        let only = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("published");
        app.book(&agent, &lead, &only.name).await.expect("the agent books for the lead");

        cancel(&app, &buyer, &lead).await.expect("the person who asked cancels");

        let lead_now = app.lead(&agent, &lead).await.expect("read");
        assert_eq!(lead_now.stage(), Stage::Contacted);
        assert_eq!(lead_now.viewing, "");
        assert!(lead_now.first_response_time.is_some(), "the agent booking it answered the lead");
        assert_eq!(shown(&app.slots(Some(&agent), &agent).await), [(only.name.clone(), false, String::new())]);
        let again = cancel(&app, &buyer, &lead).await.expect_err("nothing to cancel");
        assert_eq!(again.code(), Code::FailedPrecondition);
        assert_eq!(reason(&again), "NO_VIEWING");
        let stranger = cancel(&app, &app.user(), &lead).await.expect_err("not theirs");
        assert_eq!(stranger.code(), Code::PermissionDenied);
    }

    async fn a_lead_lost_before_its_viewing_gives_the_slot_back(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let lead = app.ask(&buyer, &listing).await;
        let only = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("published");
        app.book(&buyer, &lead, &only.name).await.expect("booked");
        let lost = pb::ChangeLeadStageRequest {
            name: lead.clone(),
            stage: Stage::Lost as i32,
            lost_reason: pb::lead::LostReason::WentElsewhere as i32,
            ..Default::default()
        };

        let changed = app
            .leads
            .clone()
            .change_lead_stage(authorized(lost, &agent.token))
            .await
            .expect("lost")
            .into_inner()
            .lead
            .expect("a lead");

        assert_eq!(changed.viewing, "");
        assert_eq!(app.lead(&agent, &lead).await.expect("read").viewing, "");
        assert_eq!(shown(&app.slots(Some(&agent), &agent).await), [(only.name.clone(), false, String::new())]);
    }

    async fn a_booked_slot_cannot_be_deleted_but_a_free_one_can(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let lead = app.ask(&buyer, &listing).await;
        let booked = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("published");
        let free = app.publish_slot(&agent, &agent, slot(72, 60)).await.expect("published");
        app.book(&buyer, &lead, &booked.name).await.expect("booked");
        let delete = |name: &str| {
            let mut leads = app.leads.clone();
            let request = authorized(pb::DeleteViewingSlotRequest { name: name.to_owned() }, &agent.token);
            async move { leads.delete_viewing_slot(request).await }
        };

        let refused = delete(&booked.name).await.expect_err("booked");
        delete(&free.name).await.expect("a free slot is withdrawn");

        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "VIEWING_SLOT_BOOKED");
        assert_eq!(shown(&app.slots(Some(&agent), &agent).await), [(booked.name.clone(), true, lead.clone())]);
    }

    async fn who_booked_a_slot_is_shown_to_the_agent_only(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let lead = app.ask(&buyer, &listing).await;
        let only = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("published");
        app.book(&buyer, &lead, &only.name).await.expect("booked");

        let public = app.slots(None, &agent).await;
        let to_buyer = app.slots(Some(&buyer), &agent).await;
        let to_agent = app.slots(Some(&agent), &agent).await;

        assert_eq!(shown(&public), [(only.name.clone(), true, String::new())]);
        assert_eq!(shown(&to_buyer), [(only.name.clone(), true, String::new())]);
        assert_eq!(shown(&to_agent), [(only.name.clone(), true, lead.clone())]);
    }

    async fn the_calendar_feed_lists_booked_viewings(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let lead = app.ask(&buyer, &listing).await;
        let booked = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("published");
        app.publish_slot(&agent, &agent, slot(72, 60)).await.expect("a free slot");
        app.book(&buyer, &lead, &booked.name).await.expect("booked");

        let feed = app
            .leads
            .clone()
            .get_viewing_calendar_feed(pb::GetViewingCalendarFeedRequest { agent: agent.name.clone() })
            .await
            .expect("the feed is public")
            .into_inner();

        assert!(feed.content_type.starts_with("text/calendar"), "{}", feed.content_type);
        let text = String::from_utf8(feed.data).expect("UTF-8");
        let slot_id = booked.name.rsplit('/').next().expect("an id");
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 1, "only the booked slot: {text}");
        assert!(text.contains(&format!("UID:{slot_id}@leads.estospaces.dev")), "{text}");
        assert!(text.contains("SUMMARY:Viewing: Flat for sale in Alfama"), "{text}");
        assert!(!text.contains(&buyer.id), "who is coming stays out of the feed: {text}");
    }

    async fn a_slot_for_another_listing_a_closed_lead_or_a_stranger_cannot_book(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let other_listing = app.publish_as(&agent, for_sale()).await;
        let buyer = app.user();
        let lead = app.ask(&buyer, &listing).await;
        let elsewhere = app
            .publish_slot(&agent, &agent, pb::ViewingSlot { listing: other_listing, ..slot(48, 60) })
            .await
            .expect("published");
        let any = app.publish_slot(&agent, &agent, slot(72, 60)).await.expect("published");

        let wrong_listing = app.book(&buyer, &lead, &elsewhere.name).await.expect_err("another listing's slot");
        let stranger = app.book(&app.user(), &lead, &any.name).await.expect_err("not their lead");
        app.change_stage(&agent, &lead, Stage::Won).await.expect("won");
        let closed = app.book(&buyer, &lead, &any.name).await.expect_err("a won lead has nothing to view");

        assert_eq!(wrong_listing.code(), Code::FailedPrecondition);
        assert_eq!(reason(&wrong_listing), "VIEWING_SLOT_FOR_ANOTHER_LISTING");
        assert_eq!(stranger.code(), Code::PermissionDenied);
        assert_eq!(closed.code(), Code::FailedPrecondition);
        assert_eq!(reason(&closed), "LEAD_CLOSED");
        assert!(app.slots(None, &agent).await.iter().all(|slot| !slot.booked));
    }
}
