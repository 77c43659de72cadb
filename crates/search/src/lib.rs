//! Torrent search of cloud-torrent.
//!
//! Providers come from a JSON file (see `search-providers.example.json` at the
//! root of the repository) that maps a provider id to either
//!
//! * a **scraper** entry in Cloud Torrent's `scraper-config.json` format, unchanged:
//!   a URL template, an optional `list` CSS selector for result rows and a
//!   `result` map of field → extractors (CSS selector, `@attr`, `/regex/`,
//!   `s/re/repl/`, `trim()`, `html()`, `query-param(name)`, `first()`, `node(i)`).
//!   An id ending in `/item` is the second phase of the provider with the same
//!   prefix. When the answer is JSON, `list` and the fields are JSON paths; or
//! * a **Torznab** indexer (Jackett, Prowlarr): `{"type": "torznab", "url", "apikey"}`.
//!   The apikey stays on the server: results carry an opaque `item` and the
//!   server fetches the .torrent itself.
//!
//! [`Searcher`] is the entry point: it reloads the file when it changes, runs the
//! providers in parallel with a timeout each, merges their results and resolves a
//! result into something the engine can add ([`Resolved`]).

#![warn(missing_docs)]

mod config;
mod error;
mod extract;
#[cfg(test)]
mod fuzz;
mod html;
mod http;
mod json;
mod resolve;
mod result;
mod scrape;
mod searcher;
mod template;
mod torznab;

pub use config::check_file;
pub use error::{FailureKind, ProviderError, SearchError};
pub use resolve::{AddRequest, Resolved};
pub use result::{ItemLinks, SearchResult, parse_size};
pub use searcher::{
    ProviderInfo, ProviderKind, ProviderProblem, SearchQuery, SearchResponse, Searcher,
};
