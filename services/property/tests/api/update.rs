use estospaces_auth::Role;
use estospaces_proto::property_v1 as pb;
use tonic::Code;

use crate::helpers::{authorized, bad_fields, on_both_backends, reason, spawn_app};

fn update(property: pb::Property, paths: &[&str]) -> pb::UpdatePropertyRequest {
    pb::UpdatePropertyRequest {
        property: Some(property),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

on_both_backends! {
    async fn of_two_concurrent_updates_with_one_etag_one_wins_and_the_other_is_aborted(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;

        let attempt = |title: &str| {
            let mut client = app.client.clone();
            let request = authorized(
                update(
                    pb::Property {
                        name: listing.name.clone(),
                        title: title.to_owned(),
                        etag: listing.etag.clone(),
                        ..Default::default()
                    },
                    &["title"],
                ),
                &host,
            );
            async move { client.update_property(request).await }
        };
        let (a, b) = tokio::join!(attempt("First"), attempt("Second"));

        let codes = [&a, &b].map(|result| result.as_ref().err().map(|status| status.code()));
        assert!(
            codes == [None, Some(Code::Aborted)] || codes == [Some(Code::Aborted), None],
            "{codes:?}"
        );
        let loser = a.as_ref().err().or(b.as_ref().err()).expect("one lost");
        assert_eq!(reason(loser), "ETAG_MISMATCH");
        assert_eq!(app.event_types().await, ["property.listed", "property.updated"]);
    }

    async fn an_update_changes_only_the_masked_fields_and_announces_new_prices(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;
        let mut pricing = listing.short_stay_pricing.clone().expect("pricing");
        pricing.base_nightly_price = 11_000;

        let updated = app
            .client
            .update_property(authorized(
                update(
                    pb::Property {
                        name: listing.name.clone(),
                        title: "ignored: not in the mask".to_owned(),
                        short_stay_pricing: Some(pricing.clone()),
                        ..Default::default()
                    },
                    &["short_stay_pricing"],
                ),
                &host,
            ))
            .await
            .expect("the owner updates")
            .into_inner()
            .property
            .expect("a listing");

        assert_eq!(updated.title, listing.title);
        assert_eq!(updated.short_stay_pricing, Some(pricing.clone()));
        assert_ne!(updated.etag, listing.etag);
        let events = app.events().await;
        let types: Vec<&str> = events.iter().map(|e| e.event_type()).collect();
        assert_eq!(types, ["property.listed", "property.updated", "property.price_changed"]);
        let changed: pb::PropertyPriceChanged = events[2].payload().expect("a PropertyPriceChanged");
        assert_eq!(changed.property.expect("a snapshot").short_stay_pricing, Some(pricing));
    }

    async fn a_stale_etag_is_aborted(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.create(crate::helpers::short_stay(), &host).await;
        let retitled = |title: &str, etag: &str| {
            update(
                pb::Property {
                    name: listing.name.clone(),
                    title: title.to_owned(),
                    etag: etag.to_owned(),
                    ..Default::default()
                },
                &["title"],
            )
        };
        app.client
            .update_property(authorized(retitled("One", &listing.etag), &host))
            .await
            .expect("current etag");

        let status = app
            .client
            .update_property(authorized(retitled("Two", &listing.etag), &host))
            .await
            .expect_err("stale etag");

        assert_eq!(status.code(), Code::Aborted);
    }

    async fn output_only_and_immutable_fields_are_rejected_in_the_mask(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.create(crate::helpers::short_stay(), &host).await;

        let status = app
            .client
            .update_property(authorized(
                update(
                    pb::Property { name: listing.name.clone(), ..Default::default() },
                    &["title", "kind", "state"],
                ),
                &host,
            ))
            .await
            .expect_err("not updatable");

        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&status), ["update_mask.paths[1]", "update_mask.paths[2]"]);
    }
}
