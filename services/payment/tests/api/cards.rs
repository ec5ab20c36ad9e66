use estospaces_auth::Role;
use estospaces_payment::provider::Movement;
use estospaces_proto::payment_v1 as pb;

use crate::helpers::{TestApp, new_id, on_both_backends, spawn_app};

on_both_backends! {
    async fn each_stripe_test_card_authorizes_or_fails_with_its_decline_code(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (payer, host) = (new_id(), new_id());
        let cases = [
            ("4242424242424242", pb::payment::State::Authorized, ""),
            ("pm_card_visa", pb::payment::State::Authorized, ""),
            ("4000000000000002", pb::payment::State::Failed, "card_declined"),
            ("4000000000009995", pb::payment::State::Failed, "insufficient_funds"),
            ("4000000000000119", pb::payment::State::Failed, "processing_error"),
            ("4000002500003155", pb::payment::State::Failed, "authentication_required"),
        ];
        for (card, state, code) in cases {
            let payment = app.authorize(TestApp::authorize_request(&payer, &host, card)).await;
            assert_eq!(payment.state(), state, "{card}");
            assert_eq!(payment.failure_code, code, "{card}");
            assert_eq!(payment.provider, "sandbox");
            assert_eq!(payment.provider_payment_id.is_empty(), !code.is_empty(), "{card}");
        }
        let authorizations = app
            .sandbox
            .movements()
            .iter()
            .filter(|movement| matches!(movement, Movement::Authorized { .. }))
            .count();
        assert_eq!(authorizations, 2, "only the good cards hold money");
    }

    async fn a_decline_records_payment_failed_and_an_authorization_payment_authorized(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (payer, host) = (new_id(), new_id());
        app.authorized_payment(&payer, &host).await;
        app.authorize(TestApp::authorize_request(&payer, &host, "4000000000009995")).await;

        let events = app.events().await;
        let types: Vec<&str> = events.iter().map(|event| event.event_type()).collect();
        assert_eq!(types, ["payment.authorized", "payment.failed"]);
        let failed: pb::PaymentFailed = events[1].payload().expect("a PaymentFailed");
        assert_eq!(failed.failure_code, "insufficient_funds");
        assert_eq!(failed.payment.expect("facts").amount, 10_000);
    }

    async fn the_card_number_is_never_stored_only_its_last_four_digits(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let payment = app.authorized_payment(&new_id(), &new_id()).await;
        assert_eq!(payment.payment_method_hint, "card ending 4242");
        let _ = app.token(&[Role::Guest]);

        let stored: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payments WHERE payment_method_hint LIKE '%4242424242424242%'",
        )
        .fetch_one(app.database.database.pool())
        .await
        .expect("readable");
        assert_eq!(stored, 0);
    }
}
