//! A unit's listing: a sale listing of the developer's own in the property service, the
//! listing of no other unit.

use estospaces_proto::project_v1 as pb;
use estospaces_proto::property_v1 as property;
use tonic::Code;

use crate::helpers::*;

on_both_backends! {
    async fn a_unit_takes_the_developers_own_sale_listing_once(backend: Backend) {
        let app = spawn_app(backend).await;
        let developer = app.developer();
        let project = app.create_project(&developer, project()).await;
        let listing = app.publish_as(&developer, for_sale()).await;

        let linked = app
            .add_unit(&developer, &project.name, pb::Unit { listing: listing.clone(), ..unit("A-1") })
            .await
            .expect("the developer's own sale listing");
        let twice = app
            .add_unit(&developer, &project.name, pb::Unit { listing: listing.clone(), ..unit("A-2") })
            .await
            .expect_err("another unit's listing");

        assert_eq!(linked.listing, listing);
        assert_eq!(twice.code(), Code::AlreadyExists);
        assert_eq!(reason(&twice), "LISTING_ALREADY_LINKED");
        assert_eq!(app.project(None, &project.name).await.expect("public").unit_count, 1);
    }

    async fn a_unit_listing_that_is_not_the_developers_own_sale_listing_is_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        let developer = app.developer();
        let project = app.create_project(&developer, project()).await;
        let someone_elses = app.publish_as(&app.developer(), for_sale()).await;
        // A draft: the developer's own token shows it to the property service's check.
        let rental = app
            .draft_as(
                &developer,
                property::Property {
                    kind: property::ListingKind::LongTermRental as i32,
                    sale_pricing: None,
                    long_term_pricing: Some(property::LongTermPricing {
                        monthly_rent: 150_000,
                        ..Default::default()
                    }),
                    ..for_sale()
                },
            )
            .await;
        let missing = format!("properties/{}", uuid::Uuid::now_v7());

        let mut reasons = Vec::new();
        for listing in [&someone_elses, &rental, &missing] {
            let refused = app
                .add_unit(&developer, &project.name, pb::Unit { listing: listing.clone(), ..unit("A-1") })
                .await
                .expect_err("refused");
            assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
            reasons.push(reason(&refused));
        }
        let malformed = app
            .add_unit(&developer, &project.name, pb::Unit { listing: "listing-1".to_owned(), ..unit("A-1") })
            .await
            .expect_err("not a name");

        assert_eq!(reasons, ["NOT_THE_DEVELOPERS_LISTING", "LISTING_NOT_FOR_SALE", "LISTING_NOT_FOUND"]);
        assert_eq!(malformed.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&malformed), ["unit.listing"]);
        assert_eq!(app.project(None, &project.name).await.expect("public").unit_count, 0);
    }

    async fn an_update_that_sets_someone_elses_listing_is_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        let (developer, _, unit) = app.project_with_unit().await;
        let someone_elses = app.publish_as(&app.developer(), for_sale()).await;

        let refused = app
            .projects
            .clone()
            .update_unit(authorized(
                pb::UpdateUnitRequest {
                    unit: Some(pb::Unit { name: unit.name.clone(), listing: someone_elses, ..Default::default() }),
                    update_mask: Some(prost_types::FieldMask { paths: vec!["listing".to_owned()] }),
                },
                &developer.token,
            ))
            .await
            .expect_err("refused");

        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "NOT_THE_DEVELOPERS_LISTING");
        assert!(app.unit(&unit.name).await.listing.is_empty());
    }
}
