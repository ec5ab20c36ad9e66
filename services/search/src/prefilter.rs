//! A map area's candidates checked before anything else is looked up.
//!
//! A 50 km circle around a city leaves tens of thousands of candidates from its grid cells,
//! of which the numbers (price, kind, rooms) and the exact area keep a fraction. Reading those
//! from tantivy's columns costs a dynamically dispatched, bit-unpacking read per column per
//! candidate, which was most of a query's time. Each segment therefore gets a compact copy of
//! just those values ([`SegmentTable`], 24 bytes a listing), built when the searcher is reloaded
//! (a tantivy [`Warmer`]), and [`CheckedQuery`] filters the cells' documents through it before
//! the text and term clauses are seeked.
//!
//! The copy is narrower than the columns (prices as `u32`, rooms as `u8`, coordinates as
//! `f32`), so its checks are conservative: a value that did not fit, or a point within a few
//! metres of the edge, passes. The collector checks every match exactly on the columns.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{
    COLLECT_BLOCK_BUFFER_LEN, DocId, DocSet, Score, Searcher, SearcherGeneration, SegmentReader,
    TERMINATED, TantivyError, Warmer,
};

use crate::collect::Checks;
use crate::query::{Area, distance_meters};

/// Metres of slack for coordinates rounded to `f32` (about a metre at most).
const AREA_SLACK_METERS: f64 = 5.0;
/// Degrees of slack, likewise, for boxes.
const AREA_SLACK_DEGREES: f64 = 5e-5;

/// The numbers of one listing, narrowed; one load brings them all.
#[derive(Debug, Clone, Copy, Default)]
struct Row {
    /// Saturated at `u32::MAX`.
    price: u32,
    /// Kind, bedrooms, bathrooms, guests; all saturated at `u8::MAX`.
    small: [u8; 4],
    /// Minimum and maximum nights (0: none), saturated at `u16::MAX`.
    nights: [u16; 2],
    /// The average rating as indexed (0: no reviews; at most 50,000), saturated at
    /// `u16::MAX`.
    rating: u16,
}

/// The values the checks read, for every document of one segment.
#[derive(Debug, Default)]
pub struct SegmentTable {
    rows: Vec<Row>,
    /// Latitude and longitude; NaN without a location.
    points: Vec<[f32; 2]>,
}

impl SegmentTable {
    fn build(segment: &SegmentReader) -> tantivy::Result<Self> {
        let fast = segment.fast_fields();
        let u64s = |name: &str| fast.column_opt::<u64>(name);
        let (price, kind, bedrooms, bathrooms, guests, min_nights, max_nights, rating) = (
            u64s("price")?,
            u64s("kind")?,
            u64s("bedrooms")?,
            u64s("bathrooms")?,
            u64s("guests")?,
            u64s("min_nights")?,
            u64s("max_nights")?,
            u64s("rating_average")?,
        );
        let (lat, lon) = (
            fast.column_opt::<f64>("lat")?,
            fast.column_opt::<f64>("lon")?,
        );
        let value = |column: &Option<tantivy::columnar::Column<u64>>, doc: DocId| {
            column.as_ref().and_then(|c| c.first(doc)).unwrap_or(0)
        };
        let narrow_u8 = |v: u64| u8::try_from(v).unwrap_or(u8::MAX);
        let narrow_u16 = |v: u64| u16::try_from(v).unwrap_or(u16::MAX);
        let docs = 0..segment.max_doc();
        let rows = docs
            .clone()
            .map(|doc| Row {
                price: u32::try_from(value(&price, doc)).unwrap_or(u32::MAX),
                small: [
                    narrow_u8(value(&kind, doc)),
                    narrow_u8(value(&bedrooms, doc)),
                    narrow_u8(value(&bathrooms, doc)),
                    narrow_u8(value(&guests, doc)),
                ],
                nights: [
                    narrow_u16(value(&min_nights, doc)),
                    narrow_u16(value(&max_nights, doc)),
                ],
                rating: narrow_u16(value(&rating, doc)),
            })
            .collect();
        let coordinate = |column: &Option<tantivy::columnar::Column<f64>>, doc: DocId| {
            column.as_ref().and_then(|c| c.first(doc))
        };
        #[allow(clippy::cast_possible_truncation)] // the point of the narrow copy
        let points = docs
            .map(|doc| match (coordinate(&lat, doc), coordinate(&lon, doc)) {
                (Some(lat), Some(lon)) => [lat as f32, lon as f32],
                _ => [f32::NAN, f32::NAN],
            })
            .collect();
        Ok(Self { rows, points })
    }

    /// Keeps the documents of `docs` that may pass `checks`, in order; returns how many.
    ///
    /// In two passes over the block, numbers then area, so the loads of a pass do not wait
    /// for each other: candidates lie far apart, and each load is a likely cache miss.
    fn keep_passing(&self, checks: &Checks, docs: &mut [DocId]) -> usize {
        let mut rows = [Row::default(); COLLECT_BLOCK_BUFFER_LEN];
        for (row, &doc) in rows.iter_mut().zip(docs.iter()) {
            // A document outside the copy passes: the exact checks decide.
            *row = self.rows.get(doc as usize).copied().unwrap_or(Row {
                price: 0,
                small: [u8::MAX; 4],
                nights: [0, 0],
                rating: u16::MAX,
            });
        }
        let mut kept = 0;
        for i in 0..docs.len() {
            if numbers_may_pass(checks, &rows[i]) {
                docs[kept] = docs[i];
                kept += 1;
            }
        }
        let Some(area) = checks.area else {
            return kept;
        };
        let mut points = [[0f32; 2]; COLLECT_BLOCK_BUFFER_LEN];
        for (point, &doc) in points.iter_mut().zip(docs[..kept].iter()) {
            *point = self
                .points
                .get(doc as usize)
                .copied()
                .unwrap_or([f32::NAN; 2]);
        }
        let bounds = area.bounding_box();
        let mut in_area = 0;
        for i in 0..kept {
            let outside_copy = docs[i] as usize >= self.points.len();
            if outside_copy || point_may_be_in(area, bounds, points[i]) {
                docs[in_area] = docs[i];
                in_area += 1;
            }
        }
        in_area
    }
}

/// False only when the listing's numbers certainly fail `checks`.
fn numbers_may_pass(checks: &Checks, row: &Row) -> bool {
    let numbers = &checks.numbers;
    let [kind, bedrooms, bathrooms, guests] = row.small;
    let [min, max] = row.nights;
    // A saturated value is only a lower bound of the real one.
    let below = |value: u64, saturated: bool, bound: u64| value < bound && !saturated;
    if u64::from(row.price) > numbers.max_price
        || below(
            u64::from(row.price),
            row.price == u32::MAX,
            numbers.min_price,
        )
    {
        return false;
    }
    if checks
        .kind
        .is_some_and(|wanted| kind != u8::MAX && u64::from(kind) != wanted)
    {
        return false;
    }
    for (value, bound) in [
        (bedrooms, numbers.min_bedrooms),
        (bathrooms, numbers.min_bathrooms),
        (guests, numbers.min_guests),
    ] {
        if below(u64::from(value), value == u8::MAX, bound) {
            return false;
        }
    }
    if below(
        u64::from(row.rating),
        row.rating == u16::MAX,
        numbers.min_rating,
    ) {
        return false;
    }
    if let Some(nights) = checks.nights
        && (nights < u64::from(min) || (max > 0 && max < u16::MAX && nights > u64::from(max)))
    {
        return false;
    }
    true
}

/// False only when the point is certainly outside `area` (`bounds` is its bounding box).
fn point_may_be_in(area: Area, bounds: (f64, f64, f64, f64), point: [f32; 2]) -> bool {
    let [lat, lon] = point;
    if lat.is_nan() {
        return false;
    }
    let (lat, lon) = (f64::from(lat), f64::from(lon));
    let (low_lat, low_lon, high_lat, high_lon) = bounds;
    let slack = AREA_SLACK_DEGREES;
    if lat < low_lat - slack
        || lat > high_lat + slack
        || lon < low_lon - slack
        || lon > high_lon + slack
    {
        return false;
    }
    match area {
        Area::Circle {
            lat: center_lat,
            lon: center_lon,
            radius,
        } => distance_meters(center_lat, center_lon, lat, lon) <= radius + AREA_SLACK_METERS,
        Area::Box { .. } => true,
    }
}

/// Every live segment's [`SegmentTable`], kept current by the reader as a [`Warmer`].
#[derive(Debug, Default)]
pub struct ListingTables {
    tables: RwLock<HashMap<SegmentId, Arc<SegmentTable>>>,
}

impl ListingTables {
    /// The table of `segment`, built now if warming has not (an index opened before any
    /// reload).
    pub fn of(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentTable>> {
        let id = segment.segment_id();
        if let Some(table) = self
            .tables
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .get(&id)
        {
            return Ok(table.clone());
        }
        let table = Arc::new(SegmentTable::build(segment)?);
        self.tables
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
            .insert(id, table.clone());
        Ok(table)
    }
}

impl Warmer for ListingTables {
    fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        for segment in searcher.segment_readers() {
            self.of(segment)?;
        }
        Ok(())
    }

    fn garbage_collect(&self, live_generations: &[&SearcherGeneration]) {
        self.tables
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
            .retain(|id, _| {
                live_generations
                    .iter()
                    .any(|generation| generation.segments().contains_key(id))
            });
    }
}

/// The documents of `lead` (a map area's cells) that may pass `checks`, judged on the
/// segment's [`SegmentTable`]: leading a query with it runs the cheap checks before the
/// posting lists of the other clauses are seeked.
#[derive(Debug)]
pub struct CheckedQuery {
    pub lead: Box<dyn Query>,
    pub checks: Checks,
    pub tables: Arc<ListingTables>,
}

impl Clone for CheckedQuery {
    fn clone(&self) -> Self {
        Self {
            lead: self.lead.box_clone(),
            checks: self.checks,
            tables: self.tables.clone(),
        }
    }
}

impl Query for CheckedQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(CheckedWeight {
            lead: self.lead.weight(scoring)?,
            checks: self.checks,
            tables: self.tables.clone(),
        }))
    }
}

struct CheckedWeight {
    lead: Box<dyn Weight>,
    checks: Checks,
    tables: Arc<ListingTables>,
}

impl Weight for CheckedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = CheckedScorer {
            lead: self.lead.scorer(reader, boost)?,
            checks: self.checks,
            table: self.tables.of(reader)?,
            block: [TERMINATED; COLLECT_BLOCK_BUFFER_LEN],
            len: 0,
            position: 0,
        };
        scorer.refill();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut one = [doc];
        if self.tables.of(reader)?.keep_passing(&self.checks, &mut one) == 0 {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} fails the listing checks"
            )));
        }
        self.lead.explain(reader, doc)
    }
}

/// Takes the lead's documents a block at a time and keeps those that may pass. The lead is
/// always past the block; the scorer's document is `block[position]`.
struct CheckedScorer {
    lead: Box<dyn Scorer>,
    checks: Checks,
    table: Arc<SegmentTable>,
    block: [DocId; COLLECT_BLOCK_BUFFER_LEN],
    len: usize,
    position: usize,
}

impl CheckedScorer {
    /// Fills the block with the next passing documents of the lead (empty at its end).
    fn refill(&mut self) {
        self.position = 0;
        self.len = 0;
        while self.len == 0 {
            let taken = self.lead.fill_buffer(&mut self.block);
            if taken == 0 {
                return;
            }
            self.len = self
                .table
                .keep_passing(&self.checks, &mut self.block[..taken]);
        }
    }
}

impl DocSet for CheckedScorer {
    fn advance(&mut self) -> DocId {
        if self.position < self.len {
            self.position += 1;
            if self.position == self.len {
                self.refill();
            }
        }
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        while self.position < self.len && self.block[self.position] < target {
            self.position += 1;
        }
        if self.position == self.len {
            if self.lead.doc() < target {
                self.lead.seek(target);
            }
            self.refill();
        }
        self.doc()
    }

    fn doc(&self) -> DocId {
        if self.position < self.len {
            self.block[self.position]
        } else {
            TERMINATED
        }
    }

    fn size_hint(&self) -> u32 {
        self.lead.size_hint()
    }

    fn cost(&self) -> u64 {
        self.lead.cost()
    }
}

impl Scorer for CheckedScorer {
    /// The lead is a filter (scored 0 by the query), so its score does not depend on the
    /// document.
    fn score(&mut self) -> Score {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use estospaces_proto::property_v1 as pb;
    use estospaces_proto::search_v1 as spb;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use crate::collect::Order;
    use crate::index::{Positions, SearchIndex, commit};
    use crate::listing::StoredListing;
    use crate::query::ListingQuery;
    use crate::search::{Search, search};

    const WORDS: [&str; 4] = ["sun", "sea", "oak", "elm"];

    fn listing(rng: &mut StdRng, i: usize) -> StoredListing {
        let kind = [
            pb::ListingKind::ShortStay,
            pb::ListingKind::LongTermRental,
            pb::ListingKind::Sale,
        ][rng.gen_range(0..3)];
        // Some values do not fit the table's narrow copy: it must still let them through.
        let price = if rng.gen_bool(0.1) {
            rng.gen_range(4_000_000_000..9_000_000_000)
        } else {
            rng.gen_range(1_000..60_000)
        };
        let location = rng.gen_bool(0.9).then(|| pb::GeoPoint {
            latitude: 48.85 + rng.gen_range(-1.0..1.0),
            longitude: 2.35 + rng.gen_range(-1.0..1.0),
        });
        StoredListing {
            id: format!("listing-{i}"),
            sequence: 1,
            unavailable_days: Vec::new(),
            project: String::new(),
            unit: String::new(),
            property: Some(pb::Property {
                name: format!("properties/listing-{i}"),
                kind: kind as i32,
                state: pb::property::State::Published as i32,
                title: format!("{} house", WORDS[rng.gen_range(0..WORDS.len())]),
                bedrooms: if rng.gen_bool(0.1) {
                    rng.gen_range(250..400)
                } else {
                    rng.gen_range(0..6)
                },
                max_guests: rng.gen_range(1..10),
                address: Some(pb::Address {
                    locality: "Paris".to_owned(),
                    location,
                    ..Default::default()
                }),
                short_stay_pricing: (kind == pb::ListingKind::ShortStay).then(|| {
                    pb::ShortStayPricing {
                        base_nightly_price: price,
                        ..Default::default()
                    }
                }),
                long_term_pricing: (kind == pb::ListingKind::LongTermRental).then_some(
                    pb::LongTermPricing {
                        monthly_rent: price,
                        deposit: 0,
                    },
                ),
                sale_pricing: (kind == pb::ListingKind::Sale).then_some(pb::SalePricing {
                    asking_price: price,
                }),
                rating: rng.gen_bool(0.7).then(|| pb::Rating {
                    average: rng.gen_range(1.0..=5.0),
                    review_count: rng.gen_range(1..300),
                    score: rng.gen_range(1.0..=5.0),
                }),
                ..Default::default()
            }),
        }
    }

    /// The query's answer, decided listing by listing without the index.
    fn brute_force(listings: &[StoredListing], query: &ListingQuery) -> Vec<String> {
        let mut ids: Vec<String> = listings
            .iter()
            .filter(|listing| {
                let property = listing.property.as_ref().expect("a property");
                let price = u64::try_from(listing.price()).unwrap_or(0);
                let Some(point) = property.address.as_ref().and_then(|a| a.location) else {
                    return false;
                };
                let in_area = match query.area.expect("an area") {
                    crate::query::Area::Circle { lat, lon, radius } => {
                        crate::query::distance_meters(lat, lon, point.latitude, point.longitude)
                            <= radius
                    }
                    crate::query::Area::Box {
                        low_lat,
                        low_lon,
                        high_lat,
                        high_lon,
                    } => {
                        (low_lat..=high_lat).contains(&point.latitude)
                            && (low_lon..=high_lon).contains(&point.longitude)
                    }
                };
                in_area
                    && query.kind.is_none_or(|kind| kind == property.kind as u64)
                    && price >= query.min_price
                    && query.max_price.is_none_or(|max| price <= max)
                    && property.bedrooms as u64 >= query.min_bedrooms
                    && property
                        .rating
                        .map_or(0, |rating| crate::index::scaled_rating(rating.average))
                        >= query.min_rating
                    && query
                        .terms
                        .iter()
                        .all(|term| property.title.split(' ').any(|word| word == term))
            })
            .map(|listing| listing.id.clone())
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn map_area_searches_find_exactly_the_listings_a_scan_of_every_listing_finds() {
        let mut rng = StdRng::seed_from_u64(7);
        let index = SearchIndex::in_ram().expect("an index");
        let listings: Vec<StoredListing> = (0..3_000).map(|i| listing(&mut rng, i)).collect();
        {
            let mut writer = index.writer(15_000_000).expect("a writer");
            // Several commits: several segments, each sorted on its own.
            for chunk in listings.chunks(700) {
                for listing in chunk {
                    writer
                        .add_document(index.document(listing))
                        .expect("a document");
                }
                commit(&mut writer, &Positions::default()).expect("a commit");
            }
        }
        index.reload().expect("a reload");

        for round in 0..200 {
            let center = pb::GeoPoint {
                latitude: 48.85 + rng.gen_range(-0.8..0.8),
                longitude: 2.35 + rng.gen_range(-0.8..0.8),
            };
            let area = if round % 2 == 0 {
                spb::property_query::Area::Circle(spb::GeoCircle {
                    center: Some(center),
                    radius_meters: rng.gen_range(2_000.0..80_000.0),
                })
            } else {
                spb::property_query::Area::Box(spb::GeoBox {
                    low: Some(center),
                    high: Some(pb::GeoPoint {
                        latitude: center.latitude + rng.gen_range(0.01..0.9),
                        longitude: center.longitude + rng.gen_range(0.01..0.9),
                    }),
                })
            };
            let min_price = [0, 5_000, 4_500_000_000][rng.gen_range(0..3)];
            let request = spb::PropertyQuery {
                text: if rng.gen_bool(0.5) {
                    WORDS[rng.gen_range(0..WORDS.len())].to_owned()
                } else {
                    String::new()
                },
                kind: [0, 1, 2, 3][rng.gen_range(0..4)],
                min_price,
                max_price: [0, min_price + 20_000, 8_000_000_000][rng.gen_range(0..3)],
                min_bedrooms: [0, 2, 300][rng.gen_range(0..3)],
                min_rating: [0.0, 3.5, 4.5][rng.gen_range(0..3)],
                area: Some(area),
                ..Default::default()
            };
            let query = ListingQuery::parse(&request, "").expect("a valid query");
            let page = search(
                &index,
                &Search {
                    query: query.clone(),
                    order: Order::Newest,
                    offset: 0,
                    page_size: listings.len(),
                    histogram_interval: 10_000,
                },
            )
            .expect("a search");
            let mut found: Vec<String> = page
                .matches
                .iter()
                .map(|found| found.listing.id.clone())
                .collect();
            found.sort();
            let expected = brute_force(&listings, &query);
            assert_eq!(found, expected, "round {round}: {request:?}");
            assert_eq!(page.found.total, expected.len() as u64);
        }
    }
}
