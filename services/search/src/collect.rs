//! One pass over every match: the exact area, kind, numbers and stay-length rules
//! ([`Checks`], read from fast fields), facet counts, and the best `limit` hits in the
//! requested order.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::query::{Area, distance_meters};

/// Property types and amenities are small enums; counted in arrays indexed by their values.
pub const PROPERTY_TYPES: usize = 8;
pub const AMENITIES: usize = 11;

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Relevance,
    PriceAscending,
    PriceDescending,
    Distance,
    Newest,
    Rating,
}

/// A match that made the top.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// Larger comes first.
    pub primary: f64,
    pub secondary: f64,
    pub tiebreak: u64,
    pub address: DocAddress,
    pub score: Score,
    pub distance: f64,
}

impl Hit {
    fn rank(&self, other: &Self) -> Ordering {
        self.primary
            .total_cmp(&other.primary)
            .then(self.secondary.total_cmp(&other.secondary))
            .then(self.tiebreak.cmp(&other.tiebreak))
    }
}

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}
impl Eq for Hit {}
impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}

/// What a search found: counts over all matches and the top hits, best first.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub total: u64,
    pub property_types: [u64; PROPERTY_TYPES],
    pub amenities: [u64; AMENITIES],
    /// Bucket lower bound → count.
    pub prices: BTreeMap<u64, u64>,
    pub top: Vec<Hit>,
}

/// The collector of a search.
#[derive(Debug, Clone)]
pub struct SearchCollector {
    pub order: Order,
    /// How many of the best hits to keep (offset + page size).
    pub limit: usize,
    pub checks: Checks,
    pub histogram_interval: u64,
    pub scoring: bool,
}

/// What a listing must satisfy beyond its index terms, checked on fast fields: the exact area
/// (the query's grid cells only cover it), the kind, the numbers and the stay's length.
#[derive(Debug, Clone, Copy, Default)]
pub struct Checks {
    /// The only listing kind that matches.
    pub kind: Option<u64>,
    pub numbers: Numbers,
    pub area: Option<Area>,
    /// The stay's length, checked against each listing's minimum and maximum.
    pub nights: Option<u64>,
}

/// Bounds on a listing's numbers (inclusive); the defaults let everything through.
#[derive(Debug, Clone, Copy)]
pub struct Numbers {
    pub min_price: u64,
    pub max_price: u64,
    pub min_bedrooms: u64,
    pub min_bathrooms: u64,
    pub min_guests: u64,
    /// The lowest average rating, as indexed; 0 lets listings without reviews through.
    pub min_rating: u64,
}

impl Default for Numbers {
    fn default() -> Self {
        Self {
            min_price: 0,
            max_price: u64::MAX,
            min_bedrooms: 0,
            min_bathrooms: 0,
            min_guests: 0,
            min_rating: 0,
        }
    }
}

/// [`Checks`] over one segment's columns.
#[derive(Debug)]
pub struct SegmentChecks {
    checks: Checks,
    kind: Values<u64>,
    price: Values<u64>,
    bedrooms: Values<u64>,
    bathrooms: Values<u64>,
    guests: Values<u64>,
    rating_average: Values<u64>,
    lat: Values<f64>,
    lon: Values<f64>,
    min_nights: Values<u64>,
    max_nights: Values<u64>,
}

impl SegmentChecks {
    pub fn open(checks: Checks, segment: &SegmentReader) -> tantivy::Result<Self> {
        let fast = segment.fast_fields();
        // A column is missing from a segment where no document has a value for it.
        Ok(Self {
            checks,
            kind: Values(fast.column_opt("kind")?),
            price: Values(fast.column_opt("price")?),
            bedrooms: Values(fast.column_opt("bedrooms")?),
            bathrooms: Values(fast.column_opt("bathrooms")?),
            guests: Values(fast.column_opt("guests")?),
            rating_average: Values(fast.column_opt("rating_average")?),
            lat: Values(fast.column_opt("lat")?),
            lon: Values(fast.column_opt("lon")?),
            min_nights: Values(fast.column_opt("min_nights")?),
            max_nights: Values(fast.column_opt("max_nights")?),
        })
    }

    /// Whether `doc` passes, and if so its distance from the circle's centre (0 without one).
    pub fn admit(&self, doc: DocId) -> Option<f64> {
        let checks = &self.checks;
        if let Some(kind) = checks.kind
            && self.kind.first(doc) != Some(kind)
        {
            return None;
        }
        let numbers = checks.numbers;
        let price = self.price.first(doc).unwrap_or(0);
        if price < numbers.min_price
            || price > numbers.max_price
            || self.bedrooms.first(doc).unwrap_or(0) < numbers.min_bedrooms
            || self.bathrooms.first(doc).unwrap_or(0) < numbers.min_bathrooms
            || self.guests.first(doc).unwrap_or(0) < numbers.min_guests
            || self.rating_average.first(doc).unwrap_or(0) < numbers.min_rating
        {
            return None;
        }
        let mut distance = 0.0;
        if let Some(area) = checks.area {
            let (Some(doc_lat), Some(doc_lon)) = (self.lat.first(doc), self.lon.first(doc)) else {
                return None;
            };
            match area {
                Area::Circle { lat, lon, radius } => {
                    distance = distance_meters(lat, lon, doc_lat, doc_lon);
                    if distance > radius {
                        return None;
                    }
                }
                Area::Box {
                    low_lat,
                    low_lon,
                    high_lat,
                    high_lon,
                } => {
                    if !(low_lat..=high_lat).contains(&doc_lat)
                        || !(low_lon..=high_lon).contains(&doc_lon)
                    {
                        return None;
                    }
                }
            }
        }
        if let Some(nights) = checks.nights {
            let min = self.min_nights.first(doc).unwrap_or(1);
            let max = self.max_nights.first(doc).unwrap_or(0);
            if nights < min || (max > 0 && nights > max) {
                return None;
            }
        }
        Some(distance)
    }
}

impl Collector for SearchCollector {
    type Fruit = Found;
    type Child = SegmentSearchCollector;

    fn for_segment(
        &self,
        segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let fast = segment.fast_fields();
        Ok(SegmentSearchCollector {
            config: self.clone(),
            segment: segment_local_id,
            checks: SegmentChecks::open(self.checks, segment)?,
            price: Values(fast.column_opt("price")?),
            property_type: Values(fast.column_opt("property_type")?),
            amenities: Values(fast.column_opt("amenities")?),
            created: Values(fast.column_opt("created")?),
            rating_score: Values(fast.column_opt("rating_score")?),
            tiebreak: Values(fast.column_opt("tiebreak")?),
            found: Found::default(),
            heap: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Found>) -> tantivy::Result<Found> {
        let mut merged = Found::default();
        let mut top = Vec::new();
        for fruit in fruits {
            merged.total += fruit.total;
            for (sum, count) in merged.property_types.iter_mut().zip(fruit.property_types) {
                *sum += count;
            }
            for (sum, count) in merged.amenities.iter_mut().zip(fruit.amenities) {
                *sum += count;
            }
            for (bucket, count) in fruit.prices {
                *merged.prices.entry(bucket).or_default() += count;
            }
            top.extend(fruit.top);
        }
        top.sort_unstable_by(|a, b| b.cmp(a));
        top.truncate(self.limit);
        merged.top = top;
        Ok(merged)
    }
}

/// A fast-field column of a segment, if any document of the segment has a value.
pub struct Values<T>(Option<Column<T>>);

impl<T> std::fmt::Debug for Values<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Values(column)"
        } else {
            "Values(none)"
        })
    }
}

impl<T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static> Values<T> {
    fn first(&self, doc: DocId) -> Option<T> {
        self.0.as_ref().and_then(|column| column.first(doc))
    }
}

/// [`SearchCollector`] over one segment.
#[derive(Debug)]
pub struct SegmentSearchCollector {
    config: SearchCollector,
    segment: SegmentOrdinal,
    checks: SegmentChecks,
    price: Values<u64>,
    property_type: Values<u64>,
    amenities: Values<u64>,
    created: Values<i64>,
    rating_score: Values<u64>,
    tiebreak: Values<u64>,
    found: Found,
    /// The best `limit` hits so far, worst on top.
    heap: BinaryHeap<Reverse<Hit>>,
}

impl SegmentCollector for SegmentSearchCollector {
    type Fruit = Found;

    fn collect(&mut self, doc: DocId, score: Score) {
        let Some(distance) = self.checks.admit(doc) else {
            return;
        };
        let price = self.price.first(doc).unwrap_or(0);
        let found = &mut self.found;
        found.total += 1;
        if let Some(kind) = self.property_type.first(doc)
            && let Some(count) = usize::try_from(kind)
                .ok()
                .and_then(|k| found.property_types.get_mut(k))
        {
            *count += 1;
        }
        if let Some(amenities) = &self.amenities.0 {
            for amenity in amenities.values_for_doc(doc) {
                if let Some(count) = usize::try_from(amenity)
                    .ok()
                    .and_then(|a| found.amenities.get_mut(a))
                {
                    *count += 1;
                }
            }
        }
        let interval = self.config.histogram_interval.max(1);
        *found.prices.entry(price / interval * interval).or_default() += 1;

        if self.config.limit == 0 {
            return;
        }
        let created = self.created.first(doc).unwrap_or(0) as f64;
        #[allow(clippy::cast_precision_loss)] // prices and ratings are far below 2^53
        let (primary, secondary) = match self.config.order {
            Order::Relevance => (f64::from(score), created),
            Order::PriceAscending => (-(price as f64), created),
            Order::PriceDescending => (price as f64, created),
            Order::Distance => (-distance, created),
            Order::Newest => (created, 0.0),
            // Listings without reviews score 0: last.
            Order::Rating => (self.rating_score.first(doc).unwrap_or(0) as f64, created),
        };
        let hit = Hit {
            primary,
            secondary,
            tiebreak: self.tiebreak.first(doc).unwrap_or(0),
            address: DocAddress::new(self.segment, doc),
            score,
            distance,
        };
        if self.heap.len() < self.config.limit {
            self.heap.push(Reverse(hit));
        } else if let Some(Reverse(worst)) = self.heap.peek()
            && hit > *worst
        {
            self.heap.pop();
            self.heap.push(Reverse(hit));
        }
    }

    fn harvest(self) -> Found {
        let mut found = self.found;
        found.top = self.heap.into_iter().map(|Reverse(hit)| hit).collect();
        found
    }
}
