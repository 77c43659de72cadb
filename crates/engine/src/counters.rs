//! A torrent's lifetime counters: bytes downloaded and uploaded, time spent
//! active and seeding, the last transfer, and the share ratio.
//!
//! librqbit counts bytes only while a torrent runs, from zero at every start, and
//! saves nothing. The ticker moves what librqbit counted since the last look into
//! [`Counters`], which are saved with the torrent's record (every few seconds when
//! they change), so they survive stops, restarts and a crash, losing at most the
//! seconds since the last save.
//!
//! Times are kept as spans: a running torrent's record says since when it runs
//! (and seeds), and the time is added to its total when the span ends. So time
//! passing changes no record, and a thousand idle seeding torrents write nothing.
//! A crash ends the open spans at the engine's last heartbeat (written every few
//! seconds, see `Store::write_heartbeat`).

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
    /// Running since then: `active_ms` is the time before it.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub active_since: Option<OffsetDateTime>,
    /// Seeding since then: `seeding_ms` is the time before it.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub seeding_since: Option<OffsetDateTime>,
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

/// Milliseconds from `start` to `end` (0 when `end` is earlier).
fn ms_between(start: OffsetDateTime, end: OffsetDateTime) -> u64 {
    u64::try_from((end - start).whole_milliseconds()).unwrap_or(0)
}

/// Opens or closes the span `since` of a time whose total is `total`, so that it is
/// open exactly when `on`; returns whether it changed.
fn follow(
    total: &mut u64,
    since: &mut Option<OffsetDateTime>,
    on: bool,
    now: OffsetDateTime,
) -> bool {
    match (*since, on) {
        (None, true) => *since = Some(now),
        (Some(start), false) => {
            *total = total.saturating_add(ms_between(start, now));
            *since = None;
        }
        _ => return false,
    }
    true
}

impl Counters {
    /// Adds what librqbit counted since `seen`, and opens or closes the running and
    /// seeding spans at `now` as the torrent's state says. Returns whether anything
    /// changed: transferred bytes or a span begun or ended (time passing is none).
    pub(crate) fn account(
        &mut self,
        seen: &mut Seen,
        stats: &TorrentStats,
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
        let active = follow(&mut self.active_ms, &mut self.active_since, running, now);
        let seeding = running && stats.finished;
        let seeds = follow(&mut self.seeding_ms, &mut self.seeding_since, seeding, now);
        down > 0 || up > 0 || active || seeds
    }

    /// Time spent running, up to `now` (ms).
    /// Begins the running and seeding spans at `now` where they are not open: a
    /// torrent that seeds without librqbit (a dormant one). Returns whether one began.
    pub(crate) fn begin_seeding(&mut self, now: OffsetDateTime) -> bool {
        let active = follow(&mut self.active_ms, &mut self.active_since, true, now);
        let seeds = follow(&mut self.seeding_ms, &mut self.seeding_since, true, now);
        active || seeds
    }

    pub(crate) fn active_ms_at(&self, now: OffsetDateTime) -> u64 {
        self.active_ms + self.active_since.map_or(0, |s| ms_between(s, now))
    }

    /// Time spent seeding, up to `now` (ms).
    pub(crate) fn seeding_ms_at(&self, now: OffsetDateTime) -> u64 {
        self.seeding_ms + self.seeding_since.map_or(0, |s| ms_between(s, now))
    }

    /// Leaves out the time from `from` to `to`, when the process was not running
    /// (suspended): open spans end at `from` and begin again at `to`. Returns
    /// whether a span was open.
    pub(crate) fn skip(&mut self, from: OffsetDateTime, to: OffsetDateTime) -> bool {
        let mut open = false;
        for (total, since) in [
            (&mut self.active_ms, &mut self.active_since),
            (&mut self.seeding_ms, &mut self.seeding_since),
        ] {
            if let Some(start) = *since {
                *total = total.saturating_add(ms_between(start, from));
                *since = Some(to.max(start));
                open = true;
            }
        }
        open
    }

    /// Ends the open spans at `end` (the last moment the engine is known to have
    /// run, after a crash or a stop), or adds nothing when it is not known.
    pub(crate) fn end_spans(&mut self, end: Option<OffsetDateTime>) {
        for (total, since) in [
            (&mut self.active_ms, &mut self.active_since),
            (&mut self.seeding_ms, &mut self.seeding_since),
        ] {
            if let (Some(start), Some(end)) = (since.take(), end) {
                *total = total.saturating_add(ms_between(start, end));
            }
        }
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
    fn times_are_spans_ended_by_a_stop_a_suspension_or_the_last_heartbeat() {
        let t = |s: i64| OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s);
        let mut c = Counters::default();
        assert!(follow(&mut c.seeding_ms, &mut c.seeding_since, true, t(10)));
        assert!(
            !follow(&mut c.seeding_ms, &mut c.seeding_since, true, t(20)),
            "time passing is no change"
        );
        assert_eq!(c.seeding_ms_at(t(25)), 15_000);
        assert!(follow(
            &mut c.seeding_ms,
            &mut c.seeding_since,
            false,
            t(30)
        ));
        assert_eq!((c.seeding_ms, c.seeding_ms_at(t(99))), (20_000, 20_000));
        // Suspended from 40 to 100: not counted.
        follow(&mut c.active_ms, &mut c.active_since, true, t(35));
        assert!(c.skip(t(40), t(100)));
        assert_eq!(c.active_ms_at(t(110)), 15_000);
        // A crash: the span ends at the last heartbeat.
        c.end_spans(Some(t(102)));
        assert_eq!((c.active_ms, c.active_since), (7_000, None));
        follow(&mut c.active_ms, &mut c.active_since, true, t(200));
        c.end_spans(None);
        assert_eq!((c.active_ms, c.active_since), (7_000, None));
        let back: Counters = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
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
