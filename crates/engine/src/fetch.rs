//! Fetching a .torrent file from an http(s) URL through the process's outbound
//! client (which refuses private addresses unless `allowPrivateUrls`, checks
//! redirects and caps the time): at most [`MAX_TORRENT_BYTES`], as `cloud-torrent/<version>`.

use std::time::Duration;

use cloud_torrent_outbound::{FetchError, OutboundClient, Request, UserAgent};
use url::Url;

use crate::error::EngineError;

/// Largest .torrent we accept.
pub const MAX_TORRENT_BYTES: usize = 10 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);

/// Downloads the body of `url`, at most [`MAX_TORRENT_BYTES`].
pub(crate) async fn fetch_torrent(
    client: &OutboundClient,
    url: &str,
) -> Result<Vec<u8>, EngineError> {
    let url = Url::parse(url.trim()).map_err(|e| EngineError::InvalidUrl(e.to_string()))?;
    let request = Request::get(url)
        .user_agent(UserAgent::CloudTorrent)
        .max_bytes(MAX_TORRENT_BYTES)
        .timeout(TIMEOUT);
    let answer = client.send(request).await?;
    if !answer.status.is_success() {
        return Err(EngineError::Fetch(format!(
            "the server answered {}",
            answer.status
        )));
    }
    Ok(answer.body)
}

impl From<FetchError> for EngineError {
    /// A refused URL is the request's fault; anything else is the fetch's.
    fn from(err: FetchError) -> Self {
        if err.is_refused_url() {
            EngineError::InvalidUrl(err.to_string())
        } else {
            EngineError::Fetch(err.to_string())
        }
    }
}
