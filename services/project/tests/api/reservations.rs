//! The reservation saga: a unit held against a deposit the payment service takes, released
//! when the deposit fails, lapses or the reservation is cancelled, completed when sold.

use std::time::Duration;

use estospaces_proto::project_v1 as pb;
use pb::reservation::{ReleaseReason, State};
use pb::unit::State as UnitState;
use prost::Message;
use tonic::Code;

use crate::helpers::*;

fn payload<P: Message + Default>(envelope: &estospaces_proto::events_v1::EventEnvelope) -> P {
    P::decode(
        envelope
            .payload
            .as_ref()
            .expect("a payload")
            .value
            .as_slice(),
    )
    .expect("decodes")
}

on_both_backends! {
    async fn a_reservation_holds_the_unit_and_asks_for_the_deposit(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;
        let buyer = app.user();

        let reservation = app.reserve(&buyer, &project.name, &unit.name).await.expect("reserved");

        assert_eq!(reservation.state(), State::PendingPayment);
        assert_eq!(reservation.buyer, buyer.name);
        assert_eq!(reservation.unit, unit.name);
        assert_eq!(reservation.deposit_amount, DEPOSIT);
        assert_eq!(reservation.currency_code, "EUR");
        let expires = reservation.expire_time.expect("an expiry");
        let created = reservation.create_time.expect("a creation time");
        assert!((expires.seconds, expires.nanos) > (created.seconds, created.nanos));
        assert_eq!(app.reservation(&buyer, &reservation.name).await.expect("readable"), reservation,
            "a reservation reads as it was written, to the microsecond");
        let held = app.unit(&unit.name).await;
        assert_eq!(held.state(), UnitState::Reserved);
        assert_eq!(held.reservation, reservation.name);
        let read = app.project(None, &project.name).await.expect("public");
        assert_eq!((read.unit_count, read.available_unit_count), (1, 0));
        let requested = app.events("reservation.requested").await;
        assert_eq!(requested.len(), 1);
        let key = reservation.name.rsplit('/').next().expect("an id").to_owned();
        assert_eq!(requested[0].aggregate_id, key, "keyed by the reservation");
        let event: pb::ReservationRequested = payload(&requested[0]);
        assert_eq!(event.payment_method, CARD, "the payment service gets the payment method");
        let facts = event.reservation.expect("facts");
        assert_eq!((facts.buyer, facts.developer, facts.deposit_amount), (buyer.name.clone(), developer.name.clone(), DEPOSIT));
        let mine = app
            .projects
            .clone()
            .list_reservations(authorized(
                pb::ListReservationsRequest { parent: "projects/-".to_owned(), ..Default::default() },
                &buyer.token,
            ))
            .await
            .expect("a buyer lists their own")
            .into_inner()
            .reservations;
        assert_eq!(mine, std::slice::from_ref(&reservation));
        let theirs = app
            .projects
            .clone()
            .list_reservations(authorized(
                pb::ListReservationsRequest { parent: project.name.clone(), ..Default::default() },
                &developer.token,
            ))
            .await
            .expect("a developer lists the project's")
            .into_inner()
            .reservations;
        assert_eq!(theirs, [reservation]);
    }

    async fn two_buyers_racing_for_one_unit_get_exactly_one_reservation(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, unit) = app.project_with_unit().await;
        let buyers: Vec<User> = (0..6).map(|_| app.user()).collect();

        let attempts = futures_join_all(&app, &buyers, &project.name, &unit.name).await;

        let won: Vec<&pb::Reservation> = attempts.iter().filter_map(|a| a.as_ref().ok()).collect();
        assert_eq!(won.len(), 1, "exactly one wins: {attempts:?}");
        for lost in attempts.iter().filter_map(|a| a.as_ref().err()) {
            assert_eq!(lost.code(), Code::FailedPrecondition, "{lost:?}");
            assert_eq!(reason(lost), "UNIT_NOT_AVAILABLE");
        }
        assert_eq!(app.unit(&unit.name).await.reservation, won[0].name);
        assert_eq!(app.events("reservation.requested").await.len(), 1);
    }

    async fn a_reservation_whose_deposit_fails_releases_the_unit(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let reservation = app.reserve(&buyer, &project.name, &unit.name).await.expect("reserved");

        app.deposit_failed(&reservation, "card_declined").await;

        let released = app.wait_for_state(&buyer, &reservation.name, State::Released).await;
        assert_eq!(released.release_reason(), ReleaseReason::PaymentFailed);
        assert_eq!(released.failure_code, "card_declined");
        let freed = app.unit(&unit.name).await;
        assert_eq!(freed.state(), UnitState::Available);
        assert!(freed.reservation.is_empty());
        let events = app.events("reservation.released").await;
        assert_eq!(events.len(), 1);
        let event: pb::ReservationReleased = payload(&events[0]);
        assert_eq!(event.reason(), ReleaseReason::PaymentFailed);
        assert_eq!(event.refund_amount, DEPOSIT);
        let again = app.reserve(&app.user(), &project.name, &unit.name).await.expect("available again");
        assert_eq!(again.state(), State::PendingPayment);
    }

    async fn an_authorized_deposit_reserves_the_unit_and_confirms_the_reservation(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let reservation = app.reserve(&buyer, &project.name, &unit.name).await.expect("reserved");

        app.deposit_authorized(&reservation).await;

        let reserved = app.wait_for_state(&buyer, &reservation.name, State::Reserved).await;
        assert_eq!(reserved.release_reason(), ReleaseReason::Unspecified);
        assert_eq!(app.unit(&unit.name).await.state(), UnitState::Reserved);
        let confirmed = app.events("reservation.confirmed").await;
        assert_eq!(confirmed.len(), 1);
        let event: pb::ReservationConfirmed = payload(&confirmed[0]);
        assert_eq!(event.reservation.expect("facts").reservation, reservation.name);
        // A capture that fails later releases it too, and gives the deposit back.
        app.deposit_failed(&reservation, "capture_failed").await;
        let released = app.wait_for_state(&buyer, &reservation.name, State::Released).await;
        assert_eq!(released.failure_code, "capture_failed");
        assert_eq!(app.unit(&unit.name).await.state(), UnitState::Available);
    }

    async fn a_payment_of_a_booking_is_ignored(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let reservation = app.reserve(&buyer, &project.name, &unit.name).await.expect("reserved");
        let mut facts = TestApp::deposit_facts(&reservation);
        facts.reservation = String::new();
        facts.booking = format!("bookings/{}", uuid::Uuid::now_v7());

        app.publish_event(
            "payment",
            "payment.failed",
            &facts.payment.clone(),
            &estospaces_proto::payment_v1::PaymentFailed {
                payment: Some(facts),
                failure_code: "card_declined".to_owned(),
                failure_message: String::new(),
            },
        )
        .await;

        app.wait_until(|| async { app.events_handled("project.payment-events").await == 1 }).await;
        let still = app.reservation(&buyer, &reservation.name).await.expect("readable");
        assert_eq!(still.state(), State::PendingPayment);
    }

    async fn an_expired_pending_reservation_is_released_by_the_sweeper(backend: Backend) {
        let app = spawn_app_with(Setup {
            reservation_hold: Duration::from_millis(300),
            sweep_interval: Duration::from_millis(100),
            ..Setup::on(backend)
        })
        .await;
        let (_, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let reservation = app.reserve(&buyer, &project.name, &unit.name).await.expect("reserved");

        let released = app.wait_for_state(&buyer, &reservation.name, State::Released).await;

        assert_eq!(released.release_reason(), ReleaseReason::Expired);
        assert_eq!(app.unit(&unit.name).await.state(), UnitState::Available);
        let events = app.events("reservation.released").await;
        assert_eq!(events.len(), 1, "released once");
        let event: pb::ReservationReleased = payload(&events[0]);
        assert_eq!(event.refund_amount, DEPOSIT);
        // The deposit authorized after the hold lapsed changes nothing here.
        app.deposit_authorized(&reservation).await;
        app.wait_until(|| async { app.events_handled("project.payment-events").await == 1 }).await;
        assert_eq!(app.reservation(&buyer, &reservation.name).await.expect("readable").state(), State::Released);
        assert!(app.events("reservation.confirmed").await.is_empty());
    }

    async fn a_buyer_cancels_their_reservation_and_the_unit_is_available_again(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let reservation = app.reserve(&buyer, &project.name, &unit.name).await.expect("reserved");
        app.deposit_authorized(&reservation).await;
        app.wait_for_state(&buyer, &reservation.name, State::Reserved).await;

        let cancelled = app.cancel(&buyer, &reservation.name).await.expect("the buyer cancels");
        let again = app.cancel(&buyer, &reservation.name).await.expect_err("released already");

        assert_eq!(cancelled.state(), State::Released);
        assert_eq!(cancelled.release_reason(), ReleaseReason::CancelledByBuyer);
        assert_eq!(app.unit(&unit.name).await.state(), UnitState::Available);
        assert_eq!(again.code(), Code::FailedPrecondition);
        assert_eq!(reason(&again), "RESERVATION_ENDED");
        let events = app.events("reservation.released").await;
        assert_eq!(events.len(), 1);
        let event: pb::ReservationReleased = payload(&events[0]);
        assert_eq!(event.reason(), ReleaseReason::CancelledByBuyer);
        assert_eq!(event.refund_amount, DEPOSIT);
    }

    async fn the_developer_cancels_a_pending_reservation(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let reservation = app.reserve(&buyer, &project.name, &unit.name).await.expect("reserved");

        let cancelled = app.cancel(&developer, &reservation.name).await.expect("the developer cancels");

        assert_eq!(cancelled.release_reason(), ReleaseReason::CancelledByDeveloper);
        assert_eq!(app.unit(&unit.name).await.state(), UnitState::Available);
    }

    async fn marking_a_reserved_unit_sold_completes_its_reservation(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let reservation = app.reserve(&buyer, &project.name, &unit.name).await.expect("reserved");

        let too_early = app.mark_sold(&developer, &unit.name).await.expect_err("still paying");
        app.deposit_authorized(&reservation).await;
        app.wait_for_state(&buyer, &reservation.name, State::Reserved).await;
        let sold = app.mark_sold(&developer, &unit.name).await.expect("sold to the buyer");
        let twice = app.mark_sold(&developer, &unit.name).await.expect_err("sold already");
        let cancel = app.cancel(&buyer, &reservation.name).await.expect_err("completed");

        assert_eq!(too_early.code(), Code::FailedPrecondition);
        assert_eq!(reason(&too_early), "RESERVATION_PENDING_PAYMENT");
        assert_eq!(sold.state(), UnitState::Sold);
        assert_eq!(sold.reservation, reservation.name);
        assert_eq!(app.reservation(&buyer, &reservation.name).await.expect("readable").state(), State::Completed);
        assert_eq!(twice.code(), Code::FailedPrecondition);
        assert_eq!(reason(&twice), "UNIT_ALREADY_SOLD");
        assert_eq!(cancel.code(), Code::FailedPrecondition);
        assert_eq!(app.events("reservation.completed").await.len(), 1);
        assert_eq!(app.events("unit.sold").await.len(), 1);
    }

    async fn an_available_unit_sold_outside_the_platform_is_marked_sold(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;

        let sold = app.mark_sold(&developer, &unit.name).await.expect("sold");
        let reserve = app.reserve(&app.user(), &project.name, &unit.name).await.expect_err("sold");

        assert_eq!(sold.state(), UnitState::Sold);
        assert!(sold.reservation.is_empty());
        assert_eq!(reason(&reserve), "UNIT_NOT_AVAILABLE");
        assert_eq!(app.project(None, &project.name).await.expect("public").available_unit_count, 0);
    }

    async fn a_retried_reservation_with_its_request_id_returns_the_first_one(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let request_id = uuid::Uuid::new_v4().to_string();

        let first = app.reserve_with(&buyer, &project.name, &unit.name, &request_id).await.expect("reserved");
        let retried = app.reserve_with(&buyer, &project.name, &unit.name, &request_id).await.expect("the same");

        assert_eq!(retried, first);
        assert_eq!(app.events("reservation.requested").await.len(), 1);
    }

    async fn the_payment_method_is_never_stored(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;
        let buyer = app.user();
        let reservation = app
            .reserve_with(&buyer, &project.name, &unit.name, &uuid::Uuid::new_v4().to_string())
            .await
            .expect("reserved");
        app.cancel(&developer, &reservation.name).await.expect("cancelled");

        let values = app.stored_values().await;

        assert!(values.iter().any(|(table, _, _)| table == "reservations"), "the tables were read");
        let found: Vec<(&String, &String)> = values
            .iter()
            .filter(|(_, _, value)| contains(value, CARD.as_bytes()))
            .map(|(table, column, _)| (table, column))
            .collect();
        // Only the event that carries it to the payment service holds it.
        assert_eq!(found, [(&"event_outbox".to_owned(), &"envelope".to_owned())]);
    }
}

/// Every buyer in `buyers` reserves `unit` at once.
async fn futures_join_all(
    app: &TestApp,
    buyers: &[User],
    project: &str,
    unit: &str,
) -> Vec<Result<pb::Reservation, tonic::Status>> {
    let tasks: Vec<_> = buyers
        .iter()
        .map(|buyer| {
            let app_projects = app.projects.clone();
            let token = buyer.token.clone();
            let (project, unit) = (project.to_owned(), unit.to_owned());
            tokio::spawn(async move {
                app_projects
                    .clone()
                    .create_reservation(authorized(
                        pb::CreateReservationRequest {
                            parent: project,
                            unit,
                            payment_method: CARD.to_owned(),
                            request_id: String::new(),
                        },
                        &token,
                    ))
                    .await
                    .map(|response| response.into_inner().reservation.expect("a reservation"))
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("the task ran"));
    }
    results
}
