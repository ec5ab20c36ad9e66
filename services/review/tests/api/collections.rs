//! Wishlists and comparisons: theirs alone until shared by link, saved listings and their
//! counts, and comparisons read fresh from the property service.

use estospaces_auth::Role;
use estospaces_proto::property_v1 as property;
use estospaces_proto::review_v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::*;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|path| (*path).to_owned()).collect(),
    })
}

fn text(date: &property::Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

async fn create_wishlist(app: &TestApp, user: &User, title: &str) -> pb::Wishlist {
    app.collections
        .clone()
        .create_wishlist(authorized(
            pb::CreateWishlistRequest {
                parent: user.name.clone(),
                wishlist: Some(pb::Wishlist {
                    title: title.to_owned(),
                    ..Default::default()
                }),
            },
            &user.token,
        ))
        .await
        .expect("the wishlist is created")
        .into_inner()
        .wishlist
        .expect("a wishlist")
}

async fn get_wishlist(
    app: &TestApp,
    user: &User,
    name: &str,
) -> Result<pb::Wishlist, tonic::Status> {
    app.collections
        .clone()
        .get_wishlist(authorized(
            pb::GetWishlistRequest {
                name: name.to_owned(),
            },
            &user.token,
        ))
        .await
        .map(|response| response.into_inner().wishlist.expect("a wishlist"))
}

async fn save(
    app: &TestApp,
    user: &User,
    wishlist: &str,
    listing: &str,
) -> Result<pb::Wishlist, tonic::Status> {
    app.collections
        .clone()
        .add_wishlist_listing(authorized(
            pb::AddWishlistListingRequest {
                name: wishlist.to_owned(),
                listing: listing.to_owned(),
            },
            &user.token,
        ))
        .await
        .map(|response| response.into_inner().wishlist.expect("a wishlist"))
}

async fn unsave(
    app: &TestApp,
    user: &User,
    wishlist: &str,
    listing: &str,
) -> Result<pb::Wishlist, tonic::Status> {
    app.collections
        .clone()
        .remove_wishlist_listing(authorized(
            pb::RemoveWishlistListingRequest {
                name: wishlist.to_owned(),
                listing: listing.to_owned(),
            },
            &user.token,
        ))
        .await
        .map(|response| response.into_inner().wishlist.expect("a wishlist"))
}

async fn share_wishlist(
    app: &TestApp,
    user: &User,
    name: &str,
    shared: bool,
) -> Result<pb::Wishlist, tonic::Status> {
    app.collections
        .clone()
        .update_wishlist(authorized(
            pb::UpdateWishlistRequest {
                wishlist: Some(pb::Wishlist {
                    name: name.to_owned(),
                    shared,
                    ..Default::default()
                }),
                update_mask: mask(&["shared"]),
            },
            &user.token,
        ))
        .await
        .map(|response| response.into_inner().wishlist.expect("a wishlist"))
}

/// The shared wishlist, read anonymously.
async fn shared_wishlist(app: &TestApp, token: &str) -> Result<pb::Wishlist, tonic::Status> {
    app.collections
        .clone()
        .get_shared_wishlist(pb::GetSharedWishlistRequest {
            share_token: token.to_owned(),
        })
        .await
        .map(|response| response.into_inner().wishlist.expect("a wishlist"))
}

async fn save_count(app: &TestApp, user: &User, listing: &str) -> Result<i32, tonic::Status> {
    app.collections
        .clone()
        .get_listing_save_count(authorized(
            pb::GetListingSaveCountRequest {
                listing: listing.to_owned(),
            },
            &user.token,
        ))
        .await
        .map(|response| response.into_inner().save_count)
}

async fn compare(
    app: &TestApp,
    user: &User,
    comparison: pb::Comparison,
) -> Result<pb::Comparison, tonic::Status> {
    app.collections
        .clone()
        .create_comparison(authorized(
            pb::CreateComparisonRequest {
                parent: user.name.clone(),
                comparison: Some(comparison),
            },
            &user.token,
        ))
        .await
        .map(|response| response.into_inner().comparison.expect("a comparison"))
}

fn of_listings(listings: &[&String]) -> pb::Comparison {
    pb::Comparison {
        listings: listings.iter().map(|name| (*name).clone()).collect(),
        ..Default::default()
    }
}

async fn get_comparison(
    app: &TestApp,
    user: &User,
    name: &str,
) -> Result<pb::GetComparisonResponse, tonic::Status> {
    app.collections
        .clone()
        .get_comparison(authorized(
            pb::GetComparisonRequest {
                name: name.to_owned(),
            },
            &user.token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn update_comparison(
    app: &TestApp,
    user: &User,
    changes: pb::Comparison,
    paths: &[&str],
) -> Result<pb::Comparison, tonic::Status> {
    app.collections
        .clone()
        .update_comparison(authorized(
            pb::UpdateComparisonRequest {
                comparison: Some(changes),
                update_mask: mask(paths),
            },
            &user.token,
        ))
        .await
        .map(|response| response.into_inner().comparison.expect("a comparison"))
}

/// A listing created but never published: its owner and name.
async fn draft(app: &mut TestApp) -> (User, String) {
    let owner = app.user_with(&[Role::Host]);
    let created = app
        .properties
        .create_property(authorized(
            property::CreatePropertyRequest {
                property: Some(short_stay()),
                request_id: String::new(),
            },
            &owner.token,
        ))
        .await
        .expect("the draft is created")
        .into_inner()
        .property
        .expect("a listing");
    (owner, created.name)
}

fn unknown_listing() -> String {
    format!("properties/{}", uuid::Uuid::now_v7())
}

on_both_backends! {
    async fn a_listing_saved_twice_is_held_once_and_counted_once_for_its_owner(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.listing().await;
        let user = app.user();
        let wishlist = create_wishlist(&app, &user, "  Lisbon in May ").await;
        assert_eq!(wishlist.title, "Lisbon in May");
        assert!(wishlist.name.starts_with(&format!("{}/wishlists/", user.name)));
        assert!(!wishlist.shared && wishlist.share_token.is_empty());

        let saved = save(&app, &user, &wishlist.name, &listing).await.expect("a published listing saves");
        assert_eq!(saved.listings.len(), 1);
        assert_eq!(saved.listings[0].listing, listing);
        assert!(saved.listings[0].save_time.is_some());
        let again = save(&app, &user, &wishlist.name, &listing).await.expect("saving again is fine");
        assert_eq!(again.listings, saved.listings, "saving twice changes nothing");
        let read = get_wishlist(&app, &user, &wishlist.name).await.expect("the owner reads it");
        assert_eq!(read.listings.len(), 1);

        assert_eq!(save_count(&app, &host, &listing).await.expect("the owner's count"), 1);
        let events = app.outbox_event_types().await;
        assert_eq!(events.iter().filter(|e| *e == "favorite.added").count(), 1, "{events:?}");

        let removed = unsave(&app, &user, &wishlist.name, &listing).await.expect("taken out");
        assert!(removed.listings.is_empty());
        unsave(&app, &user, &wishlist.name, &listing).await.expect("taking it out again is fine");
        assert_eq!(save_count(&app, &host, &listing).await.expect("the owner's count"), 0);
        let events = app.outbox_event_types().await;
        assert_eq!(events.iter().filter(|e| *e == "favorite.removed").count(), 1, "{events:?}");
    }

    async fn nobody_else_reads_changes_fills_or_deletes_a_users_wishlist_not_even_an_admin(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_host, listing) = app.listing().await;
        let owner = app.user();
        let wishlist = create_wishlist(&app, &owner, "Mine").await;
        let unknown = format!("{}/wishlists/{}", owner.name, uuid::Uuid::now_v7());
        for other in [app.user(), app.admin()] {
            for name in [&wishlist.name, &unknown] {
                let refusals = [
                    get_wishlist(&app, &other, name).await.map(drop),
                    share_wishlist(&app, &other, name, true).await.map(drop),
                    save(&app, &other, name, &listing).await.map(drop),
                    unsave(&app, &other, name, &listing).await.map(drop),
                    app.collections
                        .clone()
                        .delete_wishlist(authorized(
                            pb::DeleteWishlistRequest { name: name.clone() },
                            &other.token,
                        ))
                        .await
                        .map(drop),
                ];
                for refused in refusals {
                    let refused = refused.expect_err("not theirs");
                    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
                }
            }
            let listed = app
                .collections
                .clone()
                .list_wishlists(authorized(
                    pb::ListWishlistsRequest {
                        parent: owner.name.clone(),
                        ..Default::default()
                    },
                    &other.token,
                ))
                .await
                .expect_err("not their list");
            assert_eq!(listed.code(), Code::PermissionDenied);
        }
        let missing = get_wishlist(&app, &owner, &unknown).await.expect_err("no such wishlist");
        assert_eq!(missing.code(), Code::NotFound);
        let anonymous = app
            .collections
            .clone()
            .get_wishlist(pb::GetWishlistRequest { name: wishlist.name.clone() })
            .await
            .expect_err("signed-in users only");
        assert_eq!(anonymous.code(), Code::Unauthenticated);
        let read = get_wishlist(&app, &owner, &wishlist.name).await.expect("still the owner's");
        assert!(read.listings.is_empty() && !read.shared);
    }

    async fn a_shared_wishlist_is_read_by_anyone_with_its_link_until_it_is_unshared(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_host, listing) = app.listing().await;
        let owner = app.user();
        let wishlist = create_wishlist(&app, &owner, "Porto").await;
        save(&app, &owner, &wishlist.name, &listing).await.expect("saved");

        let shared = share_wishlist(&app, &owner, &wishlist.name, true).await.expect("shared");
        assert!(shared.shared);
        assert_eq!(shared.share_token.len(), 32);
        let again = share_wishlist(&app, &owner, &wishlist.name, true).await.expect("still shared");
        assert_eq!(again.share_token, shared.share_token, "sharing what is shared keeps the link");

        let seen = shared_wishlist(&app, &shared.share_token).await.expect("anyone with the link");
        assert_eq!(seen.title, "Porto");
        assert_eq!(seen.listings.len(), 1);
        assert!(seen.shared);
        assert!(seen.share_token.is_empty(), "the token is not handed on");

        let unshared = share_wishlist(&app, &owner, &wishlist.name, false).await.expect("unshared");
        assert!(!unshared.shared && unshared.share_token.is_empty());
        let gone = shared_wishlist(&app, &shared.share_token).await.expect_err("the link is revoked");
        assert_eq!(gone.code(), Code::NotFound);

        let reshared = share_wishlist(&app, &owner, &wishlist.name, true).await.expect("shared again");
        assert_ne!(reshared.share_token, shared.share_token, "a new link each time");
        assert!(shared_wishlist(&app, &shared.share_token).await.is_err());
        shared_wishlist(&app, &reshared.share_token).await.expect("the new link works");
        let made_up = shared_wishlist(&app, "0123456789abcdef0123456789abcdef").await.expect_err("no such link");
        assert_eq!(made_up.code(), Code::NotFound);
    }

    async fn a_draft_or_unknown_listing_cannot_be_saved(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_owner, draft) = draft(&mut app).await;
        let user = app.user();
        let wishlist = create_wishlist(&app, &user, "Someday").await;
        for listing in [draft, unknown_listing()] {
            let refused = save(&app, &user, &wishlist.name, &listing).await.expect_err("not published");
            assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
        }
        let malformed = save(&app, &user, &wishlist.name, "properties/nope").await.expect_err("not a name");
        assert_eq!(malformed.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&malformed), ["listing"]);
        assert!(app.outbox_event_types().await.is_empty());
    }

    async fn a_wishlist_needs_a_short_title(backend: Backend) {
        let app = spawn_app(backend).await;
        let user = app.user();
        for title in ["   ", &"x".repeat(101)] {
            let refused = app
                .collections
                .clone()
                .create_wishlist(authorized(
                    pb::CreateWishlistRequest {
                        parent: user.name.clone(),
                        wishlist: Some(pb::Wishlist { title: title.to_owned(), ..Default::default() }),
                    },
                    &user.token,
                ))
                .await
                .expect_err("no title or too long a one");
            assert_eq!(refused.code(), Code::InvalidArgument);
            assert_eq!(bad_fields(&refused), ["wishlist.title"]);
        }
    }

    async fn a_listings_save_count_is_for_its_owner_and_admins_only(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (owner, listing) = app.listing().await;
        for (index, saver) in [app.user(), app.user()].iter().enumerate() {
            let wishlist = create_wishlist(&app, saver, &format!("List {index}")).await;
            save(&app, saver, &wishlist.name, &listing).await.expect("saved");
        }
        assert_eq!(save_count(&app, &owner, &listing).await.expect("the owner's"), 2);
        assert_eq!(save_count(&app, &app.admin(), &listing).await.expect("an admin's"), 2);
        let stranger = app.user();
        for name in [&listing, &unknown_listing()] {
            let refused = save_count(&app, &stranger, name).await.expect_err("not theirs");
            assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
        }
        let (_draft_owner, draft) = draft(&mut app).await;
        let refused = save_count(&app, &stranger, &draft).await.expect_err("nothing about drafts");
        assert_eq!(refused.code(), Code::PermissionDenied);
    }

    async fn deleting_a_wishlist_removes_its_listings_and_its_link(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.listing().await;
        let owner = app.user();
        let wishlist = create_wishlist(&app, &owner, "To delete").await;
        save(&app, &owner, &wishlist.name, &listing).await.expect("saved");
        let shared = share_wishlist(&app, &owner, &wishlist.name, true).await.expect("shared");
        app.collections
            .clone()
            .delete_wishlist(authorized(
                pb::DeleteWishlistRequest { name: wishlist.name.clone() },
                &owner.token,
            ))
            .await
            .expect("the owner deletes it");
        let gone = get_wishlist(&app, &owner, &wishlist.name).await.expect_err("deleted");
        assert_eq!(gone.code(), Code::NotFound);
        let link = shared_wishlist(&app, &shared.share_token).await.expect_err("its link too");
        assert_eq!(link.code(), Code::NotFound);
        assert_eq!(save_count(&app, &host, &listing).await.expect("the owner's"), 0);
        let again = app
            .collections
            .clone()
            .delete_wishlist(authorized(
                pb::DeleteWishlistRequest { name: wishlist.name.clone() },
                &owner.token,
            ))
            .await
            .expect_err("nothing left to delete");
        assert_eq!(again.code(), Code::NotFound);
        let events = app.outbox_event_types().await;
        assert_eq!(events, ["favorite.added", "favorite.removed"]);
    }

    async fn wishlists_are_listed_most_recently_changed_first_a_page_at_a_time(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_host, listing) = app.listing().await;
        let user = app.user();
        let first = create_wishlist(&app, &user, "First").await;
        let second = create_wishlist(&app, &user, "Second").await;
        let third = create_wishlist(&app, &user, "Third").await;
        create_wishlist(&app, &app.user(), "Someone else's").await;
        save(&app, &user, &first.name, &listing).await.expect("saving changes the first");

        let mut names = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = app
                .collections
                .clone()
                .list_wishlists(authorized(
                    pb::ListWishlistsRequest {
                        parent: user.name.clone(),
                        page_size: 2,
                        page_token,
                    },
                    &user.token,
                ))
                .await
                .expect("the owner lists them")
                .into_inner();
            assert!(page.wishlists.len() <= 2);
            names.extend(page.wishlists.into_iter().map(|wishlist| wishlist.name));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert_eq!(names, [first.name, third.name, second.name]);
    }

    async fn a_comparison_holds_one_to_four_different_listings(backend: Backend) {
        let app = spawn_app(backend).await;
        let user = app.user();
        let mut listings = Vec::new();
        for _ in 0..5 {
            listings.push(unknown_listing());
        }
        let five: Vec<&String> = listings.iter().collect();
        let repeated = [&listings[0], &listings[1], &listings[0]];
        for (why, comparison) in [
            ("five listings", of_listings(&five)),
            ("a listing twice", of_listings(&repeated)),
            ("none", of_listings(&[])),
        ] {
            let refused = compare(&app, &user, comparison).await.expect_err(why);
            assert_eq!(refused.code(), Code::InvalidArgument, "{why}");
            assert_eq!(bad_fields(&refused), ["comparison.listings"], "{why}");
        }
        let one_date = compare(&app, &user, pb::Comparison {
            check_in: "2027-05-01".to_owned(),
            ..of_listings(&[&listings[0]])
        })
        .await
        .expect_err("both dates or neither");
        assert_eq!(bad_fields(&one_date), ["comparison.check_out"]);
        let backwards = compare(&app, &user, pb::Comparison {
            check_in: "2027-05-04".to_owned(),
            check_out: "2027-05-01".to_owned(),
            guests: 51,
            ..of_listings(&[&listings[0]])
        })
        .await
        .expect_err("check-out before check-in, too many guests");
        assert_eq!(bad_fields(&backwards), ["comparison.check_out", "comparison.guests"]);

        let four = compare(&app, &user, of_listings(&five[..4])).await.expect("four is fine");
        assert_eq!(four.listings.len(), 4);
        assert_eq!(four.guests, 1, "no guests means one");
        let shown = get_comparison(&app, &user, &four.name).await.expect("the owner reads it");
        assert_eq!(shown.listings.len(), 4);
        assert!(shown.listings.iter().all(|compared| !compared.available && compared.title.is_empty()));
        assert_eq!(shown.listings[2].listing, listings[2]);
    }

    async fn a_comparison_shows_a_short_stays_total_for_its_dates_beside_a_sales_asking_price(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, stay) = app.listing().await;
        let (_agent, sale) = app.publish(for_sale(), Role::Agent).await;
        // One published review of the short stay.
        let guest = app.user();
        let booking = app.stay(&guest, &host, &stay, 2, true).await;
        for (author, rating) in [(&guest, 4), (&host, 5)] {
            app.write(author, pb::Review { booking: booking.clone(), ..review(rating, "Good.") })
                .await
                .expect("both sides review the stay");
        }
        let (check_in, check_out) = (day(-30), day(-33));
        let user = app.user();
        let comparison = compare(&app, &user, pb::Comparison {
            title: "Rent or buy".to_owned(),
            check_in: text(&check_in),
            check_out: text(&check_out),
            guests: 2,
            ..of_listings(&[&stay, &sale])
        })
        .await
        .expect("the comparison is created");
        assert_eq!(comparison.guests, 2);
        assert_eq!(comparison.check_in, text(&check_in));

        let shown = get_comparison(&app, &user, &comparison.name).await.expect("the owner reads it");
        assert_eq!(shown.comparison.expect("the comparison").title, "Rent or buy");
        let [short, sold] = &shown.listings[..] else { panic!("two listings: {:?}", shown.listings) };
        let quote = app
            .properties
            .quote_price(property::QuotePriceRequest {
                property: stay.clone(),
                check_in: Some(check_in),
                check_out: Some(check_out),
                guests: 2,
            })
            .await
            .expect("the stay is quoted")
            .into_inner();
        assert_eq!(short.listing, stay);
        assert!(short.available);
        assert_eq!(short.kind, "LISTING_KIND_SHORT_STAY");
        assert_eq!((short.price, short.price_basis.as_str()), (quote.total, "stay_total"));
        assert!(short.price_note.is_empty());
        assert_eq!(short.currency_code, "EUR");
        assert_eq!((short.bedrooms, short.bathrooms, short.max_guests), (2, 1, 4));
        assert_eq!(short.floor_area_square_meters, 70);
        assert_eq!(short.amenities, ["AMENITY_WIFI"]);
        assert_eq!(short.review_count, 1);
        assert!((short.average_rating - 4.0).abs() < 1e-9);

        assert_eq!(sold.listing, sale);
        assert_eq!(sold.kind, "LISTING_KIND_SALE");
        assert_eq!((sold.price, sold.price_basis.as_str()), (45_000_000, "sale_price"));
        assert_eq!((sold.review_count, sold.average_rating), (0, 0.0));

        // Without dates the short stay shows its nightly price.
        let undated = update_comparison(&app, &user, pb::Comparison {
            name: comparison.name.clone(),
            ..Default::default()
        }, &["check_in", "check_out"])
        .await
        .expect("the dates are dropped");
        assert!(undated.check_in.is_empty() && undated.check_out.is_empty());
        assert_eq!(undated.title, "Rent or buy", "only the masked fields change");
        let shown = get_comparison(&app, &user, &comparison.name).await.expect("read again");
        assert_eq!((shown.listings[0].price, shown.listings[0].price_basis.as_str()), (10_000, "nightly"));
    }

    async fn a_comparison_is_its_owners_until_shared_by_link(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_host, listing) = app.listing().await;
        let owner = app.user();
        let comparison = compare(&app, &owner, of_listings(&[&listing])).await.expect("created");
        for other in [app.user(), app.admin()] {
            let refused = get_comparison(&app, &other, &comparison.name).await.expect_err("not theirs");
            assert_eq!(refused.code(), Code::PermissionDenied);
            let refused = update_comparison(&app, &other, pb::Comparison {
                name: comparison.name.clone(),
                shared: true,
                ..Default::default()
            }, &["shared"])
            .await
            .expect_err("not theirs to share");
            assert_eq!(refused.code(), Code::PermissionDenied);
        }
        let one_date = update_comparison(&app, &owner, pb::Comparison {
            name: comparison.name.clone(),
            check_in: "2027-05-01".to_owned(),
            ..Default::default()
        }, &["check_in"])
        .await
        .expect_err("check-in without check-out");
        assert_eq!(bad_fields(&one_date), ["comparison.check_out"]);
        let unknown_path = update_comparison(&app, &owner, pb::Comparison {
            name: comparison.name.clone(),
            ..Default::default()
        }, &["owner"])
        .await
        .expect_err("not a field to change");
        assert_eq!(bad_fields(&unknown_path), ["update_mask"]);

        let shared = update_comparison(&app, &owner, pb::Comparison {
            name: comparison.name.clone(),
            shared: true,
            ..Default::default()
        }, &["shared"])
        .await
        .expect("shared");
        assert!(shared.shared && !shared.share_token.is_empty());
        assert_eq!(shared.listings, [listing], "only the masked fields change");
        let seen = app
            .collections
            .clone()
            .get_shared_comparison(pb::GetSharedComparisonRequest {
                share_token: shared.share_token.clone(),
            })
            .await
            .expect("anyone with the link")
            .into_inner();
        assert!(seen.comparison.expect("the comparison").share_token.is_empty());
        assert!(seen.listings[0].available);

        let listed = app
            .collections
            .clone()
            .list_comparisons(authorized(
                pb::ListComparisonsRequest { parent: owner.name.clone(), ..Default::default() },
                &owner.token,
            ))
            .await
            .expect("the owner lists them")
            .into_inner();
        assert_eq!(listed.comparisons.len(), 1);
        assert!(listed.next_page_token.is_empty());

        app.collections
            .clone()
            .delete_comparison(authorized(
                pb::DeleteComparisonRequest { name: comparison.name.clone() },
                &owner.token,
            ))
            .await
            .expect("the owner deletes it");
        let gone = app
            .collections
            .clone()
            .get_shared_comparison(pb::GetSharedComparisonRequest {
                share_token: shared.share_token.clone(),
            })
            .await
            .expect_err("the link went with it");
        assert_eq!(gone.code(), Code::NotFound);
        let missing = get_comparison(&app, &owner, &comparison.name).await.expect_err("deleted");
        assert_eq!(missing.code(), Code::NotFound);
    }
}
