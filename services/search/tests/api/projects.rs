//! Search by development project: the project service's unit events link a unit's sale
//! listing to its project (`PropertyQuery.project`), across restarts and rebuilds.

use std::time::Duration;

use estospaces_auth::Role;
use estospaces_proto::search_v1 as spb;
use tonic::Code;

use crate::helpers::{
    LISBON, TestApp, authorized, bad_fields, names, on_both_backends, query_by, sale, spawn_app,
    unit,
};

fn in_project(project: &str) -> spb::SearchPropertiesRequest {
    query_by(spb::PropertyQuery {
        project: format!("projects/{project}"),
        ..Default::default()
    })
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Waits until project `project`'s search finds exactly `expected` (listing names).
async fn until_in_project(app: &mut TestApp, project: &str, expected: &[&str]) -> Vec<String> {
    let expected: Vec<String> = expected.iter().map(|name| (*name).to_owned()).collect();
    let response = app
        .search_until(in_project(project), |response| names(response) == expected)
        .await;
    names(&response)
}

on_both_backends! {
    async fn a_listing_linked_to_a_unit_of_project_a_is_found_with_a_and_not_with_b(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (project_a, project_b) = (new_id(), new_id());
        let linked = sale("Two-bedroom flat, Tower A", "Lisboa", LISBON.0, LISBON.1, 45_000_000);
        let other = sale("Townhouse nearby", "Lisboa", LISBON.0, LISBON.1, 52_000_000);
        app.list(&linked).await;
        app.list(&other).await;
        app.until_total(2).await;

        app.publish_unit("unit.created", &unit(&project_a, &new_id(), &linked.name)).await;

        let found = until_in_project(&mut app, &project_a, &[&linked.name]).await;
        assert_eq!(found, [linked.name.as_str()]);
        assert!(app.search(in_project(&project_b)).await.results.is_empty(), "not in project B");
        let with_text = app
            .search(query_by(spb::PropertyQuery {
                text: "tower".to_owned(),
                project: format!("projects/{project_a}"),
                ..Default::default()
            }))
            .await;
        assert_eq!(names(&with_text), [linked.name.as_str()], "with the other filters");
        assert_eq!(app.search(query_by(Default::default())).await.total_size, 2, "no project: every listing");
    }

    async fn a_unit_event_that_arrives_before_its_listing_still_links_it(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let project = new_id();
        let listing = sale("Penthouse, Tower B", "Lisboa", LISBON.0, LISBON.1, 90_000_000);

        app.publish_unit("unit.created", &unit(&project, &new_id(), &listing.name)).await;
        app.list(&listing).await;

        let found = until_in_project(&mut app, &project, &[&listing.name]).await;
        assert_eq!(found, [listing.name.as_str()]);
    }

    async fn unlinking_a_unit_from_its_listing_removes_the_listing_from_the_projects_results(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let project = new_id();
        let unit_id = new_id();
        let listing = sale("Garden flat, Tower C", "Lisboa", LISBON.0, LISBON.1, 38_000_000);
        app.list(&listing).await;
        app.publish_unit("unit.created", &unit(&project, &unit_id, &listing.name)).await;
        until_in_project(&mut app, &project, &[&listing.name]).await;

        app.publish_unit("unit.updated", &unit(&project, &unit_id, "")).await;

        let found = until_in_project(&mut app, &project, &[]).await;
        assert!(found.is_empty());
        app.until_indexed(&listing).await;
        assert_eq!(app.search(query_by(Default::default())).await.total_size, 1, "still listed, in no project");
    }

    async fn a_replayed_older_unit_event_does_not_undo_a_later_one(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let project = new_id();
        let unit_id = new_id();
        let (first, second) = (
            sale("First listing of the unit", "Lisboa", LISBON.0, LISBON.1, 30_000_000),
            sale("Second listing of the unit", "Lisboa", LISBON.0, LISBON.1, 31_000_000),
        );
        app.list(&first).await;
        app.list(&second).await;
        let old = unit(&project, &unit_id, &first.name);
        app.publish_unit("unit.created", &old).await;
        tokio::time::sleep(Duration::from_millis(2)).await;
        app.publish_unit("unit.updated", &unit(&project, &unit_id, &second.name)).await;
        until_in_project(&mut app, &project, &[&second.name]).await;

        app.publish_unit("unit.created", &old).await; // redelivered, older than what is known

        let another = sale("A marker listed after the replay", "Lisboa", LISBON.0, LISBON.1, 1);
        app.list(&another).await;
        app.until_indexed(&another).await;
        assert_eq!(names(&app.search(in_project(&project)).await), [second.name.as_str()]);
    }

    async fn links_survive_a_rebuild_of_the_index(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let project = new_id();
        let listing = sale("Flat kept across rebuilds", "Lisboa", LISBON.0, LISBON.1, 40_000_000);
        app.list(&listing).await;
        app.publish_unit("unit.created", &unit(&project, &new_id(), &listing.name)).await;
        until_in_project(&mut app, &project, &[&listing.name]).await;
        app.stop().await;
        // As if the project topic had long dropped the event: only the database remembers.
        let log = estospaces_storage::Database::open_sqlite_file(&app.data_dir.path().join("events.db"))
            .await
            .expect("the embedded log opens");
        let dropped = sqlx::query("DELETE FROM log_records WHERE topic = 'estospaces.project.v1'")
            .execute(log.pool())
            .await
            .expect("the project events go")
            .rows_affected();
        assert_eq!(dropped, 1);

        app.start(|config| config.service.rebuild_on_start = true).await;

        let found = until_in_project(&mut app, &project, &[&listing.name]).await;
        assert_eq!(found, [listing.name.as_str()]);
    }

    async fn a_malformed_project_is_invalid_argument(backend: Backend) {
        let mut app = spawn_app(backend).await;

        for bad in ["project/abc", "projects/", "projects/a/units/b", "abc"] {
            let err = app.client.search_properties(query_by(spb::PropertyQuery {
                project: bad.to_owned(),
                ..Default::default()
            })).await.expect_err("a malformed project");
            assert_eq!(err.code(), Code::InvalidArgument, "{bad}");
            assert_eq!(bad_fields(&err), ["query.project"], "{bad}");
        }
        let (token, user) = app.user(&[Role::Guest]);
        let saved = app.client.create_saved_search(authorized(spb::CreateSavedSearchRequest {
            parent: format!("users/{user}"),
            saved_search: Some(spb::SavedSearch {
                display_name: "Tower flats".to_owned(),
                query: Some(spb::PropertyQuery { project: "projects".to_owned(), ..Default::default() }),
                ..Default::default()
            }),
        }, &token)).await.expect_err("saved searches are checked the same");
        assert_eq!(saved.code(), Code::InvalidArgument);
    }

    async fn a_search_saved_for_a_project_is_alerted_when_a_listing_joins_it(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let project = new_id();
        let (token, user) = app.user(&[Role::Guest]);
        let listing = sale("Flat joining the project", "Lisboa", LISBON.0, LISBON.1, 42_000_000);
        app.list(&listing).await;
        app.until_indexed(&listing).await;
        let saved = app.client.create_saved_search(authorized(spb::CreateSavedSearchRequest {
            parent: format!("users/{user}"),
            saved_search: Some(spb::SavedSearch {
                display_name: "Tower flats".to_owned(),
                query: Some(spb::PropertyQuery { project: format!("projects/{project}"), ..Default::default() }),
                ..Default::default()
            }),
        }, &token)).await.expect("saved").into_inner().saved_search.expect("a saved search");

        app.publish_unit("unit.created", &unit(&project, &new_id(), &listing.name)).await;

        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let alerts = loop {
            let alerts = app.alerts().await;
            if !alerts.is_empty() {
                break alerts;
            }
            assert!(std::time::Instant::now() < deadline, "no alert");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].saved_search, saved.name);
        assert_eq!(alerts[0].property, listing.name);
        assert_eq!(alerts[0].reason, spb::AlertReason::NewListing as i32);
    }
}
