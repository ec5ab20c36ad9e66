//! Search requests parsed at the edge into checked queries, and their tantivy form.
//!
//! Filters are fast-field range queries or term queries, scored 0 so only the text decides
//! relevance. A circle is looked up as its bounding box here and cut to the circle by the
//! collector (haversine); requested nights exclude listings with any unavailable night in the
//! range.

use std::ops::Bound;
use std::sync::Arc;

use estospaces_proto::property_v1 as pb;
use estospaces_proto::search_v1 as spb;
use estospaces_status::{FieldViolation, violation};
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use time::Date;

use crate::collect::{Checks, Numbers};
use crate::index::{Fields, geo_cell_position, scaled_rating, tokens};
use crate::listing::{day_number, parse_date};
use crate::prefilter::{CheckedQuery, ListingTables};
use crate::projects::project_name;
use crate::word::{WordField, WordQuery};

/// The widest circle, in metres.
pub const MAX_RADIUS_METERS: f64 = 500_000.0;
/// The longest stay a search looks for, in nights.
pub const MAX_STAY_NIGHTS: i64 = 365;
/// Words in a query beyond this are ignored.
const MAX_TERMS: usize = 12;
const EARTH_RADIUS_METERS: f64 = 6_371_008.8;

/// Where on the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Area {
    Circle {
        lat: f64,
        lon: f64,
        radius: f64,
    },
    Box {
        low_lat: f64,
        low_lon: f64,
        high_lat: f64,
        high_lon: f64,
    },
}

impl Area {
    /// The box a search looks in: the circle's bounding box, or the box itself.
    pub fn bounding_box(&self) -> (f64, f64, f64, f64) {
        match *self {
            Self::Box {
                low_lat,
                low_lon,
                high_lat,
                high_lon,
            } => (low_lat, low_lon, high_lat, high_lon),
            Self::Circle { lat, lon, radius } => {
                let dlat = (radius / EARTH_RADIUS_METERS).to_degrees();
                let cos = lat.to_radians().cos().max(1e-6);
                let dlon = (dlat / cos).min(180.0);
                (
                    (lat - dlat).max(-90.0),
                    (lon - dlon).max(-180.0),
                    (lat + dlat).min(90.0),
                    (lon + dlon).min(180.0),
                )
            }
        }
    }
}

/// A stay: first night and departure day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stay {
    pub check_in: Date,
    pub check_out: Date,
}

impl Stay {
    pub fn nights(&self) -> i64 {
        (self.check_out - self.check_in).whole_days()
    }
}

/// A checked [`spb::PropertyQuery`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingQuery {
    pub terms: Vec<String>,
    pub kind: Option<u64>,
    pub property_types: Vec<u64>,
    pub min_price: u64,
    pub max_price: Option<u64>,
    pub min_bedrooms: u64,
    pub min_bathrooms: u64,
    pub guests: u64,
    /// The lowest average rating, as indexed (× `RATING_SCALE`); 0: no limit.
    pub min_rating: u64,
    pub amenities: Vec<u64>,
    pub instant_book: bool,
    pub area: Option<Area>,
    pub stay: Option<Stay>,
    /// Only the listings of this development project's units (`{project}`).
    pub project: Option<String>,
}

impl ListingQuery {
    /// Checks `query`; violations name fields under `prefix` (such as `query.`).
    pub fn parse(query: &spb::PropertyQuery, prefix: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut bad = Vec::new();
        let field = |name: &str| format!("{prefix}{name}");
        let kind = match query.kind {
            0 => None,
            kind if pb::ListingKind::try_from(kind).is_ok() => Some(as_u64(kind)),
            _ => {
                bad.push(violation(field("kind"), "not a listing kind"));
                None
            }
        };
        let mut property_types = Vec::new();
        for (i, value) in query.property_types.iter().enumerate() {
            if *value != 0 && pb::PropertyType::try_from(*value).is_ok() {
                property_types.push(as_u64(*value));
            } else {
                bad.push(violation(
                    field(&format!("property_types[{i}]")),
                    "not a property type",
                ));
            }
        }
        let mut amenities = Vec::new();
        for (i, value) in query.amenities.iter().enumerate() {
            if *value != 0 && pb::Amenity::try_from(*value).is_ok() {
                amenities.push(as_u64(*value));
            } else {
                bad.push(violation(
                    field(&format!("amenities[{i}]")),
                    "not an amenity",
                ));
            }
        }
        amenities.sort_unstable();
        amenities.dedup();
        if query.min_price < 0 {
            bad.push(violation(field("min_price"), "must not be negative"));
        }
        if query.max_price < 0 {
            bad.push(violation(field("max_price"), "must not be negative"));
        } else if query.max_price > 0 && query.max_price < query.min_price {
            bad.push(violation(field("max_price"), "must not be below min_price"));
        }
        for (name, value) in [
            ("min_bedrooms", query.min_bedrooms),
            ("min_bathrooms", query.min_bathrooms),
            ("guests", query.guests),
        ] {
            if value < 0 {
                bad.push(violation(field(name), "must not be negative"));
            }
        }
        // NaN fails this too.
        if !(0.0..=5.0).contains(&query.min_rating) {
            bad.push(violation(field("min_rating"), "must be from 0 to 5"));
        }
        let area = match &query.area {
            None => None,
            Some(spb::property_query::Area::Circle(circle)) => {
                let center = circle.center.unwrap_or_default();
                check_point(&mut bad, &field("circle.center"), circle.center.as_ref());
                if !(circle.radius_meters > 0.0 && circle.radius_meters <= MAX_RADIUS_METERS) {
                    bad.push(violation(
                        field("circle.radius_meters"),
                        "must be above 0 and at most 500000",
                    ));
                }
                Some(Area::Circle {
                    lat: center.latitude,
                    lon: center.longitude,
                    radius: circle.radius_meters,
                })
            }
            Some(spb::property_query::Area::Box(geo_box)) => {
                check_point(&mut bad, &field("box.low"), geo_box.low.as_ref());
                check_point(&mut bad, &field("box.high"), geo_box.high.as_ref());
                let (low, high) = (
                    geo_box.low.unwrap_or_default(),
                    geo_box.high.unwrap_or_default(),
                );
                if low.latitude > high.latitude || low.longitude > high.longitude {
                    bad.push(violation(field("box"), "`low` must be south-west of `high` (boxes across the antimeridian are not supported)"));
                }
                Some(Area::Box {
                    low_lat: low.latitude,
                    low_lon: low.longitude,
                    high_lat: high.latitude,
                    high_lon: high.longitude,
                })
            }
        };
        let stay = match (&query.check_in, &query.check_out) {
            (None, None) => None,
            (Some(check_in), Some(check_out)) => {
                let check_in_date = parse_date(check_in);
                let check_out_date = parse_date(check_out);
                if check_in_date.is_none() {
                    bad.push(violation(field("check_in"), "not a valid date"));
                }
                if check_out_date.is_none() {
                    bad.push(violation(field("check_out"), "not a valid date"));
                }
                match (check_in_date, check_out_date) {
                    (Some(check_in), Some(check_out)) => {
                        let stay = Stay {
                            check_in,
                            check_out,
                        };
                        if stay.nights() < 1 {
                            bad.push(violation(field("check_out"), "must be after check_in"));
                        } else if stay.nights() > MAX_STAY_NIGHTS {
                            bad.push(violation(
                                field("check_out"),
                                "a stay is at most 365 nights",
                            ));
                        }
                        Some(stay)
                    }
                    _ => None,
                }
            }
            (None, Some(_)) => {
                bad.push(violation(field("check_in"), "required with check_out"));
                None
            }
            (Some(_), None) => {
                bad.push(violation(field("check_out"), "required with check_in"));
                None
            }
        };
        let project = match query.project.as_str() {
            "" => None,
            name => {
                let id = project_name(name);
                if id.is_none() {
                    bad.push(violation(
                        field("project"),
                        "must be a resource name like projects/{project}",
                    ));
                }
                id.map(str::to_owned)
            }
        };
        let mut terms = tokens(&query.text);
        terms.truncate(MAX_TERMS);
        if !bad.is_empty() {
            return Err(bad);
        }
        Ok(Self {
            terms,
            kind,
            property_types,
            min_price: as_u64_64(query.min_price),
            max_price: (query.max_price > 0).then(|| as_u64_64(query.max_price)),
            min_bedrooms: as_u64(query.min_bedrooms),
            min_bathrooms: as_u64(query.min_bathrooms),
            guests: as_u64(query.guests),
            // Any limit leaves out listings without reviews (indexed as 0).
            min_rating: if query.min_rating > 0.0 {
                scaled_rating(query.min_rating).max(1)
            } else {
                0
            },
            amenities,
            instant_book: query.instant_book,
            area,
            stay,
            project,
        })
    }

    /// The only kind of listing that matches: the asked one, or short stays when the query
    /// has dates (only short stays are booked by the night).
    pub fn required_kind(&self) -> Option<u64> {
        if self.stay.is_some() {
            Some(pb::ListingKind::ShortStay as u64)
        } else {
            self.kind
        }
    }

    /// What the collector (and a map area's lead) checks on each listing's fast fields.
    pub fn checks(&self) -> Checks {
        Checks {
            kind: self.required_kind(),
            numbers: Numbers {
                min_price: self.min_price,
                max_price: self.max_price.unwrap_or(u64::MAX),
                min_bedrooms: self.min_bedrooms,
                min_bathrooms: self.min_bathrooms,
                min_guests: self.guests,
                min_rating: self.min_rating,
            },
            area: self.area,
            nights: self
                .stay
                .map(|stay| u64::try_from(stay.nights()).unwrap_or(0)),
        }
    }

    /// Whether results are scored by text.
    pub fn has_text(&self) -> bool {
        !self.terms.is_empty()
    }

    /// The tantivy query: text, filters, bounding box and free nights (all but the exact
    /// circle and stay-length rules, which the collector applies).
    pub fn to_tantivy(
        &self,
        f: &Fields,
        tables: &Arc<ListingTables>,
        only: Option<&str>,
    ) -> Box<dyn Query> {
        // Unpublished listings are few: excluding them skips a few documents, where requiring
        // `published` would walk a posting list of nearly every document.
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::MustNot, term_u64(f.published, 0))];
        if let Some(id) = only {
            clauses.push((
                Occur::Must,
                filter(Box::new(TermQuery::new(
                    Term::from_field_text(f.id, id),
                    IndexRecordOption::Basic,
                ))),
            ));
        }
        for term in &self.terms {
            clauses.push((Occur::Must, text_clause(f, term)));
        }
        // The kind (most listings share one) is checked by the collector, on a fast field.
        if self.stay.is_some()
            && self
                .kind
                .is_some_and(|kind| kind != pb::ListingKind::ShortStay as u64)
        {
            clauses.push((Occur::Must, Box::new(EmptyQuery)));
        }
        if !self.property_types.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = self
                .property_types
                .iter()
                .map(|t| (Occur::Should, term_u64(f.property_type, *t)))
                .collect();
            clauses.push((Occur::Must, filter(Box::new(BooleanQuery::new(any)))));
        }
        if let Some(project) = &self.project {
            clauses.push((
                Occur::Must,
                filter(Box::new(TermQuery::new(
                    Term::from_field_text(f.project, project),
                    IndexRecordOption::Basic,
                ))),
            ));
        }
        for amenity in &self.amenities {
            clauses.push((Occur::Must, filter(term_u64(f.amenities, *amenity))));
        }
        if self.instant_book {
            clauses.push((Occur::Must, filter(term_u64(f.instant, 1))));
        }
        // The grid cells covering the map area, unless it is too large for them.
        let cells = self.area.and_then(|area| {
            let (low_lat, low_lon, high_lat, high_lon) = area.bounding_box();
            cells_query(f, low_lat, low_lon, high_lat, high_lon)
        });
        // With a text or map lead, the numbers are checked on the few documents the lead
        // leaves; as queries here, they would scan their whole columns alongside.
        let has_lead = self.has_text() || cells.is_some();
        if !has_lead && (self.min_price > 0 || self.max_price.is_some()) {
            let upper = self.max_price.map_or(Bound::Unbounded, |max| {
                Bound::Included(Term::from_field_u64(f.price, max))
            });
            clauses.push((
                Occur::Must,
                filter(Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_u64(f.price, self.min_price)),
                    upper,
                ))),
            ));
        }
        for (field, min) in [
            (f.bedrooms, self.min_bedrooms),
            (f.bathrooms, self.min_bathrooms),
            (f.guests, self.guests),
            (f.rating_average, self.min_rating),
        ] {
            if min > 0 && !has_lead {
                clauses.push((
                    Occur::Must,
                    filter(Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_u64(field, min)),
                        Bound::Unbounded,
                    ))),
                ));
            }
        }
        // The cells cover the area's box; the collector cuts them to the exact box or circle.
        // They lead, prefiltered on the segment's table, so the text and term clauses are only
        // consulted for listings in the area that may pass the numbers. Without cells (a huge
        // area), range filters on the coordinates do the covering.
        if let Some(cells) = cells {
            clauses.push((
                Occur::Must,
                filter(Box::new(CheckedQuery {
                    lead: cells,
                    checks: self.checks(),
                    tables: tables.clone(),
                })),
            ));
        } else if let Some(area) = self.area {
            let (low_lat, low_lon, high_lat, high_lon) = area.bounding_box();
            clauses.push((Occur::Must, filter(f64_range(f.lat, low_lat, high_lat))));
            clauses.push((Occur::Must, filter(f64_range(f.lon, low_lon, high_lon))));
        }
        if let Some(stay) = self.stay {
            let first = as_u64_64(day_number(stay.check_in));
            let last = as_u64_64(day_number(stay.check_out) - 1);
            clauses.push((
                Occur::MustNot,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_u64(f.unavailable, first)),
                    Bound::Included(Term::from_field_u64(f.unavailable, last)),
                )),
            ));
        }
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// One query word: exact matches in title, place and description (title counting most), or,
/// for words of four letters or more, near matches in title and place (one edit; two from
/// eight letters). Descriptions match exactly only: their dictionary is the largest, so
/// expanding a word to its neighbours there costs the most and adds mostly noise.
fn text_clause(f: &Fields, word: &str) -> Box<dyn Query> {
    let letters = word.chars().count();
    let near = match letters {
        0..4 => None,
        4..8 => Some(1),
        _ => Some(2),
    };
    Box::new(WordQuery::new(
        word,
        vec![
            WordField {
                field: f.title,
                boost: 3.0,
                fuzzy_distance: near,
            },
            WordField {
                field: f.place,
                boost: 2.0,
                fuzzy_distance: near,
            },
            WordField {
                field: f.description,
                boost: 1.0,
                fuzzy_distance: None,
            },
        ],
    ))
}

/// The most grid cells a map area is looked up by; larger areas rely on the range filters.
const MAX_GEO_CELLS: u64 = 256;

/// Any of the grid cells covering the box: few posting lists, so the search starts from the
/// listings in the area rather than checking the area on every text match.
fn cells_query(
    f: &Fields,
    low_lat: f64,
    low_lon: f64,
    high_lat: f64,
    high_lon: f64,
) -> Option<Box<dyn Query>> {
    let (low_row, low_column) = geo_cell_position(low_lat, low_lon);
    let (high_row, high_column) = geo_cell_position(high_lat, high_lon);
    let count = (high_row - low_row + 1) * (high_column - low_column + 1);
    if count > MAX_GEO_CELLS {
        return None;
    }
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for row in low_row..=high_row {
        for column in low_column..=high_column {
            any.push((Occur::Should, term_u64(f.geo_cell, row * 1_440 + column)));
        }
    }
    Some(Box::new(BooleanQuery::new(any)))
}

fn filter(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

fn term_u64(field: Field, value: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(field, value),
        IndexRecordOption::Basic,
    ))
}

fn f64_range(field: Field, low: f64, high: f64) -> Box<dyn Query> {
    Box::new(RangeQuery::new(
        Bound::Included(Term::from_field_f64(field, low)),
        Bound::Included(Term::from_field_f64(field, high)),
    ))
}

fn check_point(bad: &mut Vec<FieldViolation>, field: &str, point: Option<&pb::GeoPoint>) {
    match point {
        None => bad.push(violation(field, "required")),
        Some(point) => {
            if !(-90.0..=90.0).contains(&point.latitude) {
                bad.push(violation(
                    format!("{field}.latitude"),
                    "must be from -90 to 90",
                ));
            }
            if !(-180.0..=180.0).contains(&point.longitude) {
                bad.push(violation(
                    format!("{field}.longitude"),
                    "must be from -180 to 180",
                ));
            }
        }
    }
}

/// Metres between two points on the sphere (haversine).
pub fn distance_meters(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_METERS * a.sqrt().asin()
}

fn as_u64(value: i32) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn as_u64_64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porto_to_lisbon_is_about_274_km() {
        let d = distance_meters(41.1579, -8.6291, 38.7223, -9.1393);
        assert!((270_000.0..280_000.0).contains(&d), "{d}");
    }

    #[test]
    fn a_stay_needs_both_dates_in_order() {
        let query = spb::PropertyQuery {
            check_in: Some(pb::Date {
                year: 2027,
                month: 6,
                day: 3,
            }),
            check_out: Some(pb::Date {
                year: 2027,
                month: 6,
                day: 3,
            }),
            ..Default::default()
        };
        let bad = ListingQuery::parse(&query, "query.").expect_err("no nights");
        assert_eq!(bad[0].field, "query.check_out");
    }

    #[test]
    fn a_minimum_rating_is_from_0_to_5_and_any_leaves_out_listings_without_reviews() {
        let min_rating = |min_rating| {
            ListingQuery::parse(
                &spb::PropertyQuery {
                    min_rating,
                    ..Default::default()
                },
                "query.",
            )
            .map(|query| query.min_rating)
            .map_err(|bad| bad[0].field.clone())
        };
        assert_eq!(min_rating(0.0), Ok(0));
        assert_eq!(min_rating(4.9), Ok(49_000));
        assert_eq!(min_rating(0.00001), Ok(1));
        assert_eq!(min_rating(5.0), Ok(50_000));
        for bad in [-0.5, 5.01, f64::NAN] {
            assert_eq!(min_rating(bad), Err("query.min_rating".to_owned()), "{bad}");
        }
    }
}
