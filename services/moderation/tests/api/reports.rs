//! Reports from users and from other services' events, and the queue they make.

use estospaces_proto::messaging_v1 as messaging;
use estospaces_proto::moderation_v1 as pb;
use estospaces_proto::review_v1 as review;
use tonic::Code;

use crate::helpers::*;

on_both_backends! {
    async fn reports_about_one_listing_join_one_case_whose_priority_rises_and_a_repeat_returns_the_first(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.publish(short_stay("Two rooms and a balcony.")).await;
        let (first, second) = (app.user(), app.user());

        let made = app
            .moderation
            .create_report(authorized(report(&listing.name, pb::ReportReason::Spam), &first.token))
            .await
            .expect("a guest reports a listing")
            .into_inner()
            .report
            .expect("a report");
        assert_eq!(made.reporter, first.name);
        assert_eq!(made.outcome, pb::Decision::Unspecified as i32);
        let again = app
            .moderation
            .create_report(authorized(report(&listing.name, pb::ReportReason::Spam), &first.token))
            .await
            .expect("a repeat is answered")
            .into_inner()
            .report
            .expect("a report");
        assert_eq!(again.name, made.name, "the same reporter's repeat is the first report");

        app.moderation
            .create_report(authorized(report(&listing.name, pb::ReportReason::Safety), &second.token))
            .await
            .expect("another guest reports it too");
        let cases = app.cases_about(&app.moderator(), &listing.name).await;
        assert_eq!(cases.len(), 1, "one case per target: {cases:?}");
        let case = &cases[0];
        assert_eq!(case.name, made.case);
        assert_eq!(case.report_count, 2);
        assert_eq!(case.subject, host.name, "the listing's owner is behind it");
        assert_eq!(case.origin, pb::case::Origin::Report as i32);
        // Safety (80) is the worst reason, plus 5 for the second report.
        assert_eq!(case.priority, 85);

        // The queue puts it before a lone spam report.
        let (_, other) = app.publish(short_stay("Quiet studio.")).await;
        app.moderation
            .create_report(authorized(report(&other.name, pb::ReportReason::Spam), &first.token))
            .await
            .expect("reported");
        let queue = app
            .moderation
            .list_cases(authorized(pb::ListCasesRequest::default(), &app.moderator().token))
            .await
            .expect("the queue")
            .into_inner()
            .cases;
        let order: Vec<&str> = queue.iter().map(|c| c.target.as_str()).collect();
        assert_eq!(order, [listing.name.as_str(), other.name.as_str()]);
    }

    async fn a_reporter_reads_their_report_and_nobody_else_but_moderators_do(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (reporter, stranger) = (app.user(), app.user());
        let someone = app.user();
        let made = app
            .moderation
            .create_report(authorized(report(&someone.name, pb::ReportReason::Offensive), &reporter.token))
            .await
            .expect("a user reports an account")
            .into_inner()
            .report
            .expect("a report");
        let get = |user: &User| {
            authorized(pb::GetReportRequest { name: made.name.clone() }, &user.token)
        };
        app.moderation.get_report(get(&reporter)).await.expect("the reporter reads it");
        app.moderation.get_report(get(&app.moderator())).await.expect("a moderator reads it");
        let denied = app.moderation.get_report(get(&stranger)).await.expect_err("a stranger");
        assert_eq!(denied.code(), Code::PermissionDenied);
        // Not even whether a report exists.
        let missing = app
            .moderation
            .get_report(authorized(
                pb::GetReportRequest { name: format!("moderationReports/{}", uuid::Uuid::now_v7()) },
                &stranger.token,
            ))
            .await
            .expect_err("a stranger");
        assert_eq!(missing.code(), Code::PermissionDenied);

        let mine = app
            .moderation
            .list_reports(authorized(pb::ListReportsRequest::default(), &reporter.token))
            .await
            .expect("a user lists their reports")
            .into_inner()
            .reports;
        assert_eq!(mine.len(), 1);
        let theirs = app
            .moderation
            .list_reports(authorized(
                pb::ListReportsRequest { reporter: reporter.name.clone(), ..Default::default() },
                &stranger.token,
            ))
            .await
            .expect_err("someone else's reports");
        assert_eq!(theirs.code(), Code::PermissionDenied);
        let nothing = app
            .moderation
            .list_reports(authorized(pb::ListReportsRequest::default(), &stranger.token))
            .await
            .expect("a user without reports")
            .into_inner()
            .reports;
        assert!(nothing.is_empty());
    }

    async fn reports_made_in_messaging_and_review_join_the_same_queue(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (reporter, sender) = (app.user(), app.user());
        let conversation = format!("conversations/{}", uuid::Uuid::now_v7());
        app.publish_event(
            "messaging",
            "messaging.report_created",
            &conversation,
            &messaging::ReportCreated {
                report: Some(messaging::Report {
                    name: format!("reports/{}", uuid::Uuid::now_v7()),
                    subject: format!("{conversation}/messages/{}", uuid::Uuid::now_v7()),
                    reason: messaging::report::Reason::Scam as i32,
                    details: "Asked me to pay by wire.".to_owned(),
                    reporter: reporter.name.clone(),
                    create_time: None,
                }),
                conversation: conversation.clone(),
                reported_user: sender.name.clone(),
            },
        )
        .await;
        let case = app.case_about(&conversation).await;
        assert_eq!(case.subject, sender.name);
        assert_eq!(case.priority, 70, "a scam");

        let review_name = format!("reviews/{}", uuid::Uuid::now_v7());
        app.publish_event(
            "review",
            "review.reported",
            &review_name,
            &review::ReviewReported {
                review: review_name.clone(),
                reporter: reporter.name.clone(),
                reason: "REASON_FAKE".to_owned(),
                details: String::new(),
            },
        )
        .await;
        let case = app.case_about(&review_name).await;
        assert_eq!(case.report_count, 1);
        let reports = app
            .moderation
            .list_reports(authorized(pb::ListReportsRequest::default(), &reporter.token))
            .await
            .expect("the reporter's reports")
            .into_inner()
            .reports;
        assert_eq!(reports.len(), 2, "both reports are the reporter's: {reports:?}");
    }

    async fn a_moderator_takes_down_a_reported_listing_and_the_reporter_reads_the_outcome(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.publish(short_stay("Two rooms and a balcony.")).await;
        let reporter = app.user();
        let made = app
            .moderation
            .create_report(authorized(report(&listing.name, pb::ReportReason::Misleading), &reporter.token))
            .await
            .expect("reported")
            .into_inner()
            .report
            .expect("a report");
        let moderator = app.moderator();
        let assigned = app
            .moderation
            .assign_case(authorized(
                pb::AssignCaseRequest { name: made.case.clone(), assignee: String::new() },
                &moderator.token,
            ))
            .await
            .expect("a moderator takes the case")
            .into_inner()
            .case
            .expect("a case");
        assert_eq!(assigned.assignee, moderator.name);
        assert_eq!(assigned.state, pb::case::State::Assigned as i32);

        let decided = app
            .decide(&moderator, &made.case, pb::Decision::RemoveContent, "The photos are of another flat.")
            .await
            .expect("the decision is carried out");
        assert_eq!(decided.state, pb::case::State::Decided as i32);
        assert_eq!(decided.decider, moderator.name);
        let taken_down = app.listing(&host, &listing.name).await;
        assert_eq!(taken_down.state, estospaces_proto::property_v1::property::State::TakenDown as i32);
        assert_eq!(taken_down.moderation_reason, "The photos are of another flat.");

        let outcome = app
            .moderation
            .get_report(authorized(pb::GetReportRequest { name: made.name.clone() }, &reporter.token))
            .await
            .expect("the reporter reads the report")
            .into_inner()
            .report
            .expect("a report");
        assert_eq!(outcome.outcome, pb::Decision::RemoveContent as i32);

        let again = app
            .decide(&moderator, &made.case, pb::Decision::Dismiss, "Second thoughts.")
            .await
            .expect_err("a decided case stays decided");
        assert_eq!(again.code(), Code::FailedPrecondition);
        assert_eq!(reason(&again), "CASE_DECIDED");
        // A new report opens a new case (a moderator still sees the listing; guests no longer).
        let later = app
            .moderation
            .create_report(authorized(report(&listing.name, pb::ReportReason::Spam), &moderator.token))
            .await
            .expect("reported again")
            .into_inner()
            .report
            .expect("a report");
        assert_ne!(later.case, made.case);
    }

    async fn bad_reports_and_decisions_are_refused_with_the_fields_named(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.user();
        for (request, field) in [
            (report("bookings/1", pb::ReportReason::Spam), "report.target"),
            (report(&user.name, pb::ReportReason::Spam), "report.target"),
            (report(&app.user().name, pb::ReportReason::Unspecified), "report.reason"),
            (pb::CreateReportRequest { report: None }, "report"),
        ] {
            let refused = app
                .moderation
                .create_report(authorized(request, &user.token))
                .await
                .expect_err("a bad report");
            assert_eq!(refused.code(), Code::InvalidArgument);
            assert_eq!(bad_fields(&refused), [field]);
        }
        let missing = app
            .moderation
            .create_report(authorized(
                report(&format!("properties/{}", uuid::Uuid::now_v7()), pb::ReportReason::Spam),
                &user.token,
            ))
            .await
            .expect_err("a listing that does not exist");
        assert_eq!(missing.code(), Code::NotFound);

        let made = app
            .moderation
            .create_report(authorized(report(&app.user().name, pb::ReportReason::Spam), &user.token))
            .await
            .expect("reported")
            .into_inner()
            .report
            .expect("a report");
        let moderator = app.moderator();
        let no_reason = app
            .decide(&moderator, &made.case, pb::Decision::Warn, "  ")
            .await
            .expect_err("no reason");
        assert_eq!(bad_fields(&no_reason), ["reason"]);
        let no_end = app
            .decide(&moderator, &made.case, pb::Decision::SuspendUser, "Spam.")
            .await
            .expect_err("a suspension without an end");
        assert_eq!(bad_fields(&no_end), ["suspend_end_time"]);
        let nothing_to_remove = app
            .decide(&moderator, &made.case, pb::Decision::RemoveContent, "Spam.")
            .await
            .expect_err("an account is not content");
        assert_eq!(reason(&nothing_to_remove), "NOTHING_TO_REMOVE");
        let case = app.case_about(&made.target).await;
        assert_eq!(case.state, pb::case::State::Open as i32, "a refused decision changes nothing");
    }
}
