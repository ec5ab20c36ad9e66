//! Blocks, masking, rate limits and spam checks; the booking's progress in the thread.

use estospaces_proto::booking_v1 as booking;
use estospaces_proto::messaging_v1 as pb;
use tonic::Code;

use crate::helpers::*;

fn block(user: &User, blocked: &User) -> tonic::Request<pb::CreateBlockRequest> {
    authorized(
        pb::CreateBlockRequest {
            parent: user.name.clone(),
            block: Some(pb::Block {
                blocked_user: blocked.name.clone(),
                ..Default::default()
            }),
        },
        &user.token,
    )
}

on_both_backends! {
    async fn a_block_stops_messages_both_ways_until_it_is_removed(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        let created = app.messaging.create_block(block(&host, &guest)).await.expect("blocked").into_inner().block.expect("a block");
        assert_eq!(created.name, format!("{}/blocks/{}", host.name, guest.id));

        for (sender, who) in [(&guest, "the blocked guest"), (&host, "the host who blocked")] {
            let err = app.send(sender, &conversation.name, text("hello?")).await.expect_err(who);
            assert_eq!(err.code(), Code::FailedPrecondition, "{who}");
            assert_eq!(reason(&err), "BLOCKED", "{who}");
        }
        let typing = app
            .messaging
            .send_typing_indicator(authorized(pb::SendTypingIndicatorRequest { name: conversation.name.clone() }, &guest.token))
            .await
            .expect_err("no typing either");
        assert_eq!(reason(&typing), "BLOCKED");
        let listing = conversation.listing.clone();
        let err = app.inquire(&guest, &listing, "hello again").await.expect_err("no new inquiry either");
        assert_eq!(reason(&err), "BLOCKED");

        let blocks = app
            .messaging
            .list_blocks(authorized(pb::ListBlocksRequest { parent: host.name.clone(), ..Default::default() }, &host.token))
            .await
            .expect("listed")
            .into_inner()
            .blocks;
        assert_eq!(blocks.len(), 1);
        app.messaging
            .delete_block(authorized(pb::DeleteBlockRequest { name: created.name.clone() }, &host.token))
            .await
            .expect("unblocked");
        app.send(&guest, &conversation.name, text("thanks")).await.expect("messages flow again");
        let again = app
            .messaging
            .delete_block(authorized(pb::DeleteBlockRequest { name: created.name }, &host.token))
            .await
            .expect_err("gone");
        assert_eq!(again.code(), Code::NotFound);
        let own = app.messaging.create_block(block(&host, &host)).await.expect_err("not oneself");
        assert_eq!(bad_fields(&own), ["block.blocked_user"]);
    }

    async fn contact_details_are_masked_until_a_booking_is_confirmed_and_the_thread_says_so(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        let masked = app
            .send(&guest, &conversation.name, text("call me on +44 7700 900123 or ann@example.com"))
            .await
            .expect("sent");
        assert_eq!(masked.text, "call me on [hidden] or [hidden]");
        assert!(masked.contact_details_masked);
        let seen = app.messages(&host, &conversation.name).await;
        assert!(!seen.iter().any(|m| m.text.contains("7700")), "the number never reaches the host");

        let (id, facts) = TestApp::booking_facts(&guest, &host, &conversation.listing);
        app.publish_booking("booking.confirmed", &id, &booking::BookingConfirmed { booking: Some(facts.clone()), capture_now: true }).await;
        let system = app
            .wait_for_message(&host, &conversation.name, |m| m.system_event == "booking.confirmed")
            .await;
        assert_eq!(system.kind, pb::message::Kind::System as i32);
        assert_eq!(system.booking, facts.booking);
        assert!(system.sender.is_empty());
        let now = app.get(&guest, &conversation.name).await;
        assert!(now.contact_details_allowed);
        assert_eq!(now.booking, facts.booking);
        let plain = app.send(&guest, &conversation.name, text("call me on +44 7700 900123")).await.expect("sent");
        assert_eq!(plain.text, "call me on +44 7700 900123");
        assert!(!plain.contact_details_masked);
    }

    async fn a_booking_between_strangers_starts_their_conversation_with_a_system_message(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.listing().await;
        let guest = app.user();
        let (id, facts) = TestApp::booking_facts(&guest, &host, &listing);
        let requested = booking::BookingRequested { booking: Some(facts.clone()), instant_book: false, ..Default::default() };
        app.publish_booking("booking.requested", &id, &requested).await;
        // Delivered twice, as a broker may: written once.
        app.publish_booking("booking.requested", &id, &requested).await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        let conversation = loop {
            let listed = app
                .messaging
                .list_conversations(authorized(pb::ListConversationsRequest { parent: guest.name.clone(), ..Default::default() }, &guest.token))
                .await
                .expect("listed")
                .into_inner();
            if let Some(found) = listed.conversations.into_iter().next() {
                break found;
            }
            assert!(tokio::time::Instant::now() < deadline, "no conversation");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(conversation.owner, host.name);
        app.publish_booking("booking.cancelled", &id, &booking::BookingCancelled { booking: Some(facts), ..Default::default() }).await;
        app.wait_for_message(&guest, &conversation.name, |m| m.system_event == "booking.cancelled").await;
        let events: Vec<String> = app.messages(&guest, &conversation.name).await.into_iter().map(|m| m.system_event).collect();
        assert_eq!(events, ["booking.cancelled", "booking.requested"]);
    }

    async fn a_sender_past_the_rate_is_told_to_wait_and_nothing_is_stored(backend: Backend) {
        let mut app = spawn_app_with(backend, false, |s| s.messages_per_minute = 3).await;
        let (guest, host, conversation) = app.conversation().await;
        app.send(&guest, &conversation.name, text("two")).await.expect("sent");
        app.send(&guest, &conversation.name, text("three")).await.expect("sent");
        let err = app.send(&guest, &conversation.name, text("four")).await.expect_err("too many");
        assert_eq!(err.code(), Code::ResourceExhausted);
        assert_eq!(reason(&err), "TOO_MANY_MESSAGES");
        assert!(estospaces_testing::retry_delay(&err).is_some(), "says when to retry");
        assert_eq!(app.messages(&host, &conversation.name).await.len(), 3);
        app.send(&host, &conversation.name, text("the other side still writes")).await.expect("per sender");

        // A refused first message starts no conversation either.
        let (_, other_listing) = app.listing().await;
        let err = app.inquire(&guest, &other_listing, "and this one?").await.expect_err("too many");
        assert_eq!(reason(&err), "TOO_MANY_MESSAGES");
        let listed = app
            .messaging
            .list_conversations(authorized(pb::ListConversationsRequest { parent: guest.name.clone(), ..Default::default() }, &guest.token))
            .await
            .expect("listed")
            .into_inner()
            .conversations;
        assert_eq!(listed.len(), 1, "no empty conversation was left behind");
    }

    async fn the_same_first_message_to_many_listings_is_refused_as_spam(backend: Backend) {
        let mut app = spawn_app_with(backend, false, |s| s.duplicate_first_messages = 2).await;
        let spammer = app.user();
        let pitch = "Cheap cleaning! Visit cleanfast dot biz";
        for _ in 0..2 {
            let (_, listing) = app.listing().await;
            app.inquire(&spammer, &listing, pitch).await.expect("still allowed");
        }
        let (_, listing) = app.listing().await;
        let err = app.inquire(&spammer, &listing, pitch).await.expect_err("spam");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason(&err), "SPAM_SUSPECTED");
        let started = app
            .messaging
            .list_conversations(authorized(pb::ListConversationsRequest { parent: spammer.name.clone(), ..Default::default() }, &spammer.token))
            .await
            .expect("listed")
            .into_inner()
            .conversations;
        assert_eq!(started.len(), 2, "the refused inquiry started nothing");
        app.inquire(&spammer, &listing, "Is the flat quiet at night?").await.expect("own words pass");
    }

    async fn a_user_starting_too_many_conversations_an_hour_is_told_to_wait(backend: Backend) {
        let mut app = spawn_app_with(backend, false, |s| s.inquiries_per_hour = 2).await;
        let guest = app.user();
        for question in ["Quiet?", "Parking?"] {
            let (_, listing) = app.listing().await;
            app.inquire(&guest, &listing, question).await.expect("allowed");
        }
        let (_, listing) = app.listing().await;
        let err = app.inquire(&guest, &listing, "Pets?").await.expect_err("too many");
        assert_eq!(reason(&err), "TOO_MANY_INQUIRIES");
    }

    async fn owners_cannot_inquire_about_their_own_listing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.listing().await;
        let err = app.inquire(&host, &listing, "hello me").await.expect_err("own listing");
        assert_eq!(reason(&err), "OWN_LISTING");
    }
}
