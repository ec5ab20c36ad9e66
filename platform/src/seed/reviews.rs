//! Demo reviews: guests stayed at some short stays a few days ago (their stays written into
//! the review service's history, since bookings cannot be made in the past), and guest and host
//! review each other, so ratings show on listings and "best rated" has an order.

use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use estospaces_config::Config;
use estospaces_proto::review_v1::{self as review, review_service_client::ReviewServiceClient};
use estospaces_review::store::{StayRecord, StayState, midnight};
use tonic::transport::Channel;

use super::{LoggedIn, patiently};
use crate::PlatformConfig;

/// What guests say, by rating.
const GUEST_WORDS: [&str; 5] = [
    "Not as described, and nobody answered the phone.",
    "Noisy street and a tired kitchen, but a good bed.",
    "Fine for a short stay; the photos flatter it a little.",
    "Comfortable and clean, in a lovely neighbourhood.",
    "Spotless, bright, and the host thought of everything.",
];

/// One past stay: the listing, its host, the guest and the guest's overall rating.
pub struct PastStay<'a> {
    pub listing: &'a str,
    pub host: &'a LoggedIn,
    pub guest: &'a LoggedIn,
    pub rating: i32,
    /// Which stay of the demo this is, for fixed ids.
    pub number: usize,
}

/// Writes the stays into the review service's history, then the guest's and the host's
/// reviews through the gateway. Fixed booking and request ids: seeding again writes nothing
/// twice.
pub async fn write(
    config: &PlatformConfig,
    channel: Channel,
    stays: &[PastStay<'_>],
) -> anyhow::Result<()> {
    // Checked out three days ago, at every seeding: the window stays open for retries.
    let today = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
        / 86_400;
    let check_out = midnight(i64::try_from(today).unwrap_or_default() - 3);
    let booking = |stay: &PastStay<'_>| {
        format!(
            "bookings/{}",
            uuid::Uuid::from_u128(0xE570_5EED_0000_7000_8000_0000_0000_0000 | stay.number as u128)
        )
    };
    let records: Vec<StayRecord> = stays
        .iter()
        .map(|stay| StayRecord {
            booking: booking(stay),
            listing: stay.listing.to_owned(),
            guest: user_id(&stay.guest.user),
            host: user_id(&stay.host.user),
            check_out,
            state: StayState::Completed,
        })
        .collect();
    let review_config = Config {
        common: crate::Parts::for_platform(config)
            .common_for(estospaces_review::SERVICE_NAME)
            .await?,
        service: config.service.review.clone(),
    };
    estospaces_review::history::record_past_stays(&review_config, &records).await?;

    let client = ReviewServiceClient::new(channel);
    for stay in stays {
        let booking = booking(stay);
        let rating = stay.rating.clamp(1, 5);
        let words = GUEST_WORDS[usize::try_from(rating - 1).unwrap_or_default()];
        let category = |offset: i32| (rating + offset).clamp(1, 5);
        let guest_review = review::Review {
            booking: booking.clone(),
            rating,
            category_ratings: Some(review::CategoryRatings {
                cleanliness: category(0),
                accuracy: category(-1),
                communication: category(1),
                location: category(0),
                check_in: category(1),
                value: category(-1),
            }),
            text: words.to_owned(),
            ..Default::default()
        };
        let host_review = review::Review {
            booking: booking.clone(),
            rating: 5,
            text: "A considerate guest who left the place as they found it.".to_owned(),
            ..Default::default()
        };
        for (who, written, side) in [
            (stay.guest, guest_review, "guest"),
            (stay.host, host_review, "host"),
        ] {
            let request_id = format!("seed-review-{}-{side}", stay.number);
            patiently(|| {
                let mut client = client.clone();
                let request = who.session.authorize(review::CreateReviewRequest {
                    review: Some(written.clone()),
                    request_id: request_id.clone(),
                });
                async move { client.create_review(request).await }
            })
            .await
            .with_context(|| format!("the {side} of {booking} reviews it"))?;
        }
    }
    Ok(())
}

fn user_id(name: &str) -> String {
    name.trim_start_matches("users/").to_owned()
}
