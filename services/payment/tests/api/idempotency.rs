use std::time::Duration;

use estospaces_payment::provider::Movement;
use estospaces_proto::payment_v1 as pb;
use tonic::Code;

use crate::helpers::{
    TestApp, authorized, bad_fields, new_id, on_both_backends, reason, spawn_app,
};

fn authorizations(app: &TestApp) -> usize {
    app.sandbox
        .movements()
        .iter()
        .filter(|movement| matches!(movement, Movement::Authorized { .. }))
        .count()
}

on_both_backends! {
    async fn the_same_key_and_request_replay_the_first_payment(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let request = TestApp::authorize_request(&new_id(), &new_id(), "4242424242424242");

        let first = app
            .client
            .authorize_payment(authorized(request.clone(), &app.admin))
            .await
            .expect("authorized");
        assert!(first.metadata().get("idempotent-replayed").is_none());
        let again = app
            .client
            .authorize_payment(authorized(request, &app.admin))
            .await
            .expect("replayed");
        assert_eq!(
            again.metadata().get("idempotent-replayed").and_then(|v| v.to_str().ok()),
            Some("true")
        );
        assert_eq!(first.into_inner(), again.into_inner());
        assert_eq!(authorizations(&app), 1);
        assert_eq!(app.event_types().await, ["payment.authorized"]);
    }

    async fn the_same_key_replays_the_first_error_even_after_the_payment_changed(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let payment = app.authorized_payment(&new_id(), &new_id()).await;
        let too_much = pb::CapturePaymentRequest {
            name: payment.name.clone(),
            amount: 20_000,
            idempotency_key: new_id(),
        };
        let first = app
            .client
            .capture_payment(authorized(too_much.clone(), &app.admin))
            .await
            .expect_err("more than authorized");
        assert_eq!(first.code(), Code::FailedPrecondition);
        assert_eq!(reason(&first), "AMOUNT_EXCEEDS_AUTHORIZED");

        app.capture(&payment.name, 0).await.expect("a capture with another key");

        // Now the payment is captured, but the key answers what it answered first.
        let replayed = app
            .client
            .capture_payment(authorized(too_much, &app.admin))
            .await
            .expect_err("the stored error");
        assert_eq!(replayed.code(), Code::FailedPrecondition);
        assert_eq!(reason(&replayed), "AMOUNT_EXCEEDS_AUTHORIZED");
        assert_eq!(replayed.message(), first.message());
    }

    async fn the_same_key_with_other_parameters_is_refused(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let request = TestApp::authorize_request(&new_id(), &new_id(), "4242424242424242");
        app.authorize(request.clone()).await;

        let other_amount = pb::AuthorizePaymentRequest { amount: 20_000, ..request.clone() };
        let status = app
            .client
            .authorize_payment(authorized(other_amount, &app.admin))
            .await
            .expect_err("a reused key");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");
        assert_eq!(bad_fields(&status), ["idempotency_key"]);

        // Another method with the same key is another request too.
        let payment = app.authorized_payment(&new_id(), &new_id()).await;
        let status = app
            .client
            .void_payment(authorized(
                pb::VoidPaymentRequest { name: payment.name, idempotency_key: request.idempotency_key },
                &app.admin,
            ))
            .await
            .expect_err("a reused key");
        assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");
        assert_eq!(authorizations(&app), 2);
    }

    async fn a_transient_failure_keeps_nothing_so_the_key_can_be_retried(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let request = TestApp::authorize_request(&new_id(), &new_id(), "4242424242424242");
        app.sandbox.fail_next_calls(1);
        let status = app
            .client
            .authorize_payment(authorized(request.clone(), &app.admin))
            .await
            .expect_err("the provider is down");
        assert_eq!(status.code(), Code::Unavailable);

        let payment = app.authorize(request).await;
        assert_eq!(payment.state(), pb::payment::State::Authorized);
        assert_eq!(app.event_types().await, ["payment.authorized"], "nothing of the failed attempt");
    }

    async fn a_lost_provider_answer_is_retried_without_moving_money_twice(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let capture = capture_with_its_answer_lost(&mut app).await;

        let captured = app
            .client
            .capture_payment(authorized(capture, &app.admin))
            .await
            .expect("the retry gets the provider's first answer")
            .into_inner()
            .payment
            .expect("a payment");
        assert_eq!(captured.captured_amount, 10_000);
        assert_eq!(app.money_movements().len(), 1, "captured once at the provider");
        assert_eq!(app.ledger_transactions("capture").await, 1);
    }

    async fn a_call_its_caller_gave_up_on_is_finished_by_the_worker_and_its_key_replays_the_outcome(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let capture = capture_with_its_answer_lost(&mut app).await;

        // Nobody retries: the recorded step is run again by the worker after its backoff.
        let events = app.wait_for_events(2).await;
        assert_eq!(events, ["payment.authorized", "payment.captured"]);
        let replayed = app
            .client
            .capture_payment(authorized(capture, &app.admin))
            .await
            .expect("the kept outcome");
        assert_eq!(
            replayed.metadata().get("idempotent-replayed").and_then(|v| v.to_str().ok()),
            Some("true")
        );
        assert_eq!(replayed.into_inner().payment.expect("a payment").captured_amount, 10_000);
        assert_eq!(app.money_movements().len(), 1, "captured once at the provider");
        assert_eq!(app.ledger_transactions("capture").await, 1);
    }

    async fn concurrent_calls_with_one_key_authorize_once(backend: Backend) {
        let app = spawn_app(backend).await;
        let request = TestApp::authorize_request(&new_id(), &new_id(), "4242424242424242");
        let calls = (0..8).map(|_| {
            let mut client = app.client.clone();
            let request = authorized(request.clone(), &app.admin);
            async move { client.authorize_payment(request).await }
        });
        let results = futures::future::join_all(calls).await;
        let names: Vec<String> = results
            .into_iter()
            .map(|result| result.expect("answered").into_inner().payment.expect("a payment").name)
            .collect();
        assert!(names.windows(2).all(|pair| pair[0] == pair[1]), "one payment: {names:?}");
        assert_eq!(authorizations(&app), 1);
    }

    async fn expired_keys_are_swept_and_can_be_used_again(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let request = TestApp::authorize_request(&new_id(), &new_id(), "4242424242424242");
        app.authorize(request.clone()).await;

        let swept = estospaces_payment::idempotency::sweep(app.database.database.pool(), Duration::ZERO)
            .await
            .expect("swept");
        assert_eq!(swept, 1);
        // The key is free again: the same request runs again, and finds the booking paid.
        let status = app
            .client
            .authorize_payment(authorized(request, &app.admin))
            .await
            .expect_err("the booking has a payment");
        assert_eq!(status.code(), Code::AlreadyExists);
        assert_eq!(reason(&status), "PAYMENT_EXISTS");
    }

    async fn a_missing_or_overlong_key_is_invalid(backend: Backend) {
        let mut app = spawn_app(backend).await;
        for key in [String::new(), "k".repeat(256)] {
            let request = pb::AuthorizePaymentRequest {
                idempotency_key: key,
                ..TestApp::authorize_request(&new_id(), &new_id(), "4242424242424242")
            };
            let status = app
                .client
                .authorize_payment(authorized(request, &app.admin))
                .await
                .expect_err("no usable key");
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(bad_fields(&status), ["idempotency_key"]);
        }
    }

    async fn a_declined_authorization_is_replayed_not_tried_again(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let request = TestApp::authorize_request(&new_id(), &new_id(), "4000000000009995");
        let first = app.authorize(request.clone()).await;
        let again = app.authorize(request).await;
        assert_eq!(first.state(), pb::payment::State::Failed);
        assert_eq!(first, again);
        assert_eq!(app.event_types().await, ["payment.failed"]);
    }
}

/// Authorizes a payment and asks to capture it all, the provider's answer lost on the way back
/// (the call fails UNAVAILABLE); the capture request, to send again.
async fn capture_with_its_answer_lost(app: &mut TestApp) -> pb::CapturePaymentRequest {
    let payment = app.authorized_payment(&new_id(), &new_id()).await;
    let capture = pb::CapturePaymentRequest {
        name: payment.name.clone(),
        amount: 0,
        idempotency_key: new_id(),
    };
    app.sandbox.lose_next_answers(1);
    let status = app
        .client
        .capture_payment(authorized(capture.clone(), &app.admin))
        .await
        .expect_err("the answer was lost");
    assert_eq!(status.code(), Code::Unavailable);
    capture
}
