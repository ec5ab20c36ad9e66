//! The tantivy index: its schema, where it lives, and what each commit records besides the
//! documents.
//!
//! Each commit carries a JSON payload ([`Positions`]): the index generation and, per topic
//! partition, the offset of the last event in the commit. Documents and positions become
//! durable together, in one atomic write of tantivy's `meta.json`. The generation is a fresh
//! UUID per index created, and the indexer's consumer group is named after it: a new (or
//! rebuilt) index reads the topics from the beginning, and an existing one resumes where its
//! group's offsets stand, which never pass the index because they are acknowledged only after
//! the commit that holds their effects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use estospaces_proto::property_v1 as pb;
use prost::Message as _;
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value as _,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::listing::{StoredListing, headline_price};
use crate::prefilter::ListingTables;

/// The tokenizer of the text fields: words, lowercased, accents folded (`São` → `sao`).
pub const FOLDED: &str = "folded";

/// Where the index lives under the data directory.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search-index")
}

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The listing UUID; one document per listing.
    pub id: Field,
    /// The encoded [`StoredListing`].
    pub stored: Field,
    pub title: Field,
    pub description: Field,
    /// City, region, postal code and country, as text.
    pub place: Field,
    /// The folded, lowercased city, whole: for place suggestions.
    pub city_key: Field,
    /// 1 when published; other documents only keep state for later events.
    pub published: Field,
    pub kind: Field,
    pub property_type: Field,
    pub price: Field,
    pub bedrooms: Field,
    pub bathrooms: Field,
    pub guests: Field,
    pub amenities: Field,
    pub instant: Field,
    pub lat: Field,
    pub lon: Field,
    /// Unix microseconds of the listing's creation.
    pub created: Field,
    /// `rating.score` × [`RATING_SCALE`], what "best rated" orders by; 0 without reviews
    /// (last).
    pub rating_score: Field,
    /// `rating.average` × [`RATING_SCALE`], what `min_rating` filters on; 0 without reviews.
    pub rating_average: Field,
    pub min_nights: Field,
    pub max_nights: Field,
    /// Nights that cannot be booked, as day numbers (multi-valued).
    pub unavailable: Field,
    /// A number from the listing UUID: the last tie-breaker, for a stable order.
    pub tiebreak: Field,
    /// The [`geo_cell`] the listing is in: lets a map area lead the search through a few
    /// posting lists instead of being checked on every text match.
    pub geo_cell: Field,
    /// The development project whose unit the listing sells (`{project}`); absent for none.
    pub project: Field,
    /// That unit (`{unit}`): finds a unit's listings when its link changes.
    pub unit: Field,
}

/// Cells of this many degrees of latitude and longitude (~28 km north–south).
pub const GEO_CELL_DEGREES: f64 = 0.25;
const GEO_CELLS_PER_ROW: u64 = 1_440; // 360 / 0.25

/// The grid cell of a point: row (from the south pole) × 1440 + column (from the antimeridian).
pub fn geo_cell(lat: f64, lon: f64) -> u64 {
    let (row, column) = geo_cell_position(lat, lon);
    row * GEO_CELLS_PER_ROW + column
}

/// The row and column of a point's cell.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to the grid
pub fn geo_cell_position(lat: f64, lon: f64) -> (u64, u64) {
    let row = ((lat.clamp(-90.0, 90.0) + 90.0) / GEO_CELL_DEGREES).floor() as u64;
    let column = ((lon.clamp(-180.0, 180.0) + 180.0) / GEO_CELL_DEGREES).floor() as u64;
    (row.min(719), column.min(GEO_CELLS_PER_ROW - 1))
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(FOLDED)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let filter = || NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        id: builder.add_text_field("id", STRING),
        stored: builder.add_bytes_field("stored", STORED),
        title: builder.add_text_field("title", text.clone()),
        description: builder.add_text_field("description", text.clone()),
        place: builder.add_text_field("place", text),
        city_key: builder.add_text_field("city_key", STRING),
        published: builder.add_u64_field("published", filter()),
        kind: builder.add_u64_field("kind", filter()),
        property_type: builder.add_u64_field("property_type", filter()),
        price: builder.add_u64_field("price", FAST),
        bedrooms: builder.add_u64_field("bedrooms", FAST),
        bathrooms: builder.add_u64_field("bathrooms", FAST),
        guests: builder.add_u64_field("guests", FAST),
        amenities: builder.add_u64_field("amenities", filter()),
        instant: builder.add_u64_field("instant", filter()),
        lat: builder.add_f64_field("lat", FAST),
        lon: builder.add_f64_field("lon", FAST),
        created: builder.add_i64_field("created", FAST),
        rating_score: builder.add_u64_field("rating_score", FAST),
        rating_average: builder.add_u64_field("rating_average", FAST),
        min_nights: builder.add_u64_field("min_nights", FAST),
        max_nights: builder.add_u64_field("max_nights", FAST),
        unavailable: builder.add_u64_field("unavailable", FAST),
        tiebreak: builder.add_u64_field("tiebreak", FAST),
        // Fast too: segments keep their documents sorted by it (see `settings`).
        geo_cell: builder.add_u64_field(
            "geo_cell",
            NumericOptions::default().set_indexed().set_fast(),
        ),
        project: builder.add_text_field("project", STRING),
        unit: builder.add_text_field("unit", STRING),
    };
    (builder.build(), fields)
}

/// The text analyzer of the text fields, also used to tokenize queries.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// `text` as the index's tokens.
pub fn tokens(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().text.clone());
    }
    tokens
}

/// What a commit records besides documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Positions {
    /// Names this index's life; a rebuilt index has a new one.
    pub generation: String,
    /// `topic/partition` → offset of the last event whose effects are in the index.
    pub offsets: BTreeMap<String, i64>,
}

/// Why the index cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("the index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("opening the index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("a stored listing is corrupt: {0}")]
    Corrupt(String),
}

fn warmer(tables: &Arc<ListingTables>) -> std::sync::Weak<dyn tantivy::Warmer> {
    let tables: Arc<dyn tantivy::Warmer> = tables.clone();
    Arc::downgrade(&tables)
}

/// Segments keep their documents in grid-cell order: the listings of a map area are then a
/// few runs of neighbouring documents, read in sequence rather than scattered over the
/// segment (fewer cache misses on the columns and posting lists a search walks).
fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        sort_by_field: Some(tantivy::index::IndexSortByField {
            field: "geo_cell".to_owned(),
            order: tantivy::index::Order::Asc,
        }),
        ..tantivy::IndexSettings::default()
    }
}

/// The index, shared by the indexer (which writes) and the handlers (which read).
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Built by the reader on every reload, for the area prefilter.
    tables: Arc<ListingTables>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (with a new generation) when there is none.
    pub fn open_or_create(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let mut directory = MmapDirectory::open(dir)?;
        let mut exists =
            Index::exists(&directory).map_err(|err| IndexError::Corrupt(err.to_string()))?;
        if exists && !same_schema(&Index::open(directory.clone())?.schema(), &schema) {
            // Written by another version: rebuilt from the topics, like a lost index.
            tracing::warn!(dir = %dir.display(), "the index has another schema; rebuilding it");
            drop(directory);
            Self::destroy(dir)?;
            std::fs::create_dir_all(dir)?;
            directory = MmapDirectory::open(dir)?;
            exists = false;
        }
        let index = if exists {
            Index::open(directory)?
        } else {
            Index::create(directory, schema, settings())?
        };
        index.tokenizers().register(FOLDED, analyzer());
        let tables = Arc::new(ListingTables::default());
        let reader = index
            .reader_builder()
            // Reloaded by the indexer right after each commit: searchable as soon as durable.
            .reload_policy(ReloadPolicy::Manual)
            .warmers(vec![warmer(&tables)])
            .try_into()?;
        let this = Self {
            index,
            reader,
            fields,
            tables,
        };
        if !exists {
            // Make the generation durable before anything is consumed under its name.
            let mut writer = this.writer(15_000_000)?;
            let positions = Positions {
                generation: uuid::Uuid::now_v7().to_string(),
                offsets: BTreeMap::new(),
            };
            commit(&mut writer, &positions)?;
            this.reload()?;
        }
        Ok(this)
    }

    /// In memory, for benchmarks and unit tests.
    pub fn in_ram() -> Result<Self, IndexError> {
        let (schema, fields) = schema();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_ram()?;
        index.tokenizers().register(FOLDED, analyzer());
        let tables = Arc::new(ListingTables::default());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .warmers(vec![warmer(&tables)])
            .try_into()?;
        Ok(Self {
            index,
            reader,
            fields,
            tables,
        })
    }

    /// Deletes the index in `dir`; the next [`SearchIndex::open_or_create`] starts a new one.
    pub fn destroy(dir: &Path) -> std::io::Result<()> {
        match std::fs::remove_dir_all(dir) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    pub fn tables(&self) -> &Arc<ListingTables> {
        &self.tables
    }

    /// A writer with `memory_bytes` of buffer (split over up to two indexing threads).
    pub fn writer(&self, memory_bytes: usize) -> Result<IndexWriter, IndexError> {
        let threads = if memory_bytes >= 64_000_000 { 2 } else { 1 };
        Ok(self
            .index
            .writer_with_num_threads(threads, memory_bytes.max(15_000_000 * threads))?)
    }

    /// The latest committed state, as of the last [`SearchIndex::reload`].
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Makes the last commit searchable.
    pub fn reload(&self) -> Result<(), IndexError> {
        Ok(self.reader.reload()?)
    }

    /// The positions of the last commit.
    pub fn positions(&self) -> Result<Positions, IndexError> {
        let metas = self.index.load_metas()?;
        match metas.payload {
            Some(payload) => {
                serde_json::from_str(&payload).map_err(|err| IndexError::Corrupt(err.to_string()))
            }
            None => Ok(Positions::default()),
        }
    }

    /// The committed state of listing `id`.
    pub fn find(&self, id: &str) -> Result<Option<StoredListing>, IndexError> {
        let searcher = self.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, address)) => Ok(Some(self.stored(&searcher, *address)?)),
            None => Ok(None),
        }
    }

    /// The committed listings linked to unit `unit` (one, unless a link is changing).
    pub fn listings_of_unit(&self, unit: &str) -> Result<Vec<StoredListing>, IndexError> {
        let searcher = self.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.unit, unit),
            IndexRecordOption::Basic,
        );
        searcher
            .search(&query, &TopDocs::with_limit(16).order_by_score())?
            .into_iter()
            .map(|(_, address)| self.stored(&searcher, address))
            .collect()
    }

    /// The stored listing of the document at `address`.
    pub fn stored(
        &self,
        searcher: &Searcher,
        address: tantivy::DocAddress,
    ) -> Result<StoredListing, IndexError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let bytes = doc
            .get_first(self.fields.stored)
            .and_then(|value| value.as_bytes())
            .ok_or_else(|| IndexError::Corrupt("a document without its listing".to_owned()))?;
        StoredListing::decode(bytes).map_err(|err| IndexError::Corrupt(err.to_string()))
    }

    /// Replaces listing `listing.id`'s document in `writer`'s next commit.
    pub fn put(&self, writer: &IndexWriter, listing: &StoredListing) -> Result<(), IndexError> {
        writer.delete_term(Term::from_field_text(self.fields.id, &listing.id));
        writer.add_document(self.document(listing))?;
        Ok(())
    }

    /// The document of `listing`.
    pub fn document(&self, listing: &StoredListing) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &listing.id);
        doc.add_bytes(f.stored, &listing.encode_to_vec());
        doc.add_u64(f.tiebreak, tiebreak(&listing.id));
        doc.add_u64(f.published, u64::from(listing.is_published()));
        for day in &listing.unavailable_days {
            doc.add_u64(f.unavailable, non_negative(*day));
        }
        if !listing.project.is_empty() {
            doc.add_text(f.project, &listing.project);
            doc.add_text(f.unit, &listing.unit);
        }
        let Some(property) = &listing.property else {
            return doc;
        };
        doc.add_text(f.title, &property.title);
        doc.add_text(f.description, &property.description);
        let address = property.address.clone().unwrap_or_default();
        doc.add_text(
            f.place,
            format!(
                "{} {} {} {}",
                address.locality, address.region, address.postal_code, address.country_code
            ),
        );
        if !address.locality.is_empty() {
            doc.add_text(f.city_key, tokens(&address.locality).join(" "));
        }
        doc.add_u64(f.kind, non_negative(i64::from(property.kind)));
        doc.add_u64(
            f.property_type,
            non_negative(i64::from(property.property_type)),
        );
        doc.add_u64(f.price, non_negative(headline_price(property)));
        doc.add_u64(f.bedrooms, non_negative(i64::from(property.bedrooms)));
        doc.add_u64(f.bathrooms, non_negative(i64::from(property.bathrooms)));
        doc.add_u64(f.guests, non_negative(i64::from(property.max_guests)));
        for amenity in &property.amenities {
            doc.add_u64(f.amenities, non_negative(i64::from(*amenity)));
        }
        doc.add_u64(
            f.instant,
            u64::from(property.booking_mode == pb::BookingMode::Instant as i32),
        );
        if let Some(location) = address.location {
            doc.add_f64(f.lat, location.latitude);
            doc.add_f64(f.lon, location.longitude);
            doc.add_u64(f.geo_cell, geo_cell(location.latitude, location.longitude));
        }
        let created = property.create_time.map_or(0, |time| {
            time.seconds * 1_000_000 + i64::from(time.nanos / 1_000)
        });
        doc.add_i64(f.created, created);
        let rating = property.rating.filter(|rating| rating.review_count > 0);
        doc.add_u64(f.rating_score, rating.map_or(0, |r| scaled_rating(r.score)));
        doc.add_u64(
            f.rating_average,
            rating.map_or(0, |r| scaled_rating(r.average)),
        );
        doc.add_u64(
            f.min_nights,
            non_negative(i64::from(property.min_nights.max(1))),
        );
        doc.add_u64(f.max_nights, non_negative(i64::from(property.max_nights)));
        doc
    }
}

fn same_schema(a: &Schema, b: &Schema) -> bool {
    serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}

/// Commits `writer` with `positions` as the payload: documents and positions, atomically.
pub fn commit(writer: &mut IndexWriter, positions: &Positions) -> Result<u64, IndexError> {
    let payload =
        serde_json::to_string(positions).map_err(|err| IndexError::Corrupt(err.to_string()))?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    Ok(prepared.commit()?)
}

/// Ratings (0 to 5) are indexed as integers to four decimals: 4.8 is 48,000.
pub const RATING_SCALE: f64 = 10_000.0;

/// A rating as the integer its fast field holds.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // ratings are 0 to 5
pub fn scaled_rating(rating: f64) -> u64 {
    // `as` saturates, and makes NaN 0.
    (rating * RATING_SCALE).round().max(0.0) as u64
}

fn non_negative(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The first 8 bytes of a UUID's text, hashed (FNV-1a): stable across processes.
fn tiebreak(id: &str) -> u64 {
    fnv1a(id.as_bytes())
}

/// FNV-1a, 64-bit: a stable hash for tie-breaks and page-token fingerprints.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_written_with_another_schema_is_rebuilt_with_a_new_generation() {
        let dir = tempfile::tempdir().expect("a dir");
        let mut builder = Schema::builder();
        builder.add_text_field("something_else", STRING);
        Index::create_in_dir(dir.path(), builder.build()).expect("an old index");

        let index = SearchIndex::open_or_create(dir.path()).expect("opens");

        assert!(!index.positions().expect("positions").generation.is_empty());
        assert!(index.find("any").expect("a lookup").is_none());
        let again = SearchIndex::open_or_create(dir.path()).expect("opens again");
        assert_eq!(
            again.positions().expect("positions").generation,
            index.positions().expect("positions").generation,
            "the same schema keeps the index"
        );
    }
}
