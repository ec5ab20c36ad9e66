use estospaces_auth::Role;
use estospaces_proto::property_v1 as pb;
use tonic::Code;

use crate::helpers::{authorized, on_both_backends, short_stay, spawn_app};

fn retitle(name: &str) -> pb::UpdatePropertyRequest {
    pb::UpdatePropertyRequest {
        property: Some(pb::Property {
            name: name.to_owned(),
            title: "Mine now".to_owned(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["title".to_owned()],
        }),
    }
}

on_both_backends! {
    async fn another_host_is_denied_whether_or_not_the_listing_exists(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let owner = app.token(&[Role::Host]);
        let stranger = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&owner).await;
        let missing = "properties/0190f5c6-0000-7000-8000-000000000000";

        for name in [listing.name.as_str(), missing] {
            let status = app
                .client
                .update_property(authorized(retitle(name), &stranger))
                .await
                .expect_err("not the stranger's listing");
            assert_eq!(status.code(), Code::PermissionDenied, "{name}");
        }
    }

    async fn an_admin_may_change_any_listing_and_learns_what_does_not_exist(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let owner = app.token(&[Role::Host]);
        let admin = app.token(&[Role::Admin]);
        let listing = app.published_short_stay(&owner).await;

        let updated = app
            .client
            .update_property(authorized(retitle(&listing.name), &admin))
            .await
            .expect("admins change any listing")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(updated.title, "Mine now");

        let status = app
            .client
            .update_property(authorized(retitle("properties/0190f5c6-0000-7000-8000-000000000000"), &admin))
            .await
            .expect_err("missing");
        assert_eq!(status.code(), Code::NotFound);
    }

    async fn guests_cannot_list_and_only_agents_list_sales(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let sale = pb::Property {
            kind: pb::ListingKind::Sale as i32,
            short_stay_pricing: None,
            sale_pricing: Some(pb::SalePricing { asking_price: 35_000_000 }),
            ..short_stay()
        };
        let cases = [
            (app.token(&[Role::Guest]), short_stay(), Some(Code::PermissionDenied)),
            (app.token(&[Role::Host]), sale.clone(), Some(Code::PermissionDenied)),
            (app.token(&[Role::Agent]), sale, None),
        ];
        for (token, property, expected) in cases {
            let result = app
                .client
                .create_property(authorized(pb::CreatePropertyRequest { property: Some(property), request_id: String::new() }, &token))
                .await;
            assert_eq!(result.err().map(|status| status.code()), expected);
        }
    }

    async fn an_anonymous_caller_cannot_create_a_listing(backend: Backend) {
        let mut app = spawn_app(backend).await;

        let status = app
            .client
            .create_property(pb::CreatePropertyRequest { property: Some(short_stay()), request_id: String::new() })
            .await
            .expect_err("anonymous");

        assert_eq!(status.code(), Code::Unauthenticated);
    }
}
