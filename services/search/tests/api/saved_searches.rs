use estospaces_auth::Role;
use estospaces_proto::search_v1 as spb;
use tonic::Code;

use crate::helpers::{authorized, bad_fields, on_both_backends, reason, spawn_app};

fn saved(text: &str) -> spb::SavedSearch {
    spb::SavedSearch {
        display_name: format!("Looking for {text}"),
        query: Some(spb::PropertyQuery {
            text: text.to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

on_both_backends! {
    async fn a_user_saves_lists_and_deletes_their_own_searches(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (token, user) = app.user(&[Role::Guest]);
        let parent = format!("users/{user}");
        let mut created = Vec::new();
        for text in ["beach", "cabin"] {
            let search = app
                .client
                .create_saved_search(authorized(
                    spb::CreateSavedSearchRequest { parent: parent.clone(), saved_search: Some(saved(text)) },
                    &token,
                ))
                .await
                .expect("saved")
                .into_inner()
                .saved_search
                .expect("a saved search");
            assert!(search.name.starts_with(&format!("{parent}/savedSearches/")), "{}", search.name);
            assert!(search.create_time.is_some());
            created.push(search);
        }

        let listed = app
            .client
            .list_saved_searches(authorized(spb::ListSavedSearchesRequest { parent: parent.clone() }, &token))
            .await
            .expect("listed")
            .into_inner()
            .saved_searches;
        let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, [created[1].name.as_str(), created[0].name.as_str()], "newest first");
        assert_eq!(listed[1].query.as_ref().expect("a query").text, "beach");

        app.client
            .delete_saved_search(authorized(spb::DeleteSavedSearchRequest { name: created[0].name.clone() }, &token))
            .await
            .expect("deleted");
        let status = app
            .client
            .delete_saved_search(authorized(spb::DeleteSavedSearchRequest { name: created[0].name.clone() }, &token))
            .await
            .expect_err("already gone");
        assert_eq!(status.code(), Code::NotFound);
        let left = app
            .client
            .list_saved_searches(authorized(spb::ListSavedSearchesRequest { parent }, &token))
            .await
            .expect("listed")
            .into_inner()
            .saved_searches;
        assert_eq!(left.len(), 1);
    }

    async fn other_users_cannot_see_create_or_delete_someones_saved_searches(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (owner_token, owner) = app.user(&[Role::Guest]);
        let (stranger_token, _) = app.user(&[Role::Guest]);
        let (admin_token, _) = app.user(&[Role::Admin]);
        let parent = format!("users/{owner}");
        let search = app
            .client
            .create_saved_search(authorized(
                spb::CreateSavedSearchRequest { parent: parent.clone(), saved_search: Some(saved("loft")) },
                &owner_token,
            ))
            .await
            .expect("saved")
            .into_inner()
            .saved_search
            .expect("a saved search");

        let status = app
            .client
            .create_saved_search(authorized(
                spb::CreateSavedSearchRequest { parent: parent.clone(), saved_search: Some(saved("x")) },
                &stranger_token,
            ))
            .await
            .expect_err("not theirs");
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = app
            .client
            .list_saved_searches(authorized(spb::ListSavedSearchesRequest { parent: parent.clone() }, &stranger_token))
            .await
            .expect_err("not theirs");
        assert_eq!(status.code(), Code::PermissionDenied);
        // Permission is decided before existence: a stranger cannot probe names.
        let missing = format!("{parent}/savedSearches/nope");
        for name in [search.name.clone(), missing.clone()] {
            let status = app
                .client
                .delete_saved_search(authorized(spb::DeleteSavedSearchRequest { name }, &stranger_token))
                .await
                .expect_err("not theirs");
            assert_eq!(status.code(), Code::PermissionDenied);
        }
        let status = app
            .client
            .delete_saved_search(authorized(spb::DeleteSavedSearchRequest { name: missing }, &admin_token))
            .await
            .expect_err("missing");
        assert_eq!(status.code(), Code::NotFound);
        // Admins may read and delete for support, not save for others.
        let listed = app
            .client
            .list_saved_searches(authorized(spb::ListSavedSearchesRequest { parent }, &admin_token))
            .await
            .expect("an admin lists")
            .into_inner()
            .saved_searches;
        assert_eq!(listed.len(), 1);

        let status = app
            .client
            .list_saved_searches(spb::ListSavedSearchesRequest { parent: format!("users/{owner}") })
            .await
            .expect_err("anonymous");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(reason(&status), "TOKEN_MISSING");
    }

    async fn a_saved_search_needs_a_valid_query(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (token, user) = app.user(&[Role::Guest]);
        let status = app
            .client
            .create_saved_search(authorized(
                spb::CreateSavedSearchRequest {
                    parent: format!("users/{user}"),
                    saved_search: Some(spb::SavedSearch {
                        query: Some(spb::PropertyQuery { min_bedrooms: -1, ..Default::default() }),
                        ..Default::default()
                    }),
                },
                &token,
            ))
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&status), ["saved_search.query.min_bedrooms"]);

        let status = app
            .client
            .create_saved_search(authorized(
                spb::CreateSavedSearchRequest { parent: format!("users/{user}"), saved_search: None },
                &token,
            ))
            .await
            .expect_err("no query");
        assert_eq!(bad_fields(&status), ["saved_search.query"]);
    }
}
