use estospaces_proto::payment_v1 as pb;
use tonic::Code;

use crate::helpers::{
    TestApp, authorized, bad_fields, new_id, on_both_backends, reason, spawn_app,
};

on_both_backends! {
    async fn a_capture_and_partial_refunds_never_return_more_than_was_captured(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = new_id();
        let payment = app.authorized_payment(&new_id(), &host).await;

        let captured = app.capture(&payment.name, 0).await.expect("captured");
        assert_eq!(captured.state(), pb::payment::State::Captured);
        assert_eq!(captured.captured_amount, 10_000);
        app.assert_ledger(&host, 10_000, -1_500, -8_500).await;

        let refunded = app.refund(&payment.name, 4_000).await.expect("partly refunded");
        assert_eq!(refunded.state(), pb::payment::State::PartiallyRefunded);
        assert_eq!(refunded.refunded_amount, 4_000);
        // 40% of the charge back: 40% of the fee comes out of the platform's revenue.
        app.assert_ledger(&host, 6_000, -900, -5_100).await;

        let status = app.refund(&payment.name, 6_001).await.expect_err("above what is left");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "AMOUNT_EXCEEDS_REFUNDABLE");

        let rest = app.refund(&payment.name, 0).await.expect("the rest refunded");
        assert_eq!(rest.state(), pb::payment::State::Refunded);
        assert_eq!(rest.refunded_amount, 10_000);
        app.assert_ledger(&host, 0, 0, 0).await;

        let status = app.refund(&payment.name, 1).await.expect_err("nothing left");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            app.event_types().await,
            ["payment.authorized", "payment.captured", "payment.refunded", "payment.refunded"]
        );
    }

    async fn a_partial_capture_charges_part_and_books_its_share_of_the_fee(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = new_id();
        let payment = app.authorized_payment(&new_id(), &host).await;

        let status = app.capture(&payment.name, 10_001).await.expect_err("above the authorization");
        assert_eq!(reason(&status), "AMOUNT_EXCEEDS_AUTHORIZED");
        let captured = app.capture(&payment.name, 3_333).await.expect("captured in part");
        assert_eq!(captured.captured_amount, 3_333);
        // 15% of 3,333 is 499.95: the platform takes 499, rounding in the host's favour.
        app.assert_ledger(&host, 3_333, -499, -2_834).await;

        let status = app.capture(&payment.name, 0).await.expect_err("captured once");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "PAYMENT_NOT_AUTHORIZED");

        app.refund(&payment.name, 1_111).await.expect("refunded in part");
        app.refund(&payment.name, 0).await.expect("the rest refunded");
        app.assert_ledger(&host, 0, 0, 0).await;
    }

    async fn a_voided_payment_cannot_be_captured_voided_or_refunded(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = new_id();
        let payment = app.authorized_payment(&new_id(), &host).await;

        let voided = app.void(&payment.name).await.expect("voided");
        assert_eq!(voided.state(), pb::payment::State::Voided);

        let capture = app.capture(&payment.name, 0).await.expect_err("voided");
        assert_eq!(capture.code(), Code::FailedPrecondition);
        assert_eq!(reason(&capture), "PAYMENT_NOT_AUTHORIZED");
        let void = app.void(&payment.name).await.expect_err("voided already");
        assert_eq!(void.code(), Code::FailedPrecondition);
        let refund = app.refund(&payment.name, 0).await.expect_err("nothing captured");
        assert_eq!(refund.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refund), "PAYMENT_NOT_CAPTURED");

        app.assert_ledger(&host, 0, 0, 0).await;
        assert_eq!(app.event_types().await, ["payment.authorized", "payment.voided"]);
        assert!(app.money_movements().is_empty());
    }

    async fn a_failed_payment_cannot_be_captured_and_its_booking_cannot_be_paid_twice(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let request = TestApp::authorize_request(&new_id(), &new_id(), "4000000000000002");
        let failed = app.authorize(request.clone()).await;
        assert_eq!(failed.state(), pb::payment::State::Failed);

        let status = app.capture(&failed.name, 0).await.expect_err("failed");
        assert_eq!(status.code(), Code::FailedPrecondition);

        let again = pb::AuthorizePaymentRequest {
            payment_method: "4242424242424242".to_owned(),
            idempotency_key: new_id(),
            ..request
        };
        let status = app
            .client
            .authorize_payment(authorized(again, &app.admin))
            .await
            .expect_err("one payment per booking");
        assert_eq!(status.code(), Code::AlreadyExists);
    }

    async fn bad_requests_name_every_bad_field(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let request = pb::AuthorizePaymentRequest {
            booking: "booking/1".to_owned(),
            payer: "users/".to_owned(),
            host: "hosts/1".to_owned(),
            amount: 0,
            currency_code: "eur".to_owned(),
            platform_fee: -1,
            payment_method: String::new(),
            idempotency_key: new_id(),
            reservation: String::new(),
        };
        let status = app
            .client
            .authorize_payment(authorized(request, &app.admin))
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            bad_fields(&status),
            ["booking", "payer", "host", "amount", "currency_code", "platform_fee", "payment_method"]
        );

        let status = app.capture("payments/42", 0).await.expect_err("not a payment name");
        assert_eq!(bad_fields(&status), ["name"]);
        let missing = format!("payments/{}", new_id());
        let status = app.capture(&missing, -5).await.expect_err("a negative amount");
        assert_eq!(bad_fields(&status), ["amount"]);
        let status = app.refund(&missing, 0).await.expect_err("no such payment");
        assert_eq!(status.code(), Code::NotFound);
    }
}
