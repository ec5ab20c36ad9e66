//! The demo catalogue: listings generated from a fixed seed, so every run (and every machine)
//! produces the same ones.

use estospaces_proto::property_v1 as pb;
use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};

/// A city listings are spread over.
struct City {
    name: &'static str,
    country_code: &'static str,
    currency_code: &'static str,
    latitude: f64,
    longitude: f64,
    neighbourhoods: &'static [&'static str],
    streets: &'static [&'static str],
    /// Typical nightly price, in minor units.
    nightly: i64,
}

const CITIES: &[City] = &[
    City {
        name: "Lisbon",
        country_code: "PT",
        currency_code: "EUR",
        latitude: 38.7223,
        longitude: -9.1393,
        neighbourhoods: &["Alfama", "Baixa", "Chiado", "Belém", "Príncipe Real"],
        streets: &[
            "Rua Augusta",
            "Rua da Prata",
            "Rua do Alecrim",
            "Calçada do Combro",
        ],
        nightly: 11_000,
    },
    City {
        name: "Porto",
        country_code: "PT",
        currency_code: "EUR",
        latitude: 41.1579,
        longitude: -8.6291,
        neighbourhoods: &["Ribeira", "Bonfim", "Foz do Douro", "Cedofeita"],
        streets: &["Rua das Flores", "Rua de Santa Catarina", "Rua do Almada"],
        nightly: 9_000,
    },
    City {
        name: "Barcelona",
        country_code: "ES",
        currency_code: "EUR",
        latitude: 41.3874,
        longitude: 2.1686,
        neighbourhoods: &["Gràcia", "El Born", "Eixample", "Barceloneta", "Poblenou"],
        streets: &["Carrer de Verdi", "Passeig de Gràcia", "Carrer del Rec"],
        nightly: 13_000,
    },
    City {
        name: "Berlin",
        country_code: "DE",
        currency_code: "EUR",
        latitude: 52.5200,
        longitude: 13.4050,
        neighbourhoods: &["Kreuzberg", "Mitte", "Neukölln", "Prenzlauer Berg"],
        streets: &[
            "Oranienstraße",
            "Torstraße",
            "Kastanienallee",
            "Weserstraße",
        ],
        nightly: 10_000,
    },
    City {
        name: "Amsterdam",
        country_code: "NL",
        currency_code: "EUR",
        latitude: 52.3676,
        longitude: 4.9041,
        neighbourhoods: &["Jordaan", "De Pijp", "Oost", "Oud-West"],
        streets: &["Prinsengracht", "Albert Cuypstraat", "Haarlemmerstraat"],
        nightly: 16_000,
    },
    City {
        name: "London",
        country_code: "GB",
        currency_code: "GBP",
        latitude: 51.5072,
        longitude: -0.1276,
        neighbourhoods: &["Shoreditch", "Camden", "Notting Hill", "Brixton"],
        streets: &["Brick Lane", "Portobello Road", "Camden High Street"],
        nightly: 15_000,
    },
];

const ADJECTIVES: &[&str] = &[
    "Bright", "Quiet", "Sunny", "Cosy", "Spacious", "Charming", "Modern", "Airy", "Historic",
    "Stylish",
];

const PLACES: &[(&str, pb::PropertyType)] = &[
    ("flat", pb::PropertyType::Apartment),
    ("loft", pb::PropertyType::Apartment),
    ("studio", pb::PropertyType::Apartment),
    ("townhouse", pb::PropertyType::House),
    ("family house", pb::PropertyType::House),
    ("room", pb::PropertyType::Room),
    ("villa", pb::PropertyType::Villa),
];

const FEATURES: &[&str] = &[
    "with a balcony",
    "by the river",
    "near the old town",
    "with a roof terrace",
    "with a garden",
    "close to the metro",
    "with a view over the rooftops",
];

const AMENITIES: &[pb::Amenity] = &[
    pb::Amenity::Wifi,
    pb::Amenity::Kitchen,
    pb::Amenity::Washer,
    pb::Amenity::AirConditioning,
    pb::Amenity::Heating,
    pb::Amenity::Parking,
    pb::Amenity::Pool,
    pb::Amenity::Workspace,
    pb::Amenity::PetsAllowed,
    pb::Amenity::StepFreeAccess,
];

/// The kind of the `index`th listing: mostly short stays, some rentals, a few homes for sale.
pub fn kind_of(index: usize) -> pb::ListingKind {
    match index % 10 {
        0 => pb::ListingKind::Sale,
        1 | 2 => pb::ListingKind::LongTermRental,
        _ => pb::ListingKind::ShortStay,
    }
}

/// The `index`th demo listing, showing some of `photos` (its owner's media ids).
pub fn listing(index: usize, photos: &[String]) -> pb::Property {
    let mut rng = StdRng::seed_from_u64(0xE570_5EED ^ index as u64);
    let city = &CITIES[index % CITIES.len()];
    let neighbourhood = *city.neighbourhoods.choose(&mut rng).unwrap_or(&city.name);
    let (place, property_type) = *PLACES.choose(&mut rng).unwrap_or(&PLACES[0]);
    let adjective = *ADJECTIVES.choose(&mut rng).unwrap_or(&"Bright");
    let feature = *FEATURES.choose(&mut rng).unwrap_or(&FEATURES[0]);
    let bedrooms: i32 = match property_type {
        pb::PropertyType::Room => 1,
        pb::PropertyType::Villa | pb::PropertyType::House => rng.gen_range(2..=5),
        _ => rng.gen_range(1..=3),
    };
    let mut amenities: Vec<i32> = AMENITIES
        .iter()
        .filter(|_| rng.gen_bool(0.45))
        .map(|amenity| *amenity as i32)
        .collect();
    if !amenities.contains(&(pb::Amenity::Wifi as i32)) {
        amenities.insert(0, pb::Amenity::Wifi as i32);
    }
    let shown = rng.gen_range(3..=6).min(photos.len());
    let photos = (0..shown)
        .map(|photo| pb::Photo {
            media_id: photos[(index + photo) % photos.len()].clone(),
            caption: [
                "The living room",
                "The bedroom",
                "The kitchen",
                "The view",
                "The street",
            ][photo % 5]
                .to_owned(),
            cover: photo == 0,
        })
        .collect();
    // Within about 3 km of the centre.
    let location = pb::GeoPoint {
        latitude: city.latitude + rng.gen_range(-0.027..0.027),
        longitude: city.longitude + rng.gen_range(-0.04..0.04),
    };
    let street = *city.streets.choose(&mut rng).unwrap_or(&"Main Street");
    let kind = kind_of(index);
    let nightly = round_to(
        city.nightly * rng.gen_range(60..=180) / 100 * i64::from(bedrooms + 1) / 2,
        500,
    );

    let mut property = pb::Property {
        kind: kind as i32,
        property_type: property_type as i32,
        title: format!("{adjective} {place} in {neighbourhood} {feature}"),
        description: format!(
            "A {} {place} in {neighbourhood}, {}: {bedrooms} bedroom{}, {feature}. \
             Shops, cafés and transport are a short walk away.",
            adjective.to_lowercase(),
            city.name,
            if bedrooms == 1 { "" } else { "s" },
        ),
        address: Some(pb::Address {
            street: format!("{street} {}", rng.gen_range(1..200)),
            locality: city.name.to_owned(),
            region: neighbourhood.to_owned(),
            postal_code: String::new(),
            country_code: city.country_code.to_owned(),
            location: Some(location),
        }),
        bedrooms,
        bathrooms: (bedrooms + 1) / 2,
        beds: bedrooms + i32::from(rng.gen_bool(0.5)),
        max_guests: bedrooms * 2,
        amenities,
        photos,
        currency_code: city.currency_code.to_owned(),
        ..Default::default()
    };
    match kind {
        pb::ListingKind::ShortStay => {
            property.cancellation_policy = [
                pb::CancellationPolicy::Flexible,
                pb::CancellationPolicy::Moderate,
                pb::CancellationPolicy::Strict,
            ][index % 3] as i32;
            property.booking_mode = if rng.gen_bool(0.8) {
                pb::BookingMode::Instant
            } else {
                pb::BookingMode::Request
            } as i32;
            property.min_nights = rng.gen_range(1..=3);
            property.short_stay_pricing = Some(pb::ShortStayPricing {
                base_nightly_price: nightly,
                weekend_nightly_price: round_to(nightly * 115 / 100, 500),
                seasonal_prices: vec![pb::SeasonalPrice {
                    label: "Summer".to_owned(),
                    start_date: Some(pb::Date {
                        year: 2027,
                        month: 7,
                        day: 1,
                    }),
                    end_date: Some(pb::Date {
                        year: 2027,
                        month: 8,
                        day: 31,
                    }),
                    nightly_price: round_to(nightly * 140 / 100, 500),
                }],
                weekly_discount_basis_points: 1_000,
                monthly_discount_basis_points: 2_500,
                cleaning_fee: round_to(nightly / 3, 500),
                included_guests: 2,
                extra_guest_fee: 1_500,
                tax_basis_points: 600,
            });
        }
        pb::ListingKind::LongTermRental => {
            let rent = round_to(nightly * 18, 5_000);
            property.long_term_pricing = Some(pb::LongTermPricing {
                monthly_rent: rent,
                deposit: rent * 2,
            });
        }
        _ => {
            property.sale_pricing = Some(pb::SalePricing {
                asking_price: round_to(nightly * 3_000 * i64::from(bedrooms), 1_000_000),
            });
        }
    }
    property
}

fn round_to(amount: i64, step: i64) -> i64 {
    ((amount + step / 2) / step).max(1) * step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_index_always_gives_the_same_listing() {
        let photos = ["a", "b", "c", "d"].map(str::to_owned);
        assert_eq!(listing(42, &photos), listing(42, &photos));
        assert_ne!(listing(42, &photos).title, listing(43, &photos).title);
    }

    #[test]
    fn every_demo_listing_has_what_publishing_requires() {
        let photos = ["a", "b", "c", "d"].map(str::to_owned);
        for index in 0..60 {
            let property = listing(index, &photos);
            let address = property.address.as_ref().expect("an address");
            assert!(address.location.is_some() && !address.locality.is_empty());
            assert!(!property.photos.is_empty() && !property.description.is_empty());
            match kind_of(index) {
                pb::ListingKind::ShortStay => {
                    let pricing = property.short_stay_pricing.expect("short-stay prices");
                    assert!(pricing.base_nightly_price > 0 && property.max_guests > 0);
                }
                pb::ListingKind::LongTermRental => {
                    assert!(property.long_term_pricing.expect("rent").monthly_rent > 0);
                }
                _ => assert!(property.sale_pricing.expect("a price").asking_price > 0),
            }
        }
    }
}
