//! The one HTTP client of cloud-torrent's server-side fetches: .torrent URLs,
//! search providers, and whatever else the server fetches on a user's behalf.
//!
//! It is built once for the process ([`OutboundClient::new`]) and enforces:
//!
//! * http and https only, at most 5 redirects, each checked like the first URL;
//! * no private, loopback or link-local address ([`is_private`]) unless
//!   `allowPrivateUrls` is on or the call allows that exact origin
//!   ([`AllowedOrigins`]): IP-literal hosts are checked before connecting, and
//!   host names where they are resolved, so redirects and DNS rebinding cannot
//!   get around it;
//! * a size cap and a total time per call, and a connect timeout;
//! * no proxy from the environment, and no `Referer` on redirects.
//!
//! What differs between callers (User-Agent, size cap, time, headers, body,
//! allowed origins) is a [`Request`] option. Failures are one [`FetchError`].

#![warn(missing_docs)]

mod address;
mod check;
mod client;
mod error;
mod origins;
mod resolver;
mod sanitize;

pub use address::is_private;
pub use client::{
    ClientOptions, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, MAX_REDIRECTS, OutboundClient, Request,
    Response, UserAgent,
};
pub use error::FetchError;
pub use origins::AllowedOrigins;
/// The header names and values of [`Request::headers`] and [`Response::headers`].
pub use reqwest::header;
pub use sanitize::strip_paths;
