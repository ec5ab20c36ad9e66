use estospaces_auth::Role;
use estospaces_proto::payment_v1 as pb;
use tonic::Code;

use crate::helpers::{TestApp, authorized, new_id, on_both_backends, spawn_app};

on_both_backends! {
    async fn only_admins_move_money(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (payer, host) = (new_id(), new_id());
        let payment = app.authorized_payment(&payer, &host).await;
        let guest = app.token_for(&payer, &[Role::Guest]);
        let owner = app.token_for(&host, &[Role::Host]);

        for token in [&guest, &owner] {
            let status = app
                .client
                .authorize_payment(authorized(TestApp::authorize_request(&payer, &host, "4242424242424242"), token))
                .await
                .expect_err("not an admin");
            assert_eq!(status.code(), Code::PermissionDenied);
            let status = app
                .client
                .capture_payment(authorized(
                    pb::CapturePaymentRequest { name: payment.name.clone(), amount: 0, idempotency_key: new_id() },
                    token,
                ))
                .await
                .expect_err("not an admin");
            assert_eq!(status.code(), Code::PermissionDenied);
            let status = app
                .client
                .refund_payment(authorized(
                    pb::RefundPaymentRequest { name: payment.name.clone(), idempotency_key: new_id(), ..Default::default() },
                    token,
                ))
                .await
                .expect_err("not an admin");
            assert_eq!(status.code(), Code::PermissionDenied);
        }
        let status = app
            .client
            .void_payment(pb::VoidPaymentRequest { name: payment.name, idempotency_key: new_id() })
            .await
            .expect_err("anonymous");
        assert_eq!(status.code(), Code::Unauthenticated);
    }

    async fn the_payer_and_the_host_read_a_payment_and_strangers_learn_nothing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (payer, host) = (new_id(), new_id());
        let payment = app.authorized_payment(&payer, &host).await;
        let missing = format!("payments/{}", new_id());

        for token in [app.token_for(&payer, &[Role::Guest]), app.token_for(&host, &[Role::Host])] {
            let read = app
                .client
                .get_payment(authorized(pb::GetPaymentRequest { name: payment.name.clone() }, &token))
                .await
                .expect("a party reads the payment")
                .into_inner()
                .payment
                .expect("a payment");
            assert_eq!(read, payment);
        }
        let stranger = app.token(&[Role::Guest]);
        for name in [&payment.name, &missing] {
            let status = app
                .client
                .get_payment(authorized(pb::GetPaymentRequest { name: name.clone() }, &stranger))
                .await
                .expect_err("a stranger");
            assert_eq!(status.code(), Code::PermissionDenied, "{name}");
        }
        let status = app
            .client
            .get_payment(authorized(pb::GetPaymentRequest { name: missing }, &app.admin))
            .await
            .expect_err("missing");
        assert_eq!(status.code(), Code::NotFound);
    }

    async fn a_payer_lists_their_own_payments_and_an_admin_all(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (payer, host) = (new_id(), new_id());
        let mine = app.authorized_payment(&payer, &host).await;
        let other = app.authorized_payment(&new_id(), &new_id()).await;

        let list = |token: String, booking: String| {
            authorized(pb::ListPaymentsRequest { booking, ..Default::default() }, &token)
        };
        let own = app
            .client
            .list_payments(list(app.token_for(&payer, &[Role::Guest]), String::new()))
            .await
            .expect("listed")
            .into_inner()
            .payments;
        assert_eq!(own, std::slice::from_ref(&mine));
        let hosted = app
            .client
            .list_payments(list(app.token_for(&host, &[Role::Host]), String::new()))
            .await
            .expect("listed")
            .into_inner()
            .payments;
        assert_eq!(hosted, std::slice::from_ref(&mine));
        let all = app
            .client
            .list_payments(list(app.admin.clone(), String::new()))
            .await
            .expect("listed")
            .into_inner()
            .payments;
        assert_eq!(all, [other.clone(), mine.clone()], "newest first");
        let by_booking = app
            .client
            .list_payments(list(app.admin.clone(), other.booking.clone()))
            .await
            .expect("listed")
            .into_inner()
            .payments;
        assert_eq!(by_booking, [other]);

        let page = app
            .client
            .list_payments(authorized(pb::ListPaymentsRequest { page_size: 1, ..Default::default() }, &app.admin))
            .await
            .expect("listed")
            .into_inner();
        assert_eq!(page.payments.len(), 1);
        let rest = app
            .client
            .list_payments(authorized(
                pb::ListPaymentsRequest { page_size: 1, page_token: page.next_page_token, ..Default::default() },
                &app.admin,
            ))
            .await
            .expect("listed")
            .into_inner();
        assert_eq!(rest.payments, [mine]);
        assert!(rest.next_page_token.is_empty());
    }

    async fn only_admins_read_the_ledger_and_hosts_list_only_their_own_payouts(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = new_id();
        let owner = app.token_for(&host, &[Role::Host]);
        let status = app
            .client
            .get_ledger_balance(authorized(
                pb::GetLedgerBalanceRequest { account: format!("host_payable:{host}") },
                &owner,
            ))
            .await
            .expect_err("not an admin");
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = app
            .client
            .list_ledger_entries(authorized(pb::ListLedgerEntriesRequest::default(), &owner))
            .await
            .expect_err("not an admin");
        assert_eq!(status.code(), Code::PermissionDenied);

        let status = app
            .client
            .list_payouts(authorized(
                pb::ListPayoutsRequest { host: format!("users/{}", new_id()), ..Default::default() },
                &owner,
            ))
            .await
            .expect_err("another host's payouts");
        assert_eq!(status.code(), Code::PermissionDenied);
        let own = app
            .client
            .list_payouts(authorized(pb::ListPayoutsRequest::default(), &owner))
            .await
            .expect("their own")
            .into_inner();
        assert!(own.payouts.is_empty());
    }
}
