//! Who may call what, the audit trail and the platform's figures.

use std::time::SystemTime;

use estospaces_auth::Role;
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::moderation_v1 as pb;
use tonic::Code;

use crate::helpers::*;

on_both_backends! {
    async fn a_guest_is_denied_every_queue_rule_audit_and_metrics_rpc_and_a_moderator_the_admin_ones(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let case = format!("cases/{}", uuid::Uuid::now_v7());
        let guest = app.user();
        let moderator = app.moderator();
        let host = app.user_with(&[Role::Guest, Role::Host]);
        for user in [&guest, &host] {
            let t = &user.token;
            let m = &mut app.moderation;
            let codes = [
                m.list_cases(authorized(pb::ListCasesRequest::default(), t)).await.map(drop),
                m.get_case(authorized(pb::GetCaseRequest { name: case.clone() }, t)).await.map(drop),
                m.assign_case(authorized(pb::AssignCaseRequest { name: case.clone(), assignee: String::new() }, t)).await.map(drop),
                m.decide_case(authorized(pb::DecideCaseRequest { name: case.clone(), decision: pb::Decision::Dismiss as i32, reason: "r".to_owned(), suspend_end_time: None }, t)).await.map(drop),
                m.list_content_checks(authorized(pb::ListContentChecksRequest::default(), t)).await.map(drop),
                m.list_rules(authorized(pb::ListRulesRequest::default(), t)).await.map(drop),
                m.create_rule(authorized(pb::CreateRuleRequest::default(), t)).await.map(drop),
                m.update_rule(authorized(pb::UpdateRuleRequest::default(), t)).await.map(drop),
                m.list_audit_entries(authorized(pb::ListAuditEntriesRequest::default(), t)).await.map(drop),
                m.export_audit_entries(authorized(pb::ExportAuditEntriesRequest::default(), t)).await.map(drop),
                m.get_platform_metrics(authorized(pb::GetPlatformMetricsRequest::default(), t)).await.map(drop),
            ];
            for (index, result) in codes.into_iter().enumerate() {
                let status = result.expect_err("refused");
                assert_eq!(status.code(), Code::PermissionDenied, "RPC #{index}: {status:?}");
            }
        }
        let anonymous = app
            .moderation
            .list_cases(pb::ListCasesRequest::default())
            .await
            .expect_err("anonymous");
        assert_eq!(anonymous.code(), Code::Unauthenticated);

        let t = &moderator.token;
        let m = &mut app.moderation;
        m.list_cases(authorized(pb::ListCasesRequest::default(), t)).await.expect("moderators read the queue");
        m.list_rules(authorized(pb::ListRulesRequest::default(), t)).await.expect("and the rules");
        let admin_only = [
            m.create_rule(authorized(pb::CreateRuleRequest::default(), t)).await.map(drop),
            m.list_audit_entries(authorized(pb::ListAuditEntriesRequest::default(), t)).await.map(drop),
            m.export_audit_entries(authorized(pb::ExportAuditEntriesRequest::default(), t)).await.map(drop),
            m.get_platform_metrics(authorized(pb::GetPlatformMetricsRequest::default(), t)).await.map(drop),
        ];
        for result in admin_only {
            assert_eq!(result.expect_err("admins only").code(), Code::PermissionDenied);
        }
    }

    async fn every_action_lands_in_the_audit_trail_which_nothing_can_change(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (reporter, admin, moderator) = (app.user(), app.admin(), app.moderator());
        let made = app
            .moderation
            .create_report(authorized(report(&app.user().name, pb::ReportReason::Spam), &reporter.token))
            .await
            .expect("reported")
            .into_inner()
            .report
            .expect("a report");
        app.moderation
            .assign_case(authorized(pb::AssignCaseRequest { name: made.case.clone(), assignee: String::new() }, &moderator.token))
            .await
            .expect("assigned");
        app.decide(&moderator, &made.case, pb::Decision::Warn, "=1+1, first warning")
            .await
            .expect("warned");
        // An admin's action elsewhere reaches the trail as its service's event.
        let suspended = app.user();
        app.publish_event(
            "identity",
            "identity.user_state_changed",
            &suspended.name,
            &identity::UserStateChanged {
                user: suspended.name.clone(),
                previous_state: identity::user::State::Active as i32,
                state: identity::user::State::Suspended as i32,
                suspend_end_time: Some(SystemTime::now().into()),
                actor: admin.name.clone(),
                reason: "Harassment.".to_owned(),
                change_time: Some(SystemTime::now().into()),
            },
        )
        .await;

        let mut entries = Vec::new();
        for _ in 0..200 {
            entries = app
                .moderation
                .list_audit_entries(authorized(pb::ListAuditEntriesRequest::default(), &admin.token))
                .await
                .expect("admins read the trail")
                .into_inner()
                .audit_entries;
            if entries.len() == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["identity.suspend_user", "moderation.decide_case", "moderation.assign_case"],
            "newest first"
        );
        assert_eq!(entries[0].actor, admin.name);
        assert_eq!(entries[0].reason, "Harassment.");
        assert!(entries[0].after.contains("STATE_SUSPENDED"), "{}", entries[0].after);
        assert_eq!(entries[1].actor, moderator.name);

        let by_moderator = app
            .moderation
            .list_audit_entries(authorized(
                pb::ListAuditEntriesRequest { actor: moderator.name.clone(), page_size: 1, ..Default::default() },
                &admin.token,
            ))
            .await
            .expect("filtered")
            .into_inner();
        assert_eq!(by_moderator.audit_entries.len(), 1);
        assert!(!by_moderator.next_page_token.is_empty());

        let csv = app
            .moderation
            .export_audit_entries(authorized(pb::ExportAuditEntriesRequest::default(), &admin.token))
            .await
            .expect("exported")
            .into_inner();
        assert_eq!(csv.content_type, "text/csv; charset=utf-8");
        let text = String::from_utf8(csv.data).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "time,actor,action,target,reason,before,after");
        assert_eq!(lines.len(), 4, "{text}");
        // A reason that looks like a formula stays text in a spreadsheet.
        assert!(lines[2].contains("\"'=1+1, first warning\""), "{}", lines[2]);

        // Not even the service's own database lets an entry change or go.
        let pool = app.store.database().pool();
        let update = sqlx::query("UPDATE audit_entries SET reason = 'nothing happened'")
            .execute(pool)
            .await;
        assert!(update.is_err(), "an update is refused");
        let delete = sqlx::query("DELETE FROM audit_entries").execute(pool).await;
        assert!(delete.is_err(), "a delete is refused");
    }

    async fn registrations_listings_and_confirmed_bookings_show_in_the_daily_figures(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, admin) = (app.user(), app.admin());
        app.publish_event(
            "identity",
            "identity.user_registered",
            &guest.name,
            &identity::UserRegistered {
                user: guest.name.clone(),
                email: "guest@example.com".to_owned(),
                roles: vec![identity::Role::Guest as i32],
                create_time: Some(SystemTime::now().into()),
            },
        )
        .await;
        let (host, listing) = app.publish(short_stay("Two rooms and a balcony.")).await;
        let facts = booking::BookingFacts {
            booking: format!("bookings/{}", uuid::Uuid::now_v7()),
            property: listing.name.clone(),
            guest: guest.name.clone(),
            host: host.name.clone(),
            total_amount: 40_000,
            currency_code: "EUR".to_owned(),
            platform_fee: 4_000,
            ..Default::default()
        };
        app.publish_event(
            "booking",
            "booking.confirmed",
            &facts.booking,
            &booking::BookingConfirmed { booking: Some(facts.clone()), capture_now: true },
        )
        .await;

        let mut metrics = pb::GetPlatformMetricsResponse::default();
        for _ in 0..200 {
            metrics = app
                .moderation
                .get_platform_metrics(authorized(pb::GetPlatformMetricsRequest::default(), &admin.token))
                .await
                .expect("admins read the figures")
                .into_inner();
            if metrics.days.last().is_some_and(|d| d.bookings_confirmed == 1 && d.listings_published == 1) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(metrics.days.len(), 30, "the last 30 days");
        let today = metrics.days.last().expect("today");
        assert_eq!(today.new_users, 1);
        assert_eq!(today.listings_published, 1);
        assert_eq!(today.bookings_confirmed, 1);
        assert_eq!(today.gross_booking_value, [pb::Amount { currency_code: "EUR".to_owned(), amount: 40_000 }]);
        assert_eq!(today.platform_revenue, [pb::Amount { currency_code: "EUR".to_owned(), amount: 4_000 }]);
        assert_eq!(metrics.total_users, 1);
        assert_eq!(
            metrics.listings_by_state,
            [pb::ListingStateCount { state: "STATE_PUBLISHED".to_owned(), count: 1 }]
        );

        let backwards = app
            .moderation
            .get_platform_metrics(authorized(
                pb::GetPlatformMetricsRequest { start_date: "2026-12-05".to_owned(), end_date: "2026-12-01".to_owned() },
                &admin.token,
            ))
            .await
            .expect_err("a range that ends before it starts");
        assert_eq!(bad_fields(&backwards), ["start_date"]);
        let not_a_date = app
            .moderation
            .get_platform_metrics(authorized(
                pb::GetPlatformMetricsRequest { start_date: "2026-02-30".to_owned(), ..Default::default() },
                &admin.token,
            ))
            .await
            .expect_err("no such day");
        assert_eq!(bad_fields(&not_a_date), ["start_date"]);
    }
}
