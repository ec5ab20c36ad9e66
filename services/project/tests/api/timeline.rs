//! The construction timeline and documents: milestones, progress updates (whose figure
//! becomes the project's), documents.

use estospaces_proto::project_v1 as pb;
use estospaces_proto::property_v1::Date;
use tonic::Code;

use crate::helpers::*;

fn milestone(name: &str, month: i32) -> pb::Milestone {
    pb::Milestone {
        display_name: name.to_owned(),
        planned_date: Some(Date {
            year: 2027,
            month,
            day: 1,
        }),
        ..Default::default()
    }
}

async fn post_progress(
    app: &TestApp,
    user: &User,
    project: &str,
    percent: i32,
    media: Vec<String>,
) -> Result<pb::ProgressUpdate, tonic::Status> {
    app.projects
        .clone()
        .create_progress_update(authorized(
            pb::CreateProgressUpdateRequest {
                parent: project.to_owned(),
                progress_update: Some(pb::ProgressUpdate {
                    text: format!("{percent}% done"),
                    progress_percent: percent,
                    media,
                    ..Default::default()
                }),
            },
            &user.token,
        ))
        .await
        .map(|response| response.into_inner().progress_update.expect("an update"))
}

on_both_backends! {
    async fn milestones_list_by_planned_date_and_complete_once(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, _) = app.project_with_unit().await;
        let mut projects = app.projects.clone();
        let mut created = Vec::new();
        for (name, month) in [("Keys handed over", 9), ("Foundations", 2), ("Topped out", 5)] {
            created.push(
                projects
                    .create_milestone(authorized(
                        pb::CreateMilestoneRequest { parent: project.name.clone(), milestone: Some(milestone(name, month)) },
                        &developer.token,
                    ))
                    .await
                    .expect("created")
                    .into_inner()
                    .milestone
                    .expect("a milestone"),
            );
        }

        let completed = projects
            .complete_milestone(authorized(pb::CompleteMilestoneRequest { name: created[1].name.clone() }, &developer.token))
            .await
            .expect("completed")
            .into_inner()
            .milestone
            .expect("a milestone");
        let again = projects
            .complete_milestone(authorized(pb::CompleteMilestoneRequest { name: created[1].name.clone() }, &developer.token))
            .await
            .expect("completing again changes nothing")
            .into_inner()
            .milestone
            .expect("a milestone");
        let listed = projects
            .list_milestones(pb::ListMilestonesRequest { parent: project.name.clone(), page_size: 2, ..Default::default() })
            .await
            .expect("public")
            .into_inner();
        let rest = projects
            .list_milestones(pb::ListMilestonesRequest {
                parent: project.name.clone(),
                page_token: listed.next_page_token.clone(),
                ..Default::default()
            })
            .await
            .expect("public")
            .into_inner();

        assert!(completed.complete_time.is_some());
        assert_eq!(again, completed);
        let names: Vec<String> = listed.milestones.iter().chain(&rest.milestones).map(|m| m.display_name.clone()).collect();
        assert_eq!(names, ["Foundations", "Topped out", "Keys handed over"]);
        assert_eq!(listed.milestones[0], completed);
        assert!(rest.next_page_token.is_empty());
        assert_eq!(app.events("milestone.completed").await.len(), 1);
    }

    async fn the_latest_progress_update_sets_the_projects_progress(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, _) = app.project_with_unit().await;
        let photo = format!("media/{}", uuid::Uuid::now_v7());

        let first = post_progress(&app, &developer, &project.name, 20, vec![photo.clone()]).await.expect("posted");
        let second = post_progress(&app, &developer, &project.name, 35, Vec::new()).await.expect("posted");
        let bad = post_progress(&app, &developer, &project.name, 101, vec!["photo.jpg".to_owned()])
            .await
            .expect_err("refused");

        assert_eq!(first.media, [photo]);
        assert_eq!(app.project(None, &project.name).await.expect("public").progress_percent, 35);
        let listed = app
            .projects
            .clone()
            .list_progress_updates(pb::ListProgressUpdatesRequest { parent: project.name.clone(), ..Default::default() })
            .await
            .expect("public")
            .into_inner()
            .progress_updates;
        assert_eq!(listed, [second, first], "newest first, as written");
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&bad), ["progress_update.progress_percent", "progress_update.media[0]"]);
    }

    async fn documents_are_attached_listed_and_removed(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;
        let mut projects = app.projects.clone();
        let add = |kind: pb::project_document::Kind, title: &str, unit: &str| pb::CreateProjectDocumentRequest {
            parent: project.name.clone(),
            project_document: Some(pb::ProjectDocument {
                kind: kind as i32,
                title: title.to_owned(),
                media: format!("media/{}", uuid::Uuid::now_v7()),
                unit: unit.to_owned(),
                ..Default::default()
            }),
        };

        let brochure = projects
            .create_project_document(authorized(add(pb::project_document::Kind::Brochure, "Brochure", ""), &developer.token))
            .await
            .expect("added")
            .into_inner()
            .project_document
            .expect("a document");
        let plan = projects
            .create_project_document(authorized(add(pb::project_document::Kind::FloorPlan, "B-301 plan", &unit.name), &developer.token))
            .await
            .expect("added")
            .into_inner()
            .project_document
            .expect("a document");
        let stranger = projects
            .create_project_document(authorized(add(pb::project_document::Kind::Other, "Mine", ""), &app.user().token))
            .await
            .expect_err("not theirs");
        projects
            .delete_project_document(authorized(pb::DeleteProjectDocumentRequest { name: brochure.name.clone() }, &developer.token))
            .await
            .expect("removed");
        let listed = projects
            .list_project_documents(pb::ListProjectDocumentsRequest { parent: project.name.clone(), ..Default::default() })
            .await
            .expect("public")
            .into_inner()
            .project_documents;

        assert_eq!(plan.unit, unit.name);
        assert_eq!(stranger.code(), Code::PermissionDenied);
        assert_eq!(listed, [plan]);
        assert_eq!(app.events("document.added").await.len(), 2);
        assert_eq!(app.events("document.removed").await.len(), 1);
    }
}
