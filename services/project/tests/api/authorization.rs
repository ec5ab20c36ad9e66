//! Who may change a project and read a reservation: the developer and admins change projects;
//! a reservation is its buyer's and the developer's. Anyone else is refused whether or not the
//! resource exists.

use estospaces_proto::project_v1 as pb;
use tonic::Code;

use crate::helpers::*;

/// What `user` gets from UpdateProject, CreateUnit, MarkUnitSold and CreateMilestone on
/// `project` (and its `unit`).
async fn refusals(app: &TestApp, user: &User, project: &str, unit: &str) -> Vec<Code> {
    let mut projects = app.projects.clone();
    let updated = projects
        .update_project(authorized(
            pb::UpdateProjectRequest {
                project: Some(pb::Project {
                    name: project.to_owned(),
                    display_name: "Mine now".to_owned(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["display_name".to_owned()],
                }),
            },
            &user.token,
        ))
        .await
        .map(drop);
    let added = app.add_unit(user, project, unit_fixture()).await.map(drop);
    let sold = app.mark_sold(user, unit).await.map(drop);
    let milestone = projects
        .create_milestone(authorized(
            pb::CreateMilestoneRequest {
                parent: project.to_owned(),
                milestone: Some(pb::Milestone {
                    display_name: "Topped out".to_owned(),
                    planned_date: Some(estospaces_proto::property_v1::Date {
                        year: 2027,
                        month: 5,
                        day: 1,
                    }),
                    ..Default::default()
                }),
            },
            &user.token,
        ))
        .await
        .map(drop);
    [updated, added, sold, milestone]
        .into_iter()
        .map(|result| result.expect_err("refused").code())
        .collect()
}

fn unit_fixture() -> pb::Unit {
    unit("Z-999")
}

on_both_backends! {
    async fn another_user_cannot_change_a_project_and_gets_the_same_answer_for_a_missing_one(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, unit) = app.project_with_unit().await;
        let stranger = app.developer();
        let ghost = format!("projects/{}", uuid::Uuid::now_v7());
        let ghost_unit = format!("{ghost}/units/{}", uuid::Uuid::now_v7());

        let on_real = refusals(&app, &stranger, &project.name, &unit.name).await;
        let on_missing = refusals(&app, &stranger, &ghost, &ghost_unit).await;
        let to_admin = refusals(&app, &app.admin(), &ghost, &ghost_unit).await;

        assert_eq!(on_real, [Code::PermissionDenied; 4]);
        assert_eq!(on_missing, [Code::PermissionDenied; 4], "names cannot be probed");
        assert_eq!(to_admin, [Code::NotFound; 4]);
        let refused = app.add_unit(&stranger, &project.name, unit_fixture()).await.expect_err("not theirs");
        assert_eq!(reason(&refused), "NOT_YOUR_PROJECT");
        let still = app.project(None, &project.name).await.expect("public");
        assert_eq!(still.display_name, project.display_name, "nobody else changed it");
        assert_eq!(still.unit_count, 1);
    }

    async fn an_admin_may_change_any_project(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, _) = app.project_with_unit().await;

        let added = app.add_unit(&app.admin(), &project.name, unit_fixture()).await.expect("admins may");

        assert_eq!(added.state(), pb::unit::State::Available);
        assert_eq!(app.project(None, &project.name).await.expect("public").unit_count, 2);
    }

    async fn a_buyer_cannot_read_or_cancel_another_buyers_reservation(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;
        let (ana, rui) = (app.user(), app.user());
        let reservation = app.reserve(&ana, &project.name, &unit.name).await.expect("reserved");
        let ghost = format!("{}/reservations/{}", project.name, uuid::Uuid::now_v7());

        let read = app.reservation(&rui, &reservation.name).await.expect_err("not theirs");
        let cancelled = app.cancel(&rui, &reservation.name).await.expect_err("not theirs");
        let missing = app.reservation(&rui, &ghost).await.expect_err("not theirs either");
        let listed = app
            .projects
            .clone()
            .list_reservations(authorized(
                pb::ListReservationsRequest { parent: project.name.clone(), ..Default::default() },
                &rui.token,
            ))
            .await
            .expect_err("a project's reservations are its developer's");

        for refused in [&read, &cancelled, &missing] {
            assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
            assert_eq!(reason(refused), "NOT_YOUR_RESERVATION");
        }
        assert_eq!(listed.code(), Code::PermissionDenied);
        assert_eq!(app.reservation(&ana, &reservation.name).await.expect("the buyer's"), reservation);
        assert_eq!(app.reservation(&developer, &reservation.name).await.expect("the developer's"), reservation);
        assert_eq!(app.reservation(&developer, &ghost).await.expect_err("missing").code(), Code::NotFound);
        assert_eq!(
            app.reservation(&ana, &reservation.name).await.expect("still").state(),
            pb::reservation::State::PendingPayment,
            "nobody else cancelled it"
        );
    }

    async fn the_developer_cannot_reserve_their_own_unit(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;

        let refused = app.reserve(&developer, &project.name, &unit.name).await.expect_err("own unit");

        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(reason(&refused), "OWN_PROJECT");
        assert_eq!(app.unit(&unit.name).await.state(), pb::unit::State::Available);
    }

    async fn calls_that_change_anything_without_a_token_are_unauthenticated(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, project, unit) = app.project_with_unit().await;
        let mut projects = app.projects.clone();

        let created = projects
            .create_project(pb::CreateProjectRequest { project: Some(crate::helpers::project()) })
            .await
            .expect_err("anonymous");
        let reserved = projects
            .create_reservation(pb::CreateReservationRequest {
                parent: project.name.clone(),
                unit: unit.name.clone(),
                payment_method: CARD.to_owned(),
                request_id: String::new(),
            })
            .await
            .expect_err("anonymous");

        for refused in [created, reserved] {
            assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
        }
        assert_eq!(app.project(None, &project.name).await.expect("reads are public").name, project.name);
    }
}
