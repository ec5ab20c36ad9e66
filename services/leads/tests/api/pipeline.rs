//! Working a lead: stages, notes and tasks.

use estospaces_proto::leads_v1 as pb;
use pb::lead::{LostReason, Stage};
use tonic::Code;

use crate::helpers::*;

on_both_backends! {
    async fn moving_a_lead_to_contacted_records_the_first_response_time(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let lead = app.ask(&app.user(), &listing).await;

        let contacted = app.change_stage(&agent, &lead, Stage::Contacted).await.expect("the agent answers");
        let offered = app.change_stage(&agent, &lead, Stage::Offer).await.expect("an offer");

        assert_eq!(contacted.stage(), Stage::Contacted);
        let answered = contacted.first_response_time.expect("the first answer's time");
        let created = contacted.create_time.expect("a creation time");
        assert!((answered.seconds, answered.nanos) >= (created.seconds, created.nanos));
        assert_eq!(offered.stage(), Stage::Offer);
        assert_eq!(offered.first_response_time, Some(answered), "only the first answer counts");
    }

    async fn losing_a_lead_needs_a_reason(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let lead = app.ask(&app.user(), &listing).await;

        let refused = app.change_stage(&agent, &lead, Stage::Lost).await.expect_err("a reason is needed");
        let lost = app
            .leads
            .clone()
            .change_lead_stage(authorized(
                pb::ChangeLeadStageRequest {
                    name: lead.clone(),
                    stage: Stage::Lost as i32,
                    lost_reason: LostReason::WentElsewhere as i32,
                    lost_note: "Bought in Graça.".to_owned(),
                    etag: String::new(),
                },
                &agent.token,
            ))
            .await
            .expect("lost with a reason")
            .into_inner()
            .lead
            .expect("a lead");

        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&refused), ["lost_reason"]);
        assert_eq!(lost.stage(), Stage::Lost);
        assert_eq!(lost.lost_reason(), LostReason::WentElsewhere);
        assert_eq!(lost.lost_note, "Bought in Graça.");
    }

    async fn a_stage_change_with_a_stale_etag_is_aborted(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let lead = app.ask(&app.user(), &listing).await;
        let read = app.lead(&agent, &lead).await.expect("read");
        let change = |stage: Stage| pb::ChangeLeadStageRequest {
            name: lead.clone(),
            stage: stage as i32,
            etag: read.etag.clone(),
            ..Default::default()
        };

        let moved = app
            .leads
            .clone()
            .change_lead_stage(authorized(change(Stage::Contacted), &agent.token))
            .await
            .expect("the etag is current")
            .into_inner()
            .lead
            .expect("a lead");
        let stale = app
            .leads
            .clone()
            .change_lead_stage(authorized(change(Stage::Won), &agent.token))
            .await
            .expect_err("the etag is stale");

        assert_ne!(moved.etag, read.etag);
        assert_eq!(stale.code(), Code::Aborted);
        assert_eq!(reason(&stale), "ETAG_MISMATCH");
        assert_eq!(app.lead(&agent, &lead).await.expect("read").stage(), Stage::Contacted);
    }

    async fn notes_are_listed_oldest_first_and_tasks_soonest_due_first(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let lead = app.ask(&app.user(), &listing).await;
        let mut leads = app.leads.clone();
        let mut written = Vec::new();
        for text in ["Called, no answer.", "Sent the floor plan."] {
            let note = leads
                .create_lead_note(authorized(
                    pb::CreateLeadNoteRequest {
                        parent: lead.clone(),
                        lead_note: Some(pb::LeadNote { text: text.to_owned(), ..Default::default() }),
                    },
                    &agent.token,
                ))
                .await
                .expect("agents write notes")
                .into_inner()
                .lead_note
                .expect("a note");
            written.push(note);
        }
        for (title, hours) in [("Send the brochure", 72), ("Call back", 24)] {
            leads
                .create_lead_task(authorized(
                    pb::CreateLeadTaskRequest {
                        parent: lead.clone(),
                        lead_task: Some(pb::LeadTask {
                            title: title.to_owned(),
                            due_time: Some(in_hours(hours)),
                            ..Default::default()
                        }),
                    },
                    &agent.token,
                ))
                .await
                .expect("agents create tasks");
        }

        let notes = leads
            .list_lead_notes(authorized(pb::ListLeadNotesRequest { parent: lead.clone() }, &agent.token))
            .await
            .expect("listed")
            .into_inner()
            .lead_notes;
        let tasks = leads
            .list_lead_tasks(authorized(pb::ListLeadTasksRequest { parent: lead.clone() }, &agent.token))
            .await
            .expect("listed")
            .into_inner()
            .lead_tasks;

        assert_eq!(notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(), ["Called, no answer.", "Sent the floor plan."]);
        assert_eq!(notes, written, "a note reads as it was written");
        assert!(notes.iter().all(|n| n.author == agent.name && n.name.starts_with(&format!("{lead}/notes/"))));
        assert_eq!(tasks.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(), ["Call back", "Send the brochure"]);
        assert!(tasks.iter().all(|t| !t.done && t.creator == agent.name));
    }

    async fn completing_a_task_twice_changes_nothing_the_second_time(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let lead = app.ask(&app.user(), &listing).await;
        let mut leads = app.leads.clone();
        let task = leads
            .create_lead_task(authorized(
                pb::CreateLeadTaskRequest {
                    parent: lead.clone(),
                    lead_task: Some(pb::LeadTask {
                        title: "Call back".to_owned(),
                        due_time: Some(in_hours(24)),
                        ..Default::default()
                    }),
                },
                &agent.token,
            ))
            .await
            .expect("created")
            .into_inner()
            .lead_task
            .expect("a task");
        let complete = || pb::CompleteLeadTaskRequest { name: task.name.clone() };

        let first = leads.complete_lead_task(authorized(complete(), &agent.token)).await.expect("done").into_inner().lead_task.expect("a task");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let second = leads.complete_lead_task(authorized(complete(), &agent.token)).await.expect("still done").into_inner().lead_task.expect("a task");
        let stranger = leads.complete_lead_task(authorized(complete(), &app.agent().token)).await.expect_err("not theirs");

        assert!(first.done);
        assert!(first.complete_time.is_some());
        assert_eq!(second, first, "completing a done task changes nothing");
        assert_eq!(stranger.code(), Code::PermissionDenied);
    }
}
