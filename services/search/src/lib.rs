//! The search service: finds listings by text, filters, map area, dates and development
//! project, over an index each replica builds for itself from the property and project events.
//!
//! ```text
//!  estospaces.property.v1 ──┬─▶ indexer ──▶ tantivy index (<data_dir>/search-index)
//!  estospaces.project.v1 ───┘     │   commit = documents + consumed positions, atomically
//!   (units' sale listings)        ├──▶ project_units (the links, kept across rebuilds)
//!                                 └──▶ alerts ──tx──▶ saved_searches / outbox ──▶ estospaces.search.v1
//!  SearchProperties / Autocomplete ◀── searcher (reloaded after every commit)
//! ```
//!
//! - [`listing`]: a listing as the index sees it, built from the events' snapshots.
//! - [`index`]: the tantivy schema, opening, and the commit payload holding the positions.
//! - [`query`]: requests parsed into checked queries, and their tantivy form.
//! - [`word`]: one query word over several fields, cheap to seek.
//! - [`prefilter`]: a compact per-segment copy of the checked values, run ahead of the posting lists.
//! - [`collect`]: one pass over the matches: exact checks, facets and the top page.
//! - [`search`]: running searches and suggestions against the current searcher.
//! - [`pricing`]: what a stay costs, from a listing's short-stay prices.
//! - [`indexer`]: the consumer loop: apply events, commit in batches, then acknowledge.
//! - [`projects`]: which development project each listing sells a unit of, from the project events.
//! - [`alerts`]: saved searches matched against changed listings, throttled, into the outbox.
//! - [`store`]: saved searches on PostgreSQL or SQLite.
//! - [`service`]: the `estospaces.search.v1.SearchService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).

#![forbid(unsafe_code)]

pub mod alerts;
pub mod collect;
pub mod config;
pub mod index;
pub mod indexer;
pub mod listing;
pub mod prefilter;
pub mod pricing;
pub mod projects;
pub mod query;
pub mod search;
pub mod service;
pub mod startup;
pub mod store;
pub mod word;

pub use config::{SearchConfig, SearchSettings};
pub use estospaces_host::Application;
pub use startup::{build, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "search.estospaces.dev";

/// The service's name in logs, traces, the outbox and the embedded database's file name.
pub const SERVICE_NAME: &str = "search";
