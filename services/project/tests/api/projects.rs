//! Projects and units: the developer creates and changes them, anyone reads them.

use estospaces_proto::project_v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::*;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

on_both_backends! {
    async fn a_developer_creates_a_project_and_units_and_anyone_can_read_them(backend: Backend) {
        let app = spawn_app(backend).await;
        let developer = app.developer();

        let created = app.create_project(&developer, project()).await;
        let first = app.add_unit(&developer, &created.name, unit("A-101")).await.expect("added");
        let second = app
            .add_unit(&developer, &created.name, pb::Unit { floor: 1, ..unit("A-102") })
            .await
            .expect("added");

        assert!(created.name.starts_with("projects/"));
        assert_eq!(created.developer, developer.name);
        assert_eq!(created.stage(), pb::project::Stage::UnderConstruction);
        assert_eq!(first.state(), pb::unit::State::Available);
        assert_eq!(first.currency_code, "EUR");
        let read = app.project(None, &created.name).await.expect("public");
        assert_eq!((read.unit_count, read.available_unit_count), (2, 2));
        assert_eq!(read.create_time, created.create_time, "times read as they were written");
        assert_eq!(app.unit(&first.name).await, first, "a unit reads as it was written");
        let listed = app
            .projects
            .clone()
            .list_units(pb::ListUnitsRequest { parent: created.name.clone(), ..Default::default() })
            .await
            .expect("public")
            .into_inner()
            .units;
        assert_eq!(listed, [second, first], "by floor, then label");
        let by_city = app
            .projects
            .clone()
            .list_projects(pb::ListProjectsRequest { city: "LISBOA".to_owned(), ..Default::default() })
            .await
            .expect("public")
            .into_inner()
            .projects;
        assert_eq!(by_city.iter().map(|p| p.name.clone()).collect::<Vec<_>>(), [created.name]);
    }

    async fn units_page_by_floor_and_label(backend: Backend) {
        let app = spawn_app(backend).await;
        let developer = app.developer();
        let project = app.create_project(&developer, project()).await;
        for (floor, label) in [(2, "C"), (0, "B"), (0, "A"), (1, "D"), (2, "E")] {
            app.add_unit(&developer, &project.name, pb::Unit { floor, ..unit(label) }).await.expect("added");
        }

        let mut labels = Vec::new();
        let mut token = String::new();
        loop {
            let page = app
                .projects
                .clone()
                .list_units(pb::ListUnitsRequest {
                    parent: project.name.clone(),
                    page_size: 2,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
                .expect("public")
                .into_inner();
            assert!(page.units.len() <= 2);
            labels.extend(page.units.into_iter().map(|u| u.display_name));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(labels, ["A", "B", "D", "C", "E"]);
    }

    async fn unit_labels_are_unique_in_a_project(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, _) = app.project_with_unit().await;

        let again = app.add_unit(&developer, &project.name, unit("B-301")).await.expect_err("taken");

        assert_eq!(again.code(), Code::AlreadyExists);
        assert_eq!(reason(&again), "UNIT_LABEL_TAKEN");
        let other = app.create_project(&developer, project_fixture()).await;
        app.add_unit(&developer, &other.name, unit("B-301")).await.expect("another project may");
    }

    async fn a_bad_project_or_unit_names_every_bad_field(backend: Backend) {
        let app = spawn_app(backend).await;
        let developer = app.developer();
        let refused = app
            .projects
            .clone()
            .create_project(authorized(
                pb::CreateProjectRequest {
                    project: Some(pb::Project {
                        display_name: String::new(),
                        country_code: "Portugal".to_owned(),
                        currency_code: "€".to_owned(),
                        ..project()
                    }),
                },
                &developer.token,
            ))
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(
            bad_fields(&refused),
            ["project.display_name", "project.country_code", "project.currency_code"]
        );

        let project = app.create_project(&developer, project()).await;
        let refused = app
            .add_unit(
                &developer,
                &project.name,
                pb::Unit { deposit_amount: 50_000_000, area_square_meters: 0.0, ..unit("X") },
            )
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&refused), ["unit.area_square_meters", "unit.deposit_amount"]);
    }

    async fn an_update_changes_the_masked_fields_and_a_stale_etag_is_aborted(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, project, unit) = app.project_with_unit().await;

        let updated = app
            .projects
            .clone()
            .update_project(authorized(
                pb::UpdateProjectRequest {
                    project: Some(pb::Project {
                        name: project.name.clone(),
                        display_name: "Marvila Gardens".to_owned(),
                        city: "ignored".to_owned(),
                        etag: project.etag.clone(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["display_name"]),
                },
                &developer.token,
            ))
            .await
            .expect("updated")
            .into_inner()
            .project
            .expect("a project");
        let stale = app
            .projects
            .clone()
            .update_project(authorized(
                pb::UpdateProjectRequest {
                    project: Some(pb::Project {
                        name: project.name.clone(),
                        display_name: "Too late".to_owned(),
                        etag: project.etag.clone(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["display_name"]),
                },
                &developer.token,
            ))
            .await
            .expect_err("stale");
        let unit_update = app
            .projects
            .clone()
            .update_unit(authorized(
                pb::UpdateUnitRequest {
                    unit: Some(pb::Unit { name: unit.name.clone(), price: 45_000_000, ..Default::default() }),
                    update_mask: mask(&["price"]),
                },
                &developer.token,
            ))
            .await
            .expect("updated")
            .into_inner()
            .unit
            .expect("a unit");

        assert_eq!(updated.display_name, "Marvila Gardens");
        assert_eq!(updated.city, "Lisboa", "only masked fields change");
        assert_ne!(updated.etag, project.etag);
        assert_eq!(stale.code(), Code::Aborted);
        assert_eq!(reason(&stale), "ETAG_MISMATCH");
        assert_eq!(unit_update.price, 45_000_000);
        assert_eq!(unit_update.deposit_amount, DEPOSIT);
        assert_eq!(app.unit(&unit.name).await, unit_update);
        assert_eq!(app.events("project.updated").await.len(), 1);
        assert_eq!(app.events("unit.updated").await.len(), 1);
    }
}

/// Another project, elsewhere.
fn project_fixture() -> pb::Project {
    pb::Project {
        display_name: "Porto Heights".to_owned(),
        city: "Porto".to_owned(),
        ..project()
    }
}
