//! No double booking under load, on PostgreSQL: the advisory lock per listing serializes
//! bookings of one listing, and the exclusion constraint backs it up.

use std::sync::Arc;

use estospaces_auth::Role;
use estospaces_proto::property_v1 as property;
use futures::StreamExt as _;
use rand::Rng as _;
use sqlx::Row;
use tonic::Code;

use crate::helpers::{Backend, TestStack, authorized, in_days, reason, spawn_stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_bookings_of_the_same_nights_leave_exactly_one_holding() {
    let mut stack = spawn_stack(Backend::Postgres).await;
    let host = stack.token(&[Role::Host]);
    let listing = stack.listing(&host, property::BookingMode::Instant).await;
    let tokens: Vec<String> = (0..200).map(|_| stack.token(&[Role::Guest])).collect();

    let attempts = tokens.into_iter().enumerate().map(|(i, guest)| {
        let mut client = stack.bookings.clone();
        // Every stay overlaps the others: all include night 20.
        let offset = (i % 3) as i64;
        let request = TestStack::request(&listing, in_days(18 + offset), in_days(21 + offset));
        tokio::spawn(async move { client.create_booking(authorized(request, &guest)).await })
    });
    let results = futures::future::join_all(attempts).await;

    let mut held = 0;
    for result in results {
        match result.expect("the task ran") {
            Ok(_) => held += 1,
            Err(status) => {
                assert!(
                    matches!(status.code(), Code::FailedPrecondition | Code::Aborted),
                    "a clear conflict, not {status:?}"
                );
                assert_eq!(reason(&status), "NIGHTS_UNAVAILABLE");
            }
        }
    }
    assert_eq!(held, 1, "exactly one booking holds the nights");
    let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM bookings")
        .fetch_one(stack.database.database.pool())
        .await
        .expect("readable")
        .try_get("n")
        .expect("a count");
    assert_eq!(stored, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_random_concurrent_bookings_never_overlap() {
    let mut stack = spawn_stack(Backend::Postgres).await;
    let host = stack.token(&[Role::Host]);
    let mut listings = Vec::new();
    for _ in 0..5 {
        listings.push(stack.listing(&host, property::BookingMode::Instant).await);
    }
    let listings = Arc::new(listings);
    let guests: Arc<Vec<String>> = Arc::new((0..50).map(|_| stack.token(&[Role::Guest])).collect());
    let client = stack.bookings.clone();

    let outcomes: Vec<Result<(), tonic::Status>> = futures::stream::iter(0..2_000)
        .map(|_| {
            let (listings, guests, mut client) = (listings.clone(), guests.clone(), client.clone());
            async move {
                let (listing, guest, start, nights) = {
                    let mut rng = rand::thread_rng();
                    (
                        listings[rng.gen_range(0..listings.len())].clone(),
                        guests[rng.gen_range(0..guests.len())].clone(),
                        rng.gen_range(1..90),
                        rng.gen_range(1..6),
                    )
                };
                let request = TestStack::request(&listing, in_days(start), in_days(start + nights));
                client
                    .create_booking(authorized(request, &guest))
                    .await
                    .map(|_| ())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;

    let mut held = 0;
    for outcome in outcomes {
        match outcome {
            Ok(()) => held += 1,
            Err(status) => {
                assert!(
                    matches!(status.code(), Code::FailedPrecondition | Code::Aborted),
                    "a clear conflict, not {status:?}"
                );
                assert_eq!(reason(&status), "NIGHTS_UNAVAILABLE");
            }
        }
    }
    assert!(held > 50, "plenty of bookings held: {held}");
    let overlapping: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM bookings a JOIN bookings b \
         ON a.property_id = b.property_id AND a.id < b.id \
         AND a.check_in_day < b.check_out_day AND b.check_in_day < a.check_out_day \
         WHERE a.state IN ('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed') \
         AND b.state IN ('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed')",
    )
    .fetch_one(stack.database.database.pool())
    .await
    .expect("readable")
    .try_get("n")
    .expect("a count");
    assert_eq!(overlapping, 0, "no two active bookings share a night");
    let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM bookings")
        .fetch_one(stack.database.database.pool())
        .await
        .expect("readable")
        .try_get("n")
        .expect("a count");
    assert_eq!(stored, held);
}

#[tokio::test]
async fn the_database_refuses_an_overlapping_booking_even_without_the_lock() {
    // The exclusion constraint itself, written to directly: the backstop.
    let stack = spawn_stack(Backend::Postgres).await;
    let pool = stack.database.database.pool();
    let insert = |id: &str, first: i64, last: i64| {
        sqlx::query(
            "INSERT INTO bookings (id, property_id, guest_id, host_id, check_in_day, check_out_day, \
             guests, state, booking_mode, total_amount, currency_code, platform_fee, quote, \
             cancellation_policy, refund_schedule, hold_expires_at, payment_status, revision, \
             created_at, updated_at) VALUES ($1, 'p', 'g', 'h', $2, $3, 1, 'confirmed', 'instant', \
             1, 'EUR', 0, '', 0, '', 0, 'pending', 1, 0, 0)",
        )
        .bind(id.to_owned())
        .bind(first)
        .bind(last)
    };
    insert("a", 100, 103)
        .execute(pool)
        .await
        .expect("the first");
    insert("b", 103, 105).execute(pool).await.expect("adjacent");
    let err = insert("c", 102, 104)
        .execute(pool)
        .await
        .expect_err("overlapping");
    let code = match &err {
        sqlx::Error::Database(db) => db.code().map(|code| code.to_string()),
        _ => None,
    };
    assert_eq!(
        code.as_deref(),
        Some("23P01"),
        "an exclusion violation: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_bookings_of_the_same_nights_leave_one_holding_on_sqlite_too() {
    let mut stack = spawn_stack(Backend::Sqlite).await;
    let host = stack.token(&[Role::Host]);
    let listing = stack.listing(&host, property::BookingMode::Instant).await;
    let attempts = (0..30).map(|_| {
        let mut client = stack.bookings.clone();
        let guest = stack.token(&[Role::Guest]);
        let request = TestStack::request(&listing, in_days(18), in_days(21));
        tokio::spawn(async move { client.create_booking(authorized(request, &guest)).await })
    });
    let results = futures::future::join_all(attempts).await;
    let held = results
        .into_iter()
        .filter(|result| match result.as_ref().expect("the task ran") {
            Ok(_) => true,
            Err(status) => {
                assert_eq!(reason(status), "NIGHTS_UNAVAILABLE", "{status:?}");
                false
            }
        })
        .count();
    assert_eq!(held, 1);
}
