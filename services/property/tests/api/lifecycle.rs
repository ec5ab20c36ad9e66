use estospaces_auth::Role;
use estospaces_proto::property_v1 as pb;
use pb::property::State;
use tonic::Code;

use crate::helpers::{authorized, bad_fields, on_both_backends, reason, short_stay, spawn_app};

fn get(name: &str) -> pb::GetPropertyRequest {
    pb::GetPropertyRequest {
        name: name.to_owned(),
    }
}

on_both_backends! {
    async fn a_listing_goes_from_draft_to_published_to_paused_to_archived(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Guest, Role::Host]);

        let draft = app.create(short_stay(), &host).await;
        assert_eq!(draft.state, State::Draft as i32);
        let hidden = app.client.get_property(get(&draft.name)).await.expect_err("a draft");
        assert_eq!(hidden.code(), Code::NotFound, "strangers do not see drafts");

        let published = app
            .client
            .publish_property(authorized(
                pb::PublishPropertyRequest { name: draft.name.clone(), etag: draft.etag.clone() },
                &host,
            ))
            .await
            .expect("a complete draft publishes")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(published.state, State::Published as i32);
        let read = app
            .client
            .get_property(get(&draft.name))
            .await
            .expect("anyone reads a published listing")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(read.title, draft.title);

        for (call, state) in [("pause", State::Paused), ("archive", State::Archived)] {
            let name = draft.name.clone();
            let property = match call {
                "pause" => app
                    .client
                    .pause_property(authorized(pb::PausePropertyRequest { name, etag: String::new() }, &host))
                    .await
                    .map(|r| r.into_inner().property),
                _ => app
                    .client
                    .archive_property(authorized(pb::ArchivePropertyRequest { name, etag: String::new() }, &host))
                    .await
                    .map(|r| r.into_inner().property),
            }
            .expect("the owner changes the state")
            .expect("a listing");
            assert_eq!(property.state, state as i32, "{call}");
        }

        let status = app
            .client
            .publish_property(authorized(
                pb::PublishPropertyRequest { name: draft.name.clone(), etag: String::new() },
                &host,
            ))
            .await
            .expect_err("archived for good");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "INVALID_STATE_TRANSITION");

        let events = app.events().await;
        let types: Vec<&str> = events.iter().map(|e| e.event_type()).collect();
        assert_eq!(types, ["property.listed", "property.unlisted"]);
        let listed: pb::PropertyListed = events[0].payload().expect("a PropertyListed");
        let snapshot = listed.property.expect("a full snapshot");
        assert_eq!(snapshot.name, draft.name);
        assert_eq!(snapshot.state, State::Published as i32);
        assert_eq!(snapshot.short_stay_pricing, short_stay().short_stay_pricing);
        let unlisted: pb::PropertyUnlisted = events[1].payload().expect("a PropertyUnlisted");
        assert_eq!(unlisted.property.expect("a snapshot").state, State::Paused as i32);
        assert_eq!(events[0].aggregate_id(), draft.name.trim_start_matches("properties/"));
    }

    async fn publishing_an_incomplete_listing_names_the_missing_fields(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let mut incomplete = short_stay();
        incomplete.description.clear();
        incomplete.photos.clear();
        let draft = app.create(incomplete, &host).await;

        let status = app
            .client
            .publish_property(authorized(
                pb::PublishPropertyRequest { name: draft.name, etag: String::new() },
                &host,
            ))
            .await
            .expect_err("incomplete");

        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "LISTING_INCOMPLETE");
        assert_eq!(bad_fields(&status), ["property.description", "property.photos"]);
        assert!(app.events().await.is_empty(), "nothing was listed");
    }

    async fn invalid_fields_are_named_by_their_paths(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let mut property = short_stay();
        property.currency_code = "euro".to_owned();
        if let Some(location) = property.address.as_mut().and_then(|a| a.location.as_mut()) {
            location.latitude = 91.0;
        }
        if let Some(pricing) = property.short_stay_pricing.as_mut() {
            pricing.seasonal_prices[0].end_date = Some(crate::helpers::date(2027, 2, 30));
        }

        let status = app
            .client
            .create_property(authorized(pb::CreatePropertyRequest { property: Some(property), request_id: String::new() }, &host))
            .await
            .expect_err("invalid");

        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            bad_fields(&status),
            [
                "property.currency_code",
                "property.address.location.latitude",
                "property.short_stay_pricing.seasonal_prices[0].end_date",
            ]
        );
    }

    async fn anyone_lists_published_listings_page_by_page(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        for _ in 0..3 {
            app.published_short_stay(&host).await;
        }
        app.create(short_stay(), &host).await; // a draft, not listed

        let first = app
            .client
            .list_properties(pb::ListPropertiesRequest { page_size: 2, ..Default::default() })
            .await
            .expect("public")
            .into_inner();
        assert_eq!(first.properties.len(), 2);
        let second = app
            .client
            .list_properties(pb::ListPropertiesRequest {
                page_size: 2,
                page_token: first.next_page_token.clone(),
                ..Default::default()
            })
            .await
            .expect("public")
            .into_inner();
        assert_eq!(second.properties.len(), 1);
        assert!(second.next_page_token.is_empty());
        assert!(first.properties[1].name > second.properties[0].name, "newest first");
    }

    async fn published_listings_count_their_views_without_rewriting_the_listing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;

        for _ in 0..3 {
            app.client.get_property(get(&listing.name)).await.expect("public");
        }
        let read = app
            .client
            .get_property(get(&listing.name))
            .await
            .expect("public")
            .into_inner()
            .property
            .expect("a listing");

        assert_eq!(read.view_count, 4);
        assert_eq!(read.etag, listing.etag, "views do not change the listing");
    }

    async fn counted_views_are_stored_apart_from_the_listing(backend: Backend) {
        let mut app = crate::helpers::spawn_app_with(backend, |config| {
            config.service.view_flush_interval = std::time::Duration::from_millis(50);
        })
        .await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;

        for _ in 0..3 {
            app.client.get_property(get(&listing.name)).await.expect("public");
        }

        let id = listing.name.trim_start_matches("properties/").to_owned();
        let mut stored = 0;
        for _ in 0..100 {
            stored = sqlx::query("SELECT views FROM property_view_counts WHERE property_id = $1")
                .bind(&id)
                .fetch_optional(app.database.database.pool())
                .await
                .expect("readable")
                .map(|row| sqlx::Row::try_get::<i64, _>(&row, "views").expect("views"))
                .unwrap_or_default();
            if stored == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(stored, 3, "the flusher added the views");
        let owners_view = app
            .client
            .get_property(authorized(get(&listing.name), &host))
            .await
            .expect("the owner reads")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(owners_view.view_count, 3, "the owner's reads are not counted");
    }

    async fn a_retried_create_with_the_same_request_id_returns_the_first_listing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let request_id = "0190f5c6-1234-7000-8000-000000000001";
        let create = || {
            authorized(
                pb::CreatePropertyRequest {
                    property: Some(short_stay()),
                    request_id: request_id.to_owned(),
                },
                &host,
            )
        };

        let first = app.client.create_property(create()).await.expect("created").into_inner();
        let retried = app.client.create_property(create()).await.expect("retried").into_inner();

        assert_eq!(first.property, retried.property);
        let mine = app
            .client
            .list_properties(pb::ListPropertiesRequest {
                owner: first.property.expect("a listing").owner,
                ..Default::default()
            })
            .await
            .expect("listed");
        assert_eq!(mine.into_inner().properties.len(), 0, "drafts are not public");
    }

    async fn a_sold_sale_listing_is_unlisted_and_a_short_stay_cannot_be_sold(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let agent = app.token(&[Role::Agent]);
        let sale = pb::Property {
            kind: pb::ListingKind::Sale as i32,
            property_type: pb::PropertyType::House as i32,
            short_stay_pricing: None,
            sale_pricing: Some(pb::SalePricing { asking_price: 35_000_000 }),
            ..short_stay()
        };
        let draft = app.create(sale, &agent).await;
        app.client
            .publish_property(authorized(
                pb::PublishPropertyRequest { name: draft.name.clone(), etag: String::new() },
                &agent,
            ))
            .await
            .expect("published");

        let sold = app
            .client
            .mark_property_sold(authorized(
                pb::MarkPropertySoldRequest { name: draft.name.clone(), etag: String::new() },
                &agent,
            ))
            .await
            .expect("sold")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(sold.state, State::Sold as i32);
        let read = app.client.get_property(get(&draft.name)).await.expect("sold listings are public");
        assert_eq!(read.into_inner().property.expect("a listing").state, State::Sold as i32);

        let short_stay = app.published_short_stay(&agent).await;
        let status = app
            .client
            .mark_property_sold(authorized(
                pb::MarkPropertySoldRequest { name: short_stay.name, etag: String::new() },
                &agent,
            ))
            .await
            .expect_err("not for sale");
        assert_eq!(status.code(), Code::FailedPrecondition);

        let events = app.events().await;
        let unlisted: pb::PropertyUnlisted = events[1].payload().expect("a PropertyUnlisted");
        assert_eq!(events[1].event_type(), "property.unlisted");
        assert_eq!(unlisted.property.expect("a snapshot").state, State::Sold as i32);
    }
}
