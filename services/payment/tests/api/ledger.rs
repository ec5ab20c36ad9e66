use estospaces_proto::payment_v1 as pb;
use tonic::Code;

use crate::helpers::{authorized, bad_fields, new_id, on_both_backends, spawn_app};

on_both_backends! {
    async fn ledger_entries_page_by_transaction_and_filter_by_account_and_payment(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = new_id();
        let first = app.authorized_payment(&new_id(), &host).await;
        let second = app.authorized_payment(&new_id(), &host).await;
        app.capture(&first.name, 0).await.expect("captured");
        app.capture(&second.name, 0).await.expect("captured");
        app.refund(&second.name, 2_000).await.expect("refunded");

        // 3 transactions of 3 entries each, read 4 at a time.
        let mut entries = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = app
                .client
                .list_ledger_entries(authorized(
                    pb::ListLedgerEntriesRequest { page_size: 4, page_token, ..Default::default() },
                    &app.admin,
                ))
                .await
                .expect("an admin reads the ledger")
                .into_inner();
            entries.extend(page.entries);
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert_eq!(entries.len(), 9);
        assert_eq!(entries[0].kind, "refund", "newest transaction first");
        let mut seen: Vec<(String, String)> = entries
            .iter()
            .map(|entry| (entry.transaction_id.clone(), entry.account.clone()))
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 9, "no entry twice");

        let host_entries = app
            .client
            .list_ledger_entries(authorized(
                pb::ListLedgerEntriesRequest { account: format!("host_payable:{host}"), ..Default::default() },
                &app.admin,
            ))
            .await
            .expect("by account")
            .into_inner()
            .entries;
        let amounts: Vec<i64> = host_entries.iter().map(|entry| entry.amount).collect();
        assert_eq!(amounts, [1_700, -8_500, -8_500]);

        let of_first = app
            .client
            .list_ledger_entries(authorized(
                pb::ListLedgerEntriesRequest { payment: first.name.clone(), ..Default::default() },
                &app.admin,
            ))
            .await
            .expect("by payment")
            .into_inner()
            .entries;
        assert_eq!(of_first.len(), 3);
        assert!(of_first.iter().all(|entry| entry.payment == first.name));
        app.assert_ledger(&host, 18_000, -2_700, -15_300).await;
    }

    async fn unknown_accounts_and_tokens_are_invalid(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let status = app
            .client
            .get_ledger_balance(authorized(
                pb::GetLedgerBalanceRequest { account: "guest_wallet".to_owned() },
                &app.admin,
            ))
            .await
            .expect_err("no such account");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&status), ["account"]);
        let status = app
            .client
            .list_ledger_entries(authorized(
                pb::ListLedgerEntriesRequest { page_token: "garbage".to_owned(), ..Default::default() },
                &app.admin,
            ))
            .await
            .expect_err("not a token");
        assert_eq!(bad_fields(&status), ["page_token"]);
    }
}
