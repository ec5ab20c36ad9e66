//! The service on Kafka: the payment service's events reach it over the broker.

use estospaces_proto::project_v1::reservation::{ReleaseReason, State};
use estospaces_proto::project_v1::unit::State as UnitState;

use crate::helpers::*;

#[tokio::test]
async fn on_kafka_a_failed_deposit_releases_the_unit() {
    let app = spawn_app_with(Setup {
        kafka: true,
        ..Setup::on(Backend::Postgres)
    })
    .await;
    let (_, project, unit) = app.project_with_unit().await;
    let buyer = app.user();
    let reservation = app
        .reserve(&buyer, &project.name, &unit.name)
        .await
        .expect("reserved");

    app.deposit_failed(&reservation, "card_declined").await;

    let released = app
        .wait_for_state(&buyer, &reservation.name, State::Released)
        .await;
    assert_eq!(released.release_reason(), ReleaseReason::PaymentFailed);
    assert_eq!(released.failure_code, "card_declined");
    assert_eq!(app.unit(&unit.name).await.state(), UnitState::Available);
}
