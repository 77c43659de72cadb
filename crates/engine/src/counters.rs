//! A torrent's lifetime counters: bytes downloaded and uploaded, time spent
//! active and seeding, the last transfer, and the share ratio.
//!
//! librqbit counts bytes only while a torrent runs, from zero at every start, and
//! saves nothing. The ticker moves what librqbit counted since the last look into
//! [`Counters`], which are saved with the torrent's record (every few seconds when
//! they change), so they survive stops, restarts and a crash, losing at most the
//! seconds since the last save.

use std::time::Duration;

use librqbit::{TorrentStats, TorrentStatsState};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a torrent has done over its lifetime.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Counters {
    /// Payload bytes received from peers.
    #[serde(default)]
    pub downloaded: u64,
    /// Payload bytes sent to peers.
    #[serde(default, alias = "uploadedBefore")]
    pub uploaded: u64,
    /// Time spent running with every selected file complete.
    #[serde(default)]
    pub seeding_ms: u64,
    /// Time spent running (downloading or seeding).
    #[serde(default)]
    pub active_ms: u64,
    /// When payload was last sent or received.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_activity: Option<OffsetDateTime>,
}

/// librqbit's per-run counters as last accounted.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seen {
    uploaded: u64,
    fetched: u64,
}

/// Bytes counted since `seen` by a counter that restarts from zero with each run.
fn since(seen: u64, now: u64) -> u64 {
    if now >= seen { now - seen } else { now }
}

impl Counters {
    /// Adds what librqbit counted since `seen`, and `elapsed` to the times that apply
    /// to the torrent's state. Returns whether anything changed.
    pub(crate) fn account(
        &mut self,
        seen: &mut Seen,
        stats: &TorrentStats,
        elapsed: Duration,
        now: OffsetDateTime,
    ) -> bool {
        let fetched = stats.live.as_ref().map_or(0, |l| l.snapshot.fetched_bytes);
        let down = since(seen.fetched, fetched);
        let up = since(seen.uploaded, stats.uploaded_bytes);
        *seen = Seen {
            uploaded: stats.uploaded_bytes,
            fetched,
        };
        self.downloaded += down;
        self.uploaded += up;
        if down > 0 || up > 0 {
            self.last_activity = Some(now);
        }
        let running = matches!(stats.state, TorrentStatsState::Live);
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        if running && ms > 0 {
            self.active_ms = self.active_ms.saturating_add(ms);
            if stats.finished {
                self.seeding_ms = self.seeding_ms.saturating_add(ms);
            }
        }
        down > 0 || up > 0 || (running && ms > 0)
    }

    /// These counters with what librqbit counted since `seen` (for a view between
    /// two ticks).
    pub(crate) fn with_unseen(&self, seen: &Seen, stats: &TorrentStats) -> Counters {
        let fetched = stats.live.as_ref().map_or(0, |l| l.snapshot.fetched_bytes);
        Counters {
            downloaded: self.downloaded + since(seen.fetched, fetched),
            uploaded: self.uploaded + since(seen.uploaded, stats.uploaded_bytes),
            ..self.clone()
        }
    }

    /// uploaded / downloaded; divided by the verified bytes instead when less than
    /// 1 % of them was downloaded (data that was already on disk); 0 when nothing
    /// is known.
    pub(crate) fn ratio(&self, verified: u64) -> f64 {
        let base = if self.downloaded.saturating_mul(100) < verified {
            verified
        } else {
            self.downloaded
        };
        if base == 0 {
            0.0
        } else {
            self.uploaded as f64 / base as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_follows_the_download_or_the_data_held() {
        let c = |downloaded, uploaded| Counters {
            downloaded,
            uploaded,
            ..Counters::default()
        };
        assert_eq!(c(0, 0).ratio(0), 0.0);
        assert_eq!(c(1000, 500).ratio(1000), 0.5);
        assert_eq!(c(1000, 3000).ratio(1000), 3.0);
        // Data already on disk: 5 bytes fetched of 1000 verified.
        assert_eq!(c(5, 2000).ratio(1000), 2.0);
        assert_eq!(c(0, 10).ratio(0), 0.0);
        // Exactly 1 % downloaded counts the download.
        assert_eq!(c(10, 20).ratio(1000), 2.0);
    }

    #[test]
    fn counters_restarting_from_zero_are_added_not_subtracted() {
        assert_eq!(since(100, 150), 50);
        assert_eq!(since(100, 30), 30);
        assert_eq!(since(0, 0), 0);
    }

    #[test]
    fn old_records_keep_their_upload_count() {
        let c: Counters = serde_json::from_str(r#"{"uploadedBefore": 42}"#).unwrap();
        assert_eq!(c.uploaded, 42);
        assert_eq!(c.downloaded, 0);
        let back: Counters = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
