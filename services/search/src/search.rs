//! Searches and suggestions against the index's current searcher. CPU-bound: the handlers run
//! these through a [`SearchPool`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tantivy::Term;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::collect::{Found, Hit, Order, SearchCollector};
use crate::index::{IndexError, SearchIndex, tokens};
use crate::listing::StoredListing;
use crate::query::ListingQuery;

/// Runs searches on one dedicated thread per core, in arrival order.
///
/// Searches are CPU-bound. On the blocking pool without a limit, more searches than cores
/// time-slice: each takes as long as everything in flight, and one preempted midway waits out
/// the others' slices. Queued in order instead, a search waits only for those ahead of it and
/// then runs uninterrupted: the same throughput with a much shorter tail (docs/benchmarks.md).
/// The threads take the next search themselves as soon as one ends, with no hand-off through
/// the async runtime in between.
#[derive(Debug, Clone)]
pub struct SearchPool {
    queue: std::sync::mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

/// A search that ended without an answer: it panicked.
#[derive(Debug, thiserror::Error)]
#[error("the search stopped without an answer")]
pub struct Abandoned;

impl SearchPool {
    pub fn new(threads: usize) -> Self {
        let (queue, jobs) = std::sync::mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads.max(1) {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("search-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting: the next idle thread takes the
                        // next search. The queue closes when the last pool handle is dropped.
                        let job = jobs
                            .lock()
                            .unwrap_or_else(|poison| poison.into_inner())
                            .recv();
                        let Ok(job) = job else { return };
                        job();
                    }
                })
                .expect("a search thread starts");
        }
        Self { queue }
    }

    /// One thread per core the process may use.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Runs `work` on the pool's next free thread.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Abandoned> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A panicking search drops `answer` (the caller gets `Abandoned`), not the thread.
            if let Ok(value) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
                let _ = answer.send(value);
            }
        });
        self.queue.send(job).map_err(|_| Abandoned)?;
        answered.await.map_err(|_| Abandoned)
    }
}

/// A search, checked.
#[derive(Debug, Clone)]
pub struct Search {
    pub query: ListingQuery,
    pub order: Order,
    pub offset: usize,
    pub page_size: usize,
    pub histogram_interval: u64,
}

/// One listing of a page.
#[derive(Debug, Clone)]
pub struct Match {
    pub listing: StoredListing,
    pub hit: Hit,
}

/// A page and the counts over all matches.
#[derive(Debug, Clone)]
pub struct Page {
    pub matches: Vec<Match>,
    pub found: Found,
}

/// Runs `search`.
pub fn search(index: &SearchIndex, search: &Search) -> Result<Page, IndexError> {
    let (found, searcher) = collect(
        index,
        &search.query,
        search.order,
        search.offset + search.page_size,
        search.histogram_interval,
        None,
    )?;
    let mut matches = Vec::with_capacity(search.page_size);
    for hit in found.top.iter().skip(search.offset) {
        matches.push(Match {
            listing: index.stored(&searcher, hit.address)?,
            hit: *hit,
        });
    }
    Ok(Page { matches, found })
}

/// Whether listing `id` matches `query` now.
pub fn matches(index: &SearchIndex, query: &ListingQuery, id: &str) -> Result<bool, IndexError> {
    let (found, _) = collect(index, query, Order::Newest, 0, 1, Some(id))?;
    Ok(found.total > 0)
}

fn collect(
    index: &SearchIndex,
    query: &ListingQuery,
    order: Order,
    limit: usize,
    histogram_interval: u64,
    only: Option<&str>,
) -> Result<(Found, tantivy::Searcher), IndexError> {
    let searcher = index.searcher();
    let collector = SearchCollector {
        order,
        limit,
        checks: query.checks(),
        histogram_interval,
        scoring: query.has_text() && order == Order::Relevance,
    };
    let tantivy_query = query.to_tantivy(index.fields(), index.tables(), only);
    let found = searcher.search(tantivy_query.as_ref(), &collector)?;
    Ok((found, searcher))
}

/// A place suggestion: a city as written in a listing, and how many published listings it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceCount {
    pub place: String,
    pub count: u64,
}

/// Cities and listing titles starting with `prefix`: at most `limit` of each.
pub fn autocomplete(
    index: &SearchIndex,
    prefix: &str,
    limit: usize,
) -> Result<(Vec<PlaceCount>, Vec<StoredListing>), IndexError> {
    let searcher = index.searcher();
    let f = index.fields();
    let folded = tokens(prefix).join(" ");
    if folded.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let published = || -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_u64(f.published, 1),
            IndexRecordOption::Basic,
        ))
    };

    let mut places = Vec::new();
    for city in terms_with_prefix(&searcher, f.city_key, &folded, 50)? {
        let query = BooleanQuery::new(vec![
            (Occur::Must, published()),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.city_key, &city),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        let (count, top) =
            searcher.search(&query, &(Count, TopDocs::with_limit(1).order_by_score()))?;
        if let Some((_, address)) = top.first() {
            let listing = index.stored(&searcher, *address)?;
            let place = listing
                .property
                .and_then(|property| property.address)
                .map(|address| address.locality)
                .unwrap_or(city);
            places.push(PlaceCount {
                place,
                count: count as u64,
            });
        }
    }
    places.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.place.cmp(&b.place)));
    places.truncate(limit);

    // Titles: the last word may be unfinished, the ones before it are whole.
    let words = tokens(prefix);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, published())];
    if let Some((last, whole)) = words.split_last() {
        for word in whole {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.title, word),
                    IndexRecordOption::WithFreqs,
                )),
            ));
        }
        let completions: Vec<(Occur, Box<dyn Query>)> =
            terms_with_prefix(&searcher, f.title, last, 30)?
                .into_iter()
                .map(|term| -> (Occur, Box<dyn Query>) {
                    (
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(
                            Box::new(TermQuery::new(
                                Term::from_field_text(f.title, &term),
                                IndexRecordOption::Basic,
                            )),
                            1.0,
                        )),
                    )
                })
                .collect();
        if completions.is_empty() {
            return Ok((places, Vec::new()));
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(completions))));
    }
    let top = searcher.search(
        &BooleanQuery::new(clauses),
        &TopDocs::with_limit(limit.max(1)).order_by_score(),
    )?;
    let mut listings = Vec::with_capacity(top.len());
    for (_, address) in top {
        listings.push(index.stored(&searcher, address)?);
    }
    Ok((places, listings))
}

/// Up to `max` distinct terms of `field` starting with `prefix`, over all segments.
fn terms_with_prefix(
    searcher: &tantivy::Searcher,
    field: Field,
    prefix: &str,
    max: usize,
) -> Result<Vec<String>, IndexError> {
    let mut upper = prefix.as_bytes().to_vec();
    upper.push(0xff);
    let mut terms = BTreeMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .lt(&upper)
            .into_stream()?;
        let mut seen = 0;
        while stream.advance() && seen < max {
            if let Ok(term) = std::str::from_utf8(stream.key()) {
                terms.insert(term.to_owned(), ());
            }
            seen += 1;
        }
    }
    Ok(terms.into_keys().take(max).collect())
}

#[cfg(test)]
mod pool_tests {
    use super::*;

    #[tokio::test]
    async fn a_search_that_panics_is_abandoned_and_the_pool_keeps_serving() {
        let pool = SearchPool::new(1);
        let failed = pool.run(|| -> u32 { panic!("a broken search") }).await;
        assert!(matches!(failed, Err(Abandoned)));
        assert_eq!(pool.run(|| 7).await.expect("an answer"), 7);
    }

    #[tokio::test]
    async fn searches_run_on_at_most_the_pools_threads_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = SearchPool::new(2);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let searches: Vec<_> = (0..8)
            .map(|_| {
                let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for search in searches {
            search.await.expect("a task").expect("an answer");
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
