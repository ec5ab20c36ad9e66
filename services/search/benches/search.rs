//! Search on synthetic listings: tantivy (this service) against PostgreSQL full-text search.
//!
//! ```text
//! build-support/dev/services.sh up            # PostgreSQL at 127.0.0.1:5432
//! BENCH_LISTINGS=100000 cargo bench -p estospaces-search --bench search
//! cargo bench -p estospaces-search --bench search     # 1,000,000 listings
//! ```
//!
//! 1. Indexing: every listing as the indexer writes it (document + stored snapshot), in
//!    commits of 100,000; rate, index size and resident memory.
//! 2. Query latency at concurrency 8: text + filters (kind, price range, bedrooms, an
//!    amenity) + a 50 km circle + facets (types, amenities, price histogram) + the top 20,
//!    for both engines over the same data and the same query parameters.
//! 3. Freshness: `property.listed` events appended to the embedded log at a steady rate
//!    while the indexer runs on the full index; time from the event to searchable.
//!
//! The PostgreSQL baseline: a `tsvector` (simple config, title + description + city) with a GIN
//! index, btree indexes on (lat, lon) and price, a GIN index on the amenities array; one
//! statement computes the top 20 by `ts_rank` and the three facets over the same match set.
//! It does not forgive typos (tantivy here also expands each word of 4+ letters to its
//! 1-edit neighbours, which costs it extra).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use estospaces_events::{EventLog, EventSink, OutgoingRecord};
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::search_v1 as spb;
use estospaces_search::SearchSettings;
use estospaces_search::collect::Order;
use estospaces_search::index::{self, Positions, SearchIndex};
use estospaces_search::indexer::{FreshnessProbe, Indexer, IndexerConfig};
use estospaces_search::listing::{StoredListing, day_number};
use estospaces_search::query::ListingQuery;
use estospaces_search::search::{self, Search, SearchPool};
use prost::{Message as _, Name as _};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row as _;
use sqlx::postgres::PgPoolOptions;

const WORDS: &[&str] = &[
    "sunny",
    "loft",
    "beach",
    "cottage",
    "garden",
    "river",
    "view",
    "quiet",
    "modern",
    "rustic",
    "terrace",
    "balcony",
    "studio",
    "family",
    "harbour",
    "old",
    "town",
    "mountain",
    "lake",
    "forest",
    "pool",
    "spacious",
    "bright",
    "cosy",
    "central",
    "historic",
    "villa",
    "cabin",
    "seaside",
    "vineyard",
    "design",
    "penthouse",
    "courtyard",
    "tiles",
    "azulejo",
    "chalet",
    "farmhouse",
    "duplex",
    "attic",
    "canal",
    "bridge",
    "market",
    "square",
    "castle",
    "cliff",
    "dunes",
    "olive",
    "orchard",
    "meadow",
    "valley",
    "harvest",
    "sunset",
    "sunrise",
    "marina",
    "lighthouse",
    "surf",
    "ski",
    "spa",
    "library",
    "piano",
    "fireplace",
    "veranda",
    "patio",
];

/// Cities with their coordinates: listings cluster around them, as real ones do.
const CITIES: &[(&str, f64, f64)] = &[
    ("Lisboa", 38.7223, -9.1393),
    ("Porto", 41.1579, -8.6291),
    ("Faro", 37.0194, -7.9304),
    ("Madrid", 40.4168, -3.7038),
    ("Barcelona", 41.3874, 2.1686),
    ("Sevilla", 37.3891, -5.9845),
    ("Valencia", 39.4699, -0.3763),
    ("Paris", 48.8566, 2.3522),
    ("Lyon", 45.7640, 4.8357),
    ("Marseille", 43.2965, 5.3698),
    ("Nice", 43.7102, 7.2620),
    ("Bordeaux", 44.8378, -0.5792),
    ("Roma", 41.9028, 12.4964),
    ("Milano", 45.4642, 9.1900),
    ("Napoli", 40.8518, 14.2681),
    ("Firenze", 43.7696, 11.2558),
    ("Venezia", 45.4408, 12.3155),
    ("Berlin", 52.5200, 13.4050),
    ("München", 48.1351, 11.5820),
    ("Hamburg", 53.5511, 9.9937),
    ("Wien", 48.2082, 16.3738),
    ("Zürich", 47.3769, 8.5417),
    ("Amsterdam", 52.3676, 4.9041),
    ("Bruxelles", 50.8503, 4.3517),
    ("London", 51.5072, -0.1276),
    ("Edinburgh", 55.9533, -3.1883),
    ("Dublin", 53.3498, -6.2603),
    ("København", 55.6761, 12.5683),
    ("Stockholm", 59.3293, 18.0686),
    ("Oslo", 59.9139, 10.7522),
    ("Praha", 50.0755, 14.4378),
    ("Budapest", 47.4979, 19.0402),
    ("Kraków", 50.0647, 19.9450),
    ("Athína", 37.9838, 23.7275),
    ("Split", 43.5081, 16.4402),
    ("Funchal", 32.6669, -16.9241),
];

/// Syllables of the descriptions' vocabulary: 20² + 20³ made-up words, so a description word is
/// rare (as real text is) while title words, from [`WORDS`], are common.
const SYLLABLES: &[&str] = &[
    "ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "qui", "ro", "su",
    "ta", "ve", "xi", "zo", "ly",
];

fn made_up_word(n: usize) -> String {
    let k = SYLLABLES.len();
    if n < k * k {
        format!("{}{}", SYLLABLES[n / k], SYLLABLES[n % k])
    } else {
        let n = n - k * k;
        format!(
            "{}{}{}",
            SYLLABLES[n / (k * k) % k],
            SYLLABLES[n / k % k],
            SYLLABLES[n % k]
        )
    }
}

fn listings_count() -> usize {
    std::env::var("BENCH_LISTINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

fn id_of(i: usize) -> String {
    format!("00000000-0000-7000-8000-{i:012}")
}

/// Listing `i`, the same in every run.
fn synthetic(i: usize) -> StoredListing {
    let mut rng = StdRng::seed_from_u64(i as u64);
    let words = |rng: &mut StdRng, n: usize| -> String {
        (0..n)
            .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (city, lat, lon) = CITIES[rng.gen_range(0..CITIES.len())];
    let kind = if rng.gen_bool(0.8) {
        pb::ListingKind::ShortStay
    } else if rng.gen_bool(0.5) {
        pb::ListingKind::LongTermRental
    } else {
        pb::ListingKind::Sale
    };
    let price = rng.gen_range(3_000..60_000);
    let mut amenities: Vec<i32> = (1..=10).filter(|_| rng.gen_bool(0.35)).collect();
    if amenities.is_empty() {
        amenities.push(1);
    }
    let today = day_number(time::OffsetDateTime::now_utc().date());
    let unavailable_days: Vec<i64> = {
        let mut days: Vec<i64> = (0..rng.gen_range(0..12))
            .map(|_| today + rng.gen_range(0..120))
            .collect();
        days.sort_unstable();
        days.dedup();
        days
    };
    let property = pb::Property {
        name: format!("properties/{}", id_of(i)),
        owner: "users/bench".to_owned(),
        kind: kind as i32,
        property_type: rng.gen_range(1..=7),
        state: pb::property::State::Published as i32,
        title: words(&mut rng, 4),
        description: {
            let mut text = words(&mut rng, 3);
            for _ in 0..22 {
                text.push(' ');
                text.push_str(&made_up_word(rng.gen_range(0..8_400)));
            }
            text
        },
        address: Some(pb::Address {
            locality: city.to_owned(),
            country_code: "EU".to_owned(),
            location: Some(pb::GeoPoint {
                latitude: lat + rng.gen_range(-0.6..0.6),
                longitude: lon + rng.gen_range(-0.6..0.6),
            }),
            ..Default::default()
        }),
        bedrooms: rng.gen_range(0..6),
        bathrooms: rng.gen_range(1..4),
        max_guests: rng.gen_range(1..10),
        amenities,
        booking_mode: if rng.gen_bool(0.5) { 1 } else { 2 },
        min_nights: rng.gen_range(1..4),
        currency_code: "EUR".to_owned(),
        short_stay_pricing: (kind == pb::ListingKind::ShortStay).then(|| pb::ShortStayPricing {
            base_nightly_price: price,
            cleaning_fee: 4_000,
            tax_basis_points: 600,
            ..Default::default()
        }),
        long_term_pricing: (kind == pb::ListingKind::LongTermRental).then(|| pb::LongTermPricing {
            monthly_rent: price * 20,
            deposit: price * 40,
        }),
        sale_pricing: (kind == pb::ListingKind::Sale).then(|| pb::SalePricing {
            asking_price: price * 3_000,
        }),
        create_time: Some(prost_types::Timestamp {
            seconds: 1_700_000_000 + i as i64,
            nanos: 0,
        }),
        ..Default::default()
    };
    StoredListing {
        id: id_of(i),
        sequence: 1,
        property: Some(property),
        unavailable_days,
        ..Default::default()
    }
}

/// The parameters of one benchmark query, shared by both engines.
#[derive(Debug, Clone)]
struct Params {
    word: String,
    min_price: i64,
    max_price: i64,
    min_bedrooms: i32,
    amenity: i32,
    lat: f64,
    lon: f64,
    radius: f64,
}

fn params(n: usize) -> Vec<Params> {
    let mut rng = StdRng::seed_from_u64(42);
    (0..n)
        .map(|_| {
            let (_, lat, lon) = CITIES[rng.gen_range(0..CITIES.len())];
            let min_price = rng.gen_range(3_000..30_000);
            Params {
                word: WORDS[rng.gen_range(0..WORDS.len())].to_owned(),
                min_price,
                max_price: min_price + rng.gen_range(5_000..30_000),
                min_bedrooms: rng.gen_range(0..3),
                amenity: rng.gen_range(1..=10),
                lat,
                lon,
                radius: 50_000.0,
            }
        })
        .collect()
}

fn tantivy_search(p: &Params) -> Search {
    let query = spb::PropertyQuery {
        text: p.word.clone(),
        kind: pb::ListingKind::ShortStay as i32,
        min_price: p.min_price,
        max_price: p.max_price,
        min_bedrooms: p.min_bedrooms,
        amenities: vec![p.amenity],
        area: Some(spb::property_query::Area::Circle(spb::GeoCircle {
            center: Some(pb::GeoPoint {
                latitude: p.lat,
                longitude: p.lon,
            }),
            radius_meters: p.radius,
        })),
        ..Default::default()
    };
    Search {
        query: ListingQuery::parse(&query, "").expect("a valid query"),
        order: Order::Relevance,
        offset: 0,
        page_size: 20,
        histogram_interval: 10_000,
    }
}

/// CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|kb| kb.parse::<f64>().ok())
                })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    e.metadata().map_or(0, |m| {
                        if m.is_dir() {
                            dir_size(&e.path())
                        } else {
                            m.len()
                        }
                    })
                })
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

struct Report(Vec<String>);

impl Report {
    fn line(&mut self, line: impl Into<String>) {
        let line = line.into();
        println!("{line}");
        self.0.push(line);
    }
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let n = listings_count();
    let queries: usize = std::env::var("BENCH_QUERIES")
        .ok()
        .and_then(|q| q.parse().ok())
        .unwrap_or(2_000);
    let mut report = Report(Vec::new());
    report.line(format!(
        "# Search benchmark: {n} synthetic listings, {queries} queries at concurrency 8"
    ));

    // === 1. tantivy indexing ===
    let dir = tempfile::tempdir()?;
    let index_path = index::index_dir(dir.path());
    let index = Arc::new(SearchIndex::open_or_create(&index_path)?);
    let rss_before = rss_mib();
    let started = Instant::now();
    {
        let mut writer = index.writer(256 * 1024 * 1024)?;
        let mut positions = index.positions()?;
        for i in 0..n {
            writer.add_document(index.document(&synthetic(i)))?;
            if (i + 1) % 100_000 == 0 || i + 1 == n {
                positions.offsets.insert("bulk/0".to_owned(), i as i64);
                index::commit(&mut writer, &positions)?;
            }
        }
        writer.wait_merging_threads()?;
    }
    index.reload()?;
    let took = started.elapsed();
    report.line(format!(
        "tantivy indexing: {n} listings in {:.1} s = {:.0} listings/s; index {:.0} MiB on disk in {} segments; RSS {:.0} → {:.0} MiB",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        dir_size(&index_path) as f64 / 1_048_576.0,
        index.searcher().segment_readers().len(),
        rss_before,
        rss_mib()
    ));

    // === 2a. tantivy queries at concurrency 8 ===
    let all = Arc::new(params(queries));
    // Warm the caches as a serving replica would be.
    for p in all.iter().take(50) {
        search::search(&index, &tantivy_search(p))?;
    }
    // One at a time first: what a query costs without waiting for a core.
    let mut alone = Vec::new();
    // CPU time too: unlike wall time, it does not count waiting behind other processes.
    let mut cpu = Vec::new();
    let mut slowest = (Duration::ZERO, 0);
    for (i, p) in all.iter().enumerate().take(500) {
        let search = tantivy_search(p);
        let (t, cpu_started) = (Instant::now(), thread_cpu_time());
        search::search(&index, &search)?;
        let took = t.elapsed();
        cpu.push(thread_cpu_time().saturating_sub(cpu_started));
        if took > slowest.0 {
            slowest = (took, i);
        }
        alone.push(took);
    }
    alone.sort();
    cpu.sort();
    report.line(format!(
        "tantivy query, one at a time (500 queries): p50 {}, p99 {}, max {} ({:?}); CPU per query p50 {}, p99 {}",
        ms(percentile(&alone, 50.0)),
        ms(percentile(&alone, 99.0)),
        ms(slowest.0),
        all[slowest.1],
        ms(percentile(&cpu, 50.0)),
        ms(percentile(&cpu, 99.0)),
    ));
    // As the service runs them: 8 clients at once, searches queued for a thread per core.
    let pool = SearchPool::per_core();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (index, all, next, pool) = (index.clone(), all.clone(), next.clone(), pool.clone());
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut matched = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = all.get(i) else { break };
                let (search, index) = (tantivy_search(p), index.clone());
                let t = Instant::now();
                let page = pool
                    .run(move || search::search(&index, &search))
                    .await
                    .expect("the search ran")
                    .expect("a search");
                latencies.push(t.elapsed());
                matched += page.found.total;
            }
            (latencies, matched)
        }));
    }
    let mut latencies = Vec::new();
    let mut matched = 0;
    for client in clients {
        let (l, m) = client.await?;
        latencies.extend(l);
        matched += m;
    }
    let wall = started.elapsed();
    latencies.sort();
    report.line(format!(
        "tantivy query (text + filters + 50 km circle + facets + top 20), concurrency 8 through the service's SearchPool ({} threads): p50 {}, p99 {}, max {}, {:.0} queries/s, {:.0} matches per query on average; RSS {:.0} MiB",
        std::thread::available_parallelism().map_or(1, usize::from),
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 99.0)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        latencies.len() as f64 / wall.as_secs_f64(),
        matched as f64 / latencies.len().max(1) as f64,
        rss_mib()
    ));

    // For contrast: 8 threads searching at once, time-sliced by the kernel.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut threads = Vec::new();
    for _ in 0..8 {
        let (index, all, next) = (index.clone(), all.clone(), next.clone());
        threads.push(std::thread::spawn(move || {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = all.get(i) else { break };
                let search = tantivy_search(p);
                let t = Instant::now();
                search::search(&index, &search).expect("a search");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for thread in threads {
        latencies.extend(thread.join().expect("a query thread"));
    }
    let wall = started.elapsed();
    latencies.sort();
    report.line(format!(
        "the same, 8 threads searching at once (no pool): p50 {}, p99 {}, max {}, {:.0} queries/s",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 99.0)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        latencies.len() as f64 / wall.as_secs_f64(),
    ));

    // === 3. freshness under a steady event rate ===
    freshness(&index, dir.path(), &mut report).await?;

    // === 2b. PostgreSQL full-text search baseline ===
    let url = std::env::var("ESTOSPACES_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    // PostgreSQL is far slower per query: fewer queries keep the run short (same parameters,
    // the first ones of the list). BENCH_POSTGRES=0 skips the baseline.
    let pg_queries: usize = std::env::var("BENCH_PG_QUERIES")
        .ok()
        .and_then(|q| q.parse().ok())
        .unwrap_or(400)
        .min(all.len());
    if std::env::var("BENCH_POSTGRES").as_deref() != Ok("0") {
        let pg_params = Arc::new(all[..pg_queries].to_vec());
        if let Err(err) = postgres(&url, n, &pg_params, &mut report).await {
            report.line(format!("PostgreSQL baseline failed: {err:#}"));
        }
    }

    let out = std::env::temp_dir().join("estospaces-search-bench.md");
    std::fs::write(&out, report.0.join("\n") + "\n")?;
    println!("written to {}", out.display());
    Ok(())
}

/// Appends `property.listed` events to an embedded log at 200 events/s for 15 s while an
/// indexer (100 ms batches, as deployed) consumes them; reports event-to-searchable times.
async fn freshness(
    index: &Arc<SearchIndex>,
    dir: &std::path::Path,
    report: &mut Report,
) -> anyhow::Result<()> {
    let log = EventLog::open(&dir.join("events.db")).await?;
    let probe: FreshnessProbe = FreshnessProbe::default();
    let positions: Positions = index.positions()?;
    let source = log.subscribe(
        &format!("bench.{}", positions.generation),
        &["estospaces.property.v1"],
    );
    let indexer = Indexer::new(
        index.clone(),
        source,
        IndexerConfig::from(&SearchSettings::default()),
        None,
        Some(probe.clone()),
    )?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(indexer.run(stopped));
    let rate = 200;
    let seconds = 15;
    let base = 50_000_000;
    let started = Instant::now();
    for tick in 0..(seconds * 20) {
        let records: Vec<OutgoingRecord> = (0..rate / 20)
            .map(|k| {
                let i = base + tick * 100 + k;
                let listing = synthetic(i);
                let envelope = EventEnvelope {
                    event_id: uuid::Uuid::now_v7().to_string(),
                    event_type: "property.listed".to_owned(),
                    source: "property".to_owned(),
                    aggregate_type: "property".to_owned(),
                    aggregate_id: listing.id.clone(),
                    aggregate_sequence: 1,
                    occurred_at: Some(prost_types::Timestamp::from(SystemTime::now())),
                    payload: Some(prost_types::Any {
                        type_url: pb::PropertyListed::type_url(),
                        value: pb::PropertyListed {
                            property: listing.property,
                        }
                        .encode_to_vec(),
                    }),
                    ..Default::default()
                };
                OutgoingRecord {
                    topic: "estospaces.property.v1".to_owned(),
                    key: listing.id,
                    payload: envelope.encode_to_vec(),
                    headers: vec![],
                }
            })
            .collect();
        for result in log.publish(&records).await {
            result?;
        }
        tokio::time::sleep_until(tokio::time::Instant::from_std(
            started + Duration::from_millis(50 * (tick as u64 + 1)),
        ))
        .await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop.send(true);
    task.await??;
    let mut ages = probe.lock().expect("not poisoned").clone();
    ages.sort();
    report.line(format!(
        "freshness (property.listed appended to the embedded log → searchable), {rate} events/s for {seconds} s on the full index: {} events, p50 {}, p99 {}, max {}",
        ages.len(),
        ms(percentile(&ages, 50.0)),
        ms(percentile(&ages, 99.0)),
        ms(*ages.last().unwrap_or(&Duration::ZERO))
    ));
    Ok(())
}

async fn postgres(
    url: &str,
    n: usize,
    all: &Arc<Vec<Params>>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
    let name = format!("bench_search_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    let db_url = match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => anyhow::bail!("a database URL with a path"),
    };
    let result = postgres_in(&db_url, n, all, report).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&admin)
        .await?;
    result
}

async fn postgres_in(
    url: &str,
    n: usize,
    all: &Arc<Vec<Params>>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
    sqlx::query(
        "CREATE TABLE listings (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, city TEXT NOT NULL,
            kind INT NOT NULL, ptype INT NOT NULL, price BIGINT NOT NULL, bedrooms INT NOT NULL,
            bathrooms INT NOT NULL, guests INT NOT NULL, amenities INT[] NOT NULL, instant BOOLEAN NOT NULL,
            lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL, created BIGINT NOT NULL,
            tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description || ' ' || city)) STORED
        )",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    let chunk = 50_000;
    let mut i = 0;
    while i < n {
        let mut copy = conn.copy_in_raw("COPY listings (id, title, description, city, kind, ptype, price, bedrooms, bathrooms, guests, amenities, instant, lat, lon, created) FROM STDIN").await?;
        let mut buffer = String::with_capacity(chunk * 300);
        for j in i..(i + chunk).min(n) {
            let listing = synthetic(j);
            let p = listing.property.expect("a snapshot");
            let address = p.address.clone().unwrap_or_default();
            let location = address.location.unwrap_or_default();
            let amenities: Vec<String> = p.amenities.iter().map(ToString::to_string).collect();
            buffer.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{{{}}}\t{}\t{}\t{}\t{}\n",
                listing.id,
                p.title,
                p.description,
                address.locality,
                p.kind,
                p.property_type,
                estospaces_search::listing::headline_price(&p),
                p.bedrooms,
                p.bathrooms,
                p.max_guests,
                amenities.join(","),
                p.booking_mode == 1,
                location.latitude,
                location.longitude,
                p.create_time.map_or(0, |t| t.seconds),
            ));
        }
        copy.send(buffer.as_bytes()).await?;
        copy.finish().await?;
        i += chunk;
    }
    drop(conn);
    let loaded = started.elapsed();
    let started = Instant::now();
    for statement in [
        "CREATE INDEX listings_tsv ON listings USING GIN (tsv)",
        "CREATE INDEX listings_geo ON listings (lat, lon)",
        "CREATE INDEX listings_price ON listings (kind, price)",
        "CREATE INDEX listings_amenities ON listings USING GIN (amenities)",
        "VACUUM ANALYZE listings",
    ] {
        sqlx::query(statement).execute(&pool).await?;
    }
    let indexed = started.elapsed();
    let size: i64 = sqlx::query("SELECT pg_total_relation_size('listings') AS size")
        .fetch_one(&pool)
        .await?
        .try_get("size")?;
    report.line(format!(
        "PostgreSQL loading: {n} rows by COPY in {:.1} s, then indexes in {:.1} s = {:.0} listings/s overall; table + indexes {:.0} MiB",
        loaded.as_secs_f64(),
        indexed.as_secs_f64(),
        n as f64 / (loaded + indexed).as_secs_f64(),
        size as f64 / 1_048_576.0
    ));

    // The same match set as the tantivy query (bounding box, then the exact circle), top 20 by
    // rank, and the three facets, in one statement.
    let sql = "
        WITH m AS (
            SELECT id, ptype, price, amenities, ts_rank(tsv, q) AS rank
            FROM listings, to_tsquery('simple', $1) q
            WHERE tsv @@ q AND kind = 1 AND price BETWEEN $2 AND $3 AND bedrooms >= $4
              AND amenities @> ARRAY[$5]::INT[]
              AND lat BETWEEN $6 AND $7 AND lon BETWEEN $8 AND $9
              AND 2 * 6371008.8 * asin(sqrt(power(sin(radians(lat - $10) / 2), 2)
                  + cos(radians($10)) * cos(radians(lat)) * power(sin(radians(lon - $11) / 2), 2))) <= $12
        )
        SELECT
            (SELECT count(*) FROM m) AS total,
            (SELECT json_agg(t)::TEXT FROM (SELECT id FROM m ORDER BY rank DESC, id LIMIT 20) t) AS top,
            (SELECT json_agg(f)::TEXT FROM (SELECT ptype, count(*) FROM m GROUP BY ptype) f) AS types,
            (SELECT json_agg(a)::TEXT FROM (SELECT x, count(*) FROM m, unnest(amenities) x GROUP BY x) a) AS amenity_counts,
            (SELECT json_agg(h)::TEXT FROM (SELECT price / 10000 AS bucket, count(*) FROM m GROUP BY 1) h) AS prices";
    let run_one = move |pool: sqlx::PgPool, p: Params| async move {
        let dlat = (p.radius / 6_371_008.8_f64).to_degrees();
        let dlon = dlat / p.lat.to_radians().cos();
        sqlx::query(sql)
            .bind(&p.word)
            .bind(p.min_price)
            .bind(p.max_price)
            .bind(p.min_bedrooms)
            .bind(p.amenity)
            .bind(p.lat - dlat)
            .bind(p.lat + dlat)
            .bind(p.lon - dlon)
            .bind(p.lon + dlon)
            .bind(p.lat)
            .bind(p.lon)
            .bind(p.radius)
            .fetch_one(&pool)
            .await
            .map(|row| row.try_get::<i64, _>("total").unwrap_or(0))
    };
    for p in all.iter().take(50) {
        run_one(pool.clone(), p.clone()).await?;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (pool, all, next) = (pool.clone(), all.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut matched = 0i64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = all.get(i) else { break };
                let t = Instant::now();
                matched += run_one(pool.clone(), p.clone()).await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, sqlx::Error>((latencies, matched))
        }));
    }
    let mut latencies = Vec::new();
    let mut matched = 0;
    for task in tasks {
        let (l, m) = task.await??;
        latencies.extend(l);
        matched += m;
    }
    let wall = started.elapsed();
    latencies.sort();
    report.line(format!(
        "PostgreSQL FTS query (same parameters, exact words only; {} queries), concurrency 8: p50 {}, p99 {}, max {}, {:.0} queries/s, {:.0} matches per query on average",
        latencies.len(),
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 99.0)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        latencies.len() as f64 / wall.as_secs_f64(),
        matched as f64 / latencies.len().max(1) as f64
    ));
    Ok(())
}
