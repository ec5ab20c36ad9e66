//! The payment side of the booking saga, fed booking events through the embedded event log.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_events::{Event, EventHandler};
use estospaces_payment::domain::{PaymentId, PaymentState};
use estospaces_payment::events::BookingEventsHandler;
use estospaces_payment::payments::Payments;
use estospaces_payment::provider::{Movement, SandboxProvider};
use estospaces_payment::steps::{self, Step, StepKind, Steps};
use estospaces_payment::store;
use estospaces_proto::payment_v1 as pb;
use estospaces_storage::testing::TestDatabase;

use crate::helpers::{
    Backend, Booking, TestApp, on_both_backends, publish, spawn_app, spawn_app_with,
};

/// The payment of `booking`, through the API as the admin.
async fn payment_of(app: &mut TestApp, booking: &Booking) -> pb::Payment {
    let admin = app.admin.clone();
    app.client
        .list_payments(crate::helpers::authorized(
            pb::ListPaymentsRequest {
                booking: format!("bookings/{}", booking.id),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .expect("listed")
        .into_inner()
        .payments
        .pop()
        .expect("the booking has a payment")
}

/// Waits (up to 15 s) until `check` holds for the booking's payouts.
async fn wait_for_payout(app: &mut TestApp, host: &str) -> Vec<pb::Payout> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let admin = app.admin.clone();
        let payouts = app
            .client
            .list_payouts(crate::helpers::authorized(
                pb::ListPayoutsRequest {
                    host: format!("users/{host}"),
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .expect("listed")
            .into_inner()
            .payouts;
        let done = payouts
            .iter()
            .all(|payout| payout.state() != pb::payout::State::Scheduled);
        if (!payouts.is_empty() && done) || tokio::time::Instant::now() > deadline {
            return payouts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Payment's saga without a server or a consumer: booking events are handled one at a time and
/// steps run only when a test runs them.
struct StepsByHand {
    database: TestDatabase,
    sandbox: SandboxProvider,
    steps: Steps,
    handler: BookingEventsHandler,
}

impl StepsByHand {
    async fn new(backend: Backend) -> Self {
        let migrations = [
            estospaces_payment::store::MIGRATIONS,
            estospaces_events::MIGRATIONS,
        ];
        let database = match backend {
            Backend::Postgres => TestDatabase::postgres(&migrations).await,
            Backend::Sqlite => TestDatabase::sqlite(&migrations).await,
        }
        .expect("a database");
        let sandbox = SandboxProvider::new();
        let payments = Payments::new(Arc::new(sandbox.clone()), Duration::from_secs(5));
        let steps = Steps::new(database.database.clone(), payments, Duration::ZERO);
        let handler = BookingEventsHandler::new(steps.clone());
        Self {
            database,
            sandbox,
            steps,
            handler,
        }
    }

    /// Handles one booking event in a transaction of its own, as the consumer would.
    async fn handle(&self, envelope: Vec<u8>) {
        let event = Event::decode(&envelope).expect("an event");
        let mut tx = self
            .database
            .database
            .pool()
            .begin()
            .await
            .expect("a transaction");
        self.handler.handle(&mut tx, &event).await.expect("handled");
        tx.commit().await.expect("committed");
    }

    /// A harness whose booking is authorized and was just confirmed: its capture is due.
    async fn with_a_confirmed_booking(backend: Backend) -> (Self, Booking) {
        let saga = Self::new(backend).await;
        let booking = Booking::new();
        saga.handle(booking.requested("4242424242424242")).await;
        assert_eq!(
            saga.steps.run_due_once().await.expect("ran"),
            1,
            "the authorization"
        );
        saga.handle(booking.confirmed(true)).await;
        (saga, booking)
    }

    /// Steps not done yet, in any state.
    async fn steps_left(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM payment_steps")
            .fetch_one(self.database.database.pool())
            .await
            .expect("readable")
    }

    /// The payment's state as stored.
    async fn state(&self, id: PaymentId) -> PaymentState {
        store::find_payment(self.database.database.pool(), id)
            .await
            .expect("readable")
            .expect("the payment exists")
            .state
    }
}

on_both_backends! {
    async fn an_instant_booking_is_authorized_captured_and_its_host_paid_after_check_in(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        publish(&log, &booking, &[booking.requested("4242424242424242")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.authorized"]);
        let confirmed = booking.confirmed(true);
        publish(&log, &booking, std::slice::from_ref(&confirmed)).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.captured"]);
        app.assert_ledger(&booking.host, 10_000, -1_500, -8_500).await;

        publish(&log, &booking, &[booking.checked_in()]).await;
        let payouts = wait_for_payout(&mut app, &booking.host).await;
        assert_eq!(payouts.len(), 1);
        assert_eq!(payouts[0].state(), pb::payout::State::Paid);
        assert_eq!(payouts[0].amount, 8_500);
        // The host was paid what they were owed: the clearing account keeps the fee.
        app.assert_ledger(&booking.host, 1_500, -1_500, 0).await;

        let events = app.events().await;
        let captured: pb::PaymentCaptured = events[1].payload().expect("a PaymentCaptured");
        assert_eq!(captured.captured_amount, 10_000);
        let facts = captured.payment.expect("facts");
        assert_eq!(facts.booking, format!("bookings/{}", booking.id));
        assert_eq!(facts.payer, format!("users/{}", booking.guest));
        // The payment's events join the booking's flow.
        let confirmed = Event::decode(&confirmed).expect("an envelope");
        assert_eq!(events[1].envelope.correlation_id, confirmed.envelope.correlation_id);
        assert_eq!(events[1].envelope.causation_id, confirmed.envelope.event_id);
    }

    async fn capture_at_check_in_waits_for_check_in(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        publish(&log, &booking, &[booking.requested("pm_card_visa"), booking.confirmed(false)]).await;
        app.wait_for_events(1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(payment_of(&mut app, &booking).await.state(), pb::payment::State::Authorized);
        assert!(app.money_movements().is_empty());

        publish(&log, &booking, &[booking.checked_in()]).await;
        assert_eq!(app.wait_for_events(2).await[..2], ["payment.authorized", "payment.captured"]);
        let payouts = wait_for_payout(&mut app, &booking.host).await;
        assert_eq!(payouts[0].amount, 8_500);
        // Paid at once (no payout delay here): the host hears of it through an event.
        assert_eq!(app.wait_for_events(3).await[2], "payment.payout_paid");
        let paid: pb::PayoutPaid = app.events().await[2].payload().expect("a PayoutPaid");
        assert_eq!((paid.amount, paid.host), (8_500, format!("users/{}", booking.host)));
    }

    async fn a_declined_card_fails_the_payment_with_its_code(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        publish(&log, &booking, &[booking.requested("4000000000000002")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.failed"]);
        let failed: pb::PaymentFailed = app.events().await[0].payload().expect("a PaymentFailed");
        assert_eq!(failed.failure_code, "card_declined");
        assert_eq!(failed.payment.expect("facts").booking, format!("bookings/{}", booking.id));
        // The booking service answers with booking.payment_failed; nothing more happens here.
        app.assert_ledger(&booking.host, 0, 0, 0).await;
    }

    async fn an_expired_hold_voids_the_authorization(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        publish(&log, &booking, &[booking.requested("4242424242424242"), booking.expired()]).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.voided"]);
        assert_eq!(payment_of(&mut app, &booking).await.state(), pb::payment::State::Voided);
        assert!(app.money_movements().is_empty());
        app.assert_ledger(&booking.host, 0, 0, 0).await;
    }

    async fn a_guest_cancelling_before_capture_is_charged_the_kept_part_only(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        publish(&log, &booking, &[
            booking.requested("4242424242424242"),
            booking.confirmed(false),
            booking.cancelled(false, 5_000),
        ]).await;
        assert_eq!(
            app.wait_for_events(3).await,
            ["payment.authorized", "payment.captured", "payment.refunded"]
        );
        let refunded: pb::PaymentRefunded = app.events().await[2].payload().expect("a PaymentRefunded");
        assert_eq!(refunded.refunded_amount, 5_000);
        assert_eq!(refunded.total_refunded_amount, 5_000);
        let payment = payment_of(&mut app, &booking).await;
        assert_eq!(payment.state(), pb::payment::State::PartiallyRefunded);
        // 5,000 kept: 750 fee, 4,250 for the host.
        app.assert_ledger(&booking.host, 5_000, -750, -4_250).await;
    }

    async fn a_host_cancelling_refunds_everything_captured(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        publish(&log, &booking, &[
            booking.requested("4242424242424242"),
            booking.confirmed(true),
            booking.cancelled(true, 10_000),
        ]).await;
        assert_eq!(
            app.wait_for_events(3).await,
            ["payment.authorized", "payment.captured", "payment.refunded"]
        );
        assert_eq!(payment_of(&mut app, &booking).await.state(), pb::payment::State::Refunded);
        app.assert_ledger(&booking.host, 0, 0, 0).await;
    }

    async fn a_full_refund_of_an_uncaptured_payment_is_a_void(backend: Backend) {
        let app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        publish(&log, &booking, &[
            booking.requested("4242424242424242"),
            booking.cancelled(false, 10_000),
        ]).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.voided"]);
        assert!(app.money_movements().is_empty());
    }

    async fn redelivered_and_repeated_events_move_money_once(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();
        let requested = booking.requested("4242424242424242");
        let confirmed = booking.confirmed(true);
        let cancelled = booking.cancelled(false, 3_000);

        // The same envelopes twice (redelivery), and the same facts under new event ids (a
        // producer that sent again).
        publish(&log, &booking, &[
            requested.clone(),
            requested,
            booking.requested("4242424242424242"),
            confirmed.clone(),
            confirmed,
            booking.confirmed(true),
            cancelled.clone(),
            cancelled,
        ]).await;
        assert_eq!(
            app.wait_for_events(3).await,
            ["payment.authorized", "payment.captured", "payment.refunded"]
        );
        // Everything after the last one is a duplicate; give them time to be skipped.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(app.event_types().await.len(), 3);
        let payment = payment_of(&mut app, &booking).await;
        assert_eq!(payment.refunded_amount, 3_000);
        assert_eq!(app.money_movements().len(), 2, "one capture, one refund");
        assert_eq!(app.ledger_transactions("capture").await, 1);
        assert_eq!(app.ledger_transactions("refund").await, 1);
        app.assert_ledger(&booking.host, 7_000, -1_050, -5_950).await;
    }

    async fn a_lost_provider_answer_is_retried_by_the_consumer_and_charges_once(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        publish(&log, &booking, &[booking.requested("4242424242424242")]).await;
        app.wait_for_events(1).await;
        app.sandbox.lose_next_answers(1);
        publish(&log, &booking, &[booking.confirmed(true)]).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.captured"]);
        assert_eq!(app.money_movements().len(), 1);
        app.assert_ledger(&booking.host, 10_000, -1_500, -8_500).await;
    }

    async fn a_step_cut_off_after_the_provider_acted_is_finished_with_the_same_key_and_charges_once(backend: Backend) {
        let (saga, _) = StepsByHand::with_a_confirmed_booking(backend).await;
        let (sandbox, steps, pool) = (&saga.sandbox, &saga.steps, saga.database.database.pool());
        // The provider captures, then the answer is lost: as if the process died between the
        // call and its record. The step stays, to be run again after its backoff.
        sandbox.lose_next_answers(1);
        assert_eq!(steps.run_due_once().await.expect("ran"), 1);
        assert_eq!(saga.steps_left().await, 1, "the capture waits to be run again");
        tokio::time::sleep(steps::backoff(1) + Duration::from_millis(100)).await;
        assert_eq!(steps.run_due_once().await.expect("ran"), 1);

        let captures: Vec<Movement> = sandbox
            .movements()
            .into_iter()
            .filter(|movement| matches!(movement, Movement::Captured { .. }))
            .collect();
        assert_eq!(captures.len(), 1, "the provider charged once: {captures:?}");
        let booked: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT transaction_id) FROM ledger_entries WHERE kind = 'capture'",
        )
        .fetch_one(pool)
        .await
        .expect("readable");
        assert_eq!(booked, 1);
        assert_eq!(saga.steps_left().await, 0, "every step is done");
    }

    async fn a_later_step_of_a_payment_waits_while_an_earlier_one_backs_off(backend: Backend) {
        let (saga, booking) = StepsByHand::with_a_confirmed_booking(backend).await;
        let (sandbox, steps) = (&saga.sandbox, &saga.steps);
        // The capture's answer is lost, so it backs off; meanwhile the guest cancels and is
        // owed part of it back: a refund that must not overtake the capture.
        sandbox.lose_next_answers(1);
        assert_eq!(steps.run_due_once().await.expect("ran"), 1);
        saga.handle(booking.cancelled(false, 4_000)).await;
        assert_eq!(
            steps.run_due_once().await.expect("ran"),
            0,
            "the refund waits for the capture, which is not due yet"
        );

        tokio::time::sleep(steps::backoff(1) + Duration::from_millis(100)).await;
        assert_eq!(steps.run_due_once().await.expect("ran"), 1, "the capture");
        assert_eq!(steps.run_due_once().await.expect("ran"), 1, "then the refund");
        let moved: Vec<&str> = sandbox
            .movements()
            .iter()
            .map(|movement| match movement {
                Movement::Authorized { .. } => "authorized",
                Movement::Captured { .. } => "captured",
                Movement::Voided { .. } => "voided",
                Movement::Refunded { .. } => "refunded",
            })
            .collect();
        assert_eq!(moved, ["authorized", "captured", "refunded"]);
    }

    async fn the_saga_capture_refused_because_an_operator_void_won_waits_for_the_void_to_be_recorded(backend: Backend) {
        let (saga, booking) = StepsByHand::with_a_confirmed_booking(backend).await;
        let (sandbox, steps, pool) = (&saga.sandbox, &saga.steps, saga.database.database.pool());

        // An operator voids meanwhile: the provider voids, and the RPC's record of it is still
        // on its way (here: its answer lost, so it waits for a retry).
        let payment = store::find_payment_of_booking(pool, &booking.id)
            .await
            .expect("readable")
            .expect("authorized");
        let void = Step::on(&payment, StepKind::Void, None, "rpc:operator-void".to_owned())
            .for_rpc("operator", "void-1");
        let mut tx = pool.begin().await.expect("a transaction");
        assert!(steps::enqueue(&mut tx, &void, SystemTime::now() + steps::RPC_GRACE).await.expect("enqueued"));
        tx.commit().await.expect("committed");
        sandbox.lose_next_answers(1);
        assert!(steps.run(&void).await.is_err(), "the void's answer was lost");

        // The saga's capture comes first and the provider refuses it: the void won.
        assert_eq!(steps.run_due_once().await.expect("ran"), 1);
        assert_eq!(saga.state(payment.id).await, PaymentState::Authorized, "the refusal did not fail it");

        steps.run(&void).await.expect("the void is recorded");
        assert_eq!(saga.state(payment.id).await, PaymentState::Voided);
        tokio::time::sleep(steps::backoff(1) + Duration::from_millis(100)).await;
        assert_eq!(steps.run_due_once().await.expect("ran"), 1, "the capture, retried");
        assert_eq!(saga.state(payment.id).await, PaymentState::Voided, "the capture no longer applies");
        assert_eq!(saga.steps_left().await, 0, "both steps are done");
        let captures = sandbox
            .movements()
            .into_iter()
            .filter(|movement| matches!(movement, Movement::Captured { .. }))
            .count();
        assert_eq!(captures, 0);
    }

    async fn an_authorization_answered_after_its_booking_expired_is_voided(backend: Backend) {
        let app = spawn_app(backend).await;
        let log = app.event_log().await;
        let booking = Booking::new();

        // The provider is down when the booking asks; the hold lapses before it answers.
        app.sandbox.fail_next_calls(1);
        publish(&log, &booking, &[booking.requested("4242424242424242"), booking.expired()]).await;
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.voided"]);
        assert!(app.money_movements().is_empty(), "nothing was charged");
    }

    async fn a_booking_request_replayed_after_the_booking_ended_authorizes_nothing(backend: Backend) {
        let app = spawn_app(backend).await;
        let log = app.event_log().await;
        let ended = Booking::new();
        let next = Booking::new();

        // Its request was dead-lettered, and replayed by an operator after the booking expired.
        publish(&log, &ended, &[ended.expired(), ended.requested("4242424242424242")]).await;
        publish(&log, &next, &[next.requested("4242424242424242")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.authorized"]);
        let held = app
            .sandbox
            .movements()
            .into_iter()
            .filter(|movement| matches!(movement, Movement::Authorized { .. }))
            .count();
        assert_eq!(held, 1, "only the live booking was authorized");
    }

    async fn an_authorization_still_held_for_an_ended_booking_is_voided_by_the_sweeper(backend: Backend) {
        let app = spawn_app_with(backend, |config| {
            config.service.orphan_sweep_interval = Duration::from_millis(200);
        })
        .await;
        let log = app.event_log().await;
        let booking = Booking::new();
        publish(&log, &booking, &[booking.requested("4242424242424242")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.authorized"]);

        // The booking ended without the void being asked for (as after a lost release).
        sqlx::query("INSERT INTO ended_bookings (booking_id, ended_at) VALUES ($1, 0)")
            .bind(&booking.id)
            .execute(app.database.database.pool())
            .await
            .expect("written");
        assert_eq!(app.wait_for_events(2).await, ["payment.authorized", "payment.voided"]);
    }

    async fn a_payout_pays_what_the_host_is_owed_when_it_falls_due_after_refunds(backend: Backend) {
        let mut app = spawn_app_with(backend, |config| {
            config.service.payout_delay = Duration::from_secs(2);
        })
        .await;
        let log = app.event_log().await;
        let partly = Booking::new();
        let fully = Booking::new();
        for booking in [&partly, &fully] {
            publish(&log, booking, &[booking.requested("4242424242424242"), booking.checked_in()]).await;
        }
        app.wait_for_events(4).await;
        // Refunds by support after check-in, before the payouts fall due.
        let partly_payment = payment_of(&mut app, &partly).await;
        app.refund(&partly_payment.name, 4_000).await.expect("refunded in part");
        let fully_payment = payment_of(&mut app, &fully).await;
        app.refund(&fully_payment.name, 0).await.expect("refunded in full");

        let paid = wait_for_payout(&mut app, &partly.host).await;
        assert_eq!(paid[0].state(), pb::payout::State::Paid);
        // 8,500 owed at capture, less the host's 3,400 share of the refund.
        assert_eq!(paid[0].amount, 5_100);
        app.assert_ledger(&partly.host, 6_000 - 5_100, -900, 0).await;
        let cancelled = wait_for_payout(&mut app, &fully.host).await;
        assert_eq!(cancelled[0].state(), pb::payout::State::Cancelled);
        assert_eq!(cancelled[0].amount, 0);
        assert_eq!(app.balance(&format!("host_payable:{}", fully.host)).await, 0);
    }

    async fn a_malformed_booking_event_is_dead_lettered_and_the_next_one_is_handled(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let broken = Booking::new();
        let booking = Booking::new();
        let mut facts = broken.facts();
        if let Some(facts) = facts.as_mut() {
            facts.total_amount = 0;
        }
        let malformed = broken.envelope(
            "booking.requested",
            &estospaces_proto::booking_v1::BookingRequested {
                booking: facts,
                payment_method: "4242424242424242".to_owned(),
                ..Default::default()
            },
        );

        publish(&log, &broken, &[malformed]).await;
        publish(&log, &booking, &[booking.requested("4242424242424242")]).await;
        assert_eq!(app.wait_for_events(1).await, ["payment.authorized"]);
        assert_eq!(payment_of(&mut app, &booking).await.state(), pb::payment::State::Authorized);

        let dead_letters = log
            .count_after("estospaces.dlq.payment.booking-events", 0)
            .await
            .expect("the dead-letter topic is readable");
        assert_eq!(dead_letters, 1);
    }

    async fn a_saga_capture_racing_an_admin_void_ends_in_exactly_one_of_them(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let log = app.event_log().await;
        let bookings: Vec<Booking> = (0..6).map(|_| Booking::new()).collect();
        for booking in &bookings {
            publish(&log, booking, &[booking.requested("4242424242424242")]).await;
        }
        app.wait_for_events(bookings.len()).await;

        let mut voids = Vec::new();
        for booking in &bookings {
            let payment = payment_of(&mut app, booking).await;
            publish(&log, booking, &[booking.confirmed(true)]).await;
            let mut client = app.client.clone();
            let request = crate::helpers::authorized(
                pb::VoidPaymentRequest { name: payment.name, idempotency_key: crate::helpers::new_id() },
                &app.admin,
            );
            voids.push(tokio::spawn(async move { client.void_payment(request).await }));
        }
        let mut voided = 0;
        for void in voids {
            match void.await.expect("the call ran") {
                Ok(_) => voided += 1,
                Err(status) => assert_eq!(status.code(), tonic::Code::FailedPrecondition),
            }
        }
        let types = app.wait_for_events(2 * bookings.len()).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(app.event_types().await.len(), 2 * bookings.len(), "{types:?}");

        let mut captured = 0;
        for booking in &bookings {
            match payment_of(&mut app, booking).await.state() {
                pb::payment::State::Captured => captured += 1,
                pb::payment::State::Voided => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(captured + voided, bookings.len());
        let movements = app.sandbox.movements();
        let captures = movements.iter().filter(|m| matches!(m, Movement::Captured { .. })).count();
        let voids = movements.iter().filter(|m| matches!(m, Movement::Voided { .. })).count();
        assert_eq!((captures, voids), (captured, voided), "the provider agrees");
        assert_eq!(app.unbalanced_transactions().await, 0);
        assert_eq!(app.ledger_transactions("capture").await, i64::try_from(captured).expect("small"));
    }
}
