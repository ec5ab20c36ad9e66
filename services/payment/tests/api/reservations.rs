//! The payment side of the reservation saga: a project unit reservation's deposit, fed project
//! events through the embedded event log.

use estospaces_payment::provider::Movement;
use estospaces_proto::payment_v1 as pb;
use tonic::Code;

use crate::helpers::{
    Reservation, TestApp, authorized, bad_fields, new_id, on_both_backends, publish_project,
    spawn_app,
};

/// The deposit of `reservation`, through the API as the admin.
async fn deposit_of(app: &mut TestApp, reservation: &Reservation) -> pb::Payment {
    let admin = app.admin.clone();
    app.client
        .list_payments(authorized(
            pb::ListPaymentsRequest {
                reservation: reservation.name(),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .expect("listed")
        .into_inner()
        .payments
        .pop()
        .expect("the reservation has a deposit")
}

/// How many authorizations the provider made.
fn authorizations(app: &TestApp) -> usize {
    app.sandbox
        .movements()
        .iter()
        .filter(|movement| matches!(movement, Movement::Authorized { .. }))
        .count()
}

on_both_backends! {
    async fn a_requested_reservation_authorizes_its_deposit_and_its_confirmation_captures_it(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let reservation = Reservation::new();

        publish_project(&log, &reservation, &[reservation.requested("4242424242424242")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.authorized"]);
        publish_project(&log, &reservation, &[reservation.confirmed(), reservation.completed()]).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.captured"]);

        let events = app.events().await;
        let captured: pb::PaymentCaptured = events[1].payload().expect("a PaymentCaptured");
        assert_eq!(captured.captured_amount, 5_000);
        let facts = captured.payment.expect("facts");
        assert_eq!(facts.reservation, reservation.name());
        assert!(facts.booking.is_empty(), "{facts:?}");
        assert_eq!(facts.payer, format!("users/{}", reservation.buyer));

        let deposit = deposit_of(&mut app, &reservation).await;
        assert_eq!(deposit.state(), pb::payment::State::Captured);
        assert_eq!(deposit.reservation, reservation.name());
        assert!(deposit.booking.is_empty());
        assert_eq!(deposit.host, format!("users/{}", reservation.developer));
        assert_eq!((deposit.amount, deposit.platform_fee), (5_000, 0));
        // No fee, and no payout: the deposit stays with the platform until the sale.
        app.assert_ledger(&reservation.developer, 5_000, 0, -5_000).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.event_types().await.len(), 2, "reservation.completed moves nothing");
        let payouts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payouts")
            .fetch_one(app.database.database.pool())
            .await
            .expect("readable");
        assert_eq!(payouts, 0);
    }

    async fn a_declined_card_fails_the_deposit_naming_its_reservation(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let reservation = Reservation::new();

        publish_project(&log, &reservation, &[reservation.requested("4000000000000002")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.failed"]);
        let failed: pb::PaymentFailed = app.events().await[0].payload().expect("a PaymentFailed");
        assert_eq!(failed.failure_code, "card_declined");
        let facts = failed.payment.expect("facts");
        assert_eq!(facts.reservation, reservation.name());
        assert!(facts.booking.is_empty());
        app.assert_ledger(&reservation.developer, 0, 0, 0).await;
    }

    async fn a_reservation_released_after_its_authorization_voids_the_deposit(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let reservation = Reservation::new();

        publish_project(&log, &reservation, &[
            reservation.requested("4242424242424242"),
            reservation.released(5_000),
        ]).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.voided"]);
        let voided: pb::PaymentVoided = app.events().await[1].payload().expect("a PaymentVoided");
        assert_eq!(voided.payment.expect("facts").reservation, reservation.name());
        assert_eq!(deposit_of(&mut app, &reservation).await.state(), pb::payment::State::Voided);
        assert!(app.money_movements().is_empty(), "nothing was charged");
    }

    async fn a_reservation_released_after_its_capture_refunds_the_deposit(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let reservation = Reservation::new();

        publish_project(&log, &reservation, &[
            reservation.requested("4242424242424242"),
            reservation.confirmed(),
            reservation.released(5_000),
        ]).await;
        assert_eq!(
            app.wait_for_events(3).await,
            ["payment.authorized", "payment.captured", "payment.refunded"]
        );
        let refunded: pb::PaymentRefunded = app.events().await[2].payload().expect("a PaymentRefunded");
        assert_eq!(refunded.refunded_amount, 5_000);
        assert_eq!(refunded.payment.expect("facts").reservation, reservation.name());
        assert_eq!(deposit_of(&mut app, &reservation).await.state(), pb::payment::State::Refunded);
        app.assert_ledger(&reservation.developer, 0, 0, 0).await;
    }

    async fn a_reservation_released_giving_nothing_back_keeps_the_whole_deposit(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let reservation = Reservation::new();

        publish_project(&log, &reservation, &[
            reservation.requested("4242424242424242"),
            reservation.released(0),
        ]).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.captured"]);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.event_types().await.len(), 2, "a refund of 0 records nothing");
        assert_eq!(deposit_of(&mut app, &reservation).await.state(), pb::payment::State::Captured);
        app.assert_ledger(&reservation.developer, 5_000, 0, -5_000).await;
    }

    async fn an_authorization_answered_after_its_reservation_was_released_is_voided(backend: Backend) {
        let app = spawn_app(backend).await;
        let log = app.event_log().await;
        let reservation = Reservation::new();

        // The provider is down when the reservation asks; it is released before it answers.
        app.sandbox.fail_next_calls(1);
        publish_project(&log, &reservation, &[
            reservation.requested("4242424242424242"),
            reservation.released(5_000),
        ]).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.voided"]);
        assert!(app.money_movements().is_empty(), "nothing was charged");
    }

    async fn a_reservation_request_replayed_after_its_release_authorizes_nothing(backend: Backend) {
        let app = spawn_app(backend).await;
        let log = app.event_log().await;
        let released = Reservation::new();
        let next = Reservation::new();

        // Its request was dead-lettered, and replayed by an operator after the release.
        publish_project(&log, &released, &[
            released.released(5_000),
            released.requested("4242424242424242"),
        ]).await;
        publish_project(&log, &next, &[next.requested("4242424242424242")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.authorized"]);
        let authorized: pb::PaymentAuthorized = app.events().await[0].payload().expect("a PaymentAuthorized");
        assert_eq!(authorized.payment.expect("facts").reservation, next.name());
        assert_eq!(authorizations(&app), 1, "only the live reservation was authorized");
    }

    async fn a_malformed_reservation_event_is_dead_lettered_and_the_next_one_is_handled(backend: Backend) {
        let app = spawn_app(backend).await;
        let log = app.event_log().await;
        let broken = Reservation::new();
        let reservation = Reservation::new();
        let mut facts = broken.facts();
        if let Some(facts) = facts.as_mut() {
            facts.reservation = format!("projects/{}/units/{}", broken.project, broken.id);
        }
        let malformed = broken.envelope(
            "reservation.requested",
            &estospaces_proto::project_v1::ReservationRequested {
                reservation: facts,
                payment_method: "4242424242424242".to_owned(),
            },
        );

        publish_project(&log, &broken, &[malformed]).await;
        publish_project(&log, &reservation, &[reservation.requested("4242424242424242")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.authorized"]);
        let dead_letters = log
            .count_after("estospaces.dlq.payment.project-events", 0)
            .await
            .expect("the dead-letter topic is readable");
        assert_eq!(dead_letters, 1);
    }

    async fn an_admin_authorizes_a_deposit_for_a_reservation_and_lists_it_by_reservation(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (buyer, developer) = (new_id(), new_id());
        let reservation = format!("projects/{}/reservations/{}", new_id(), new_id());
        let mut request = TestApp::authorize_request(&buyer, &developer, "4242424242424242");
        request.booking = String::new();
        request.reservation = reservation.clone();
        request.platform_fee = 0;

        let payment = app.authorize(request.clone()).await;
        assert_eq!(payment.state(), pb::payment::State::Authorized);
        assert_eq!(payment.reservation, reservation);
        assert!(payment.booking.is_empty());
        // A reservation has at most one deposit.
        request.idempotency_key = new_id();
        let admin = app.admin.clone();
        let again = app
            .client
            .authorize_payment(authorized(request, &admin))
            .await
            .expect_err("a second deposit is refused");
        assert_eq!(again.code(), Code::AlreadyExists);

        let buyer_token = app.token_for(&buyer, &[]);
        let listed = app
            .client
            .list_payments(authorized(
                pb::ListPaymentsRequest { reservation, ..Default::default() },
                &buyer_token,
            ))
            .await
            .expect("the buyer lists their deposit")
            .into_inner()
            .payments;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, payment.name);
    }

    async fn authorizing_for_both_a_booking_and_a_reservation_is_invalid(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin.clone();
        let mut both = TestApp::authorize_request(&new_id(), &new_id(), "4242424242424242");
        both.reservation = format!("projects/{}/reservations/{}", new_id(), new_id());
        let mut neither = both.clone();
        neither.booking = String::new();
        neither.reservation = String::new();
        let mut misnamed = neither.clone();
        misnamed.reservation = format!("projects/{}/units/{}", new_id(), new_id());

        for (request, field) in [(both, "reservation"), (neither, "booking"), (misnamed, "reservation")] {
            let status = app
                .client
                .authorize_payment(authorized(request, &admin))
                .await
                .expect_err("refused");
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(bad_fields(&status), [field]);
        }
        assert_eq!(authorizations(&app), 0, "nothing was authorized");
    }
}
