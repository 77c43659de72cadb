//! The queue: which of the torrents a user wants running may run, when only a few
//! may at once (as qBittorrent's and Transmission's queues).
//!
//! Torrents are taken in queue order: incomplete ones against `max_downloads`,
//! complete ones against `max_seeds`, all of them against `max_total`. A
//! force-started torrent always runs and counts against nothing; with the slow
//! rule, a running torrent that stayed below both rates long enough keeps running
//! but counts against nothing either, so that stalled torrents do not hold the
//! slots. [`admit`] is a pure function of the limits and the candidates.

use std::time::Duration;

/// The queue's settings; `None` limits are unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueLimits {
    /// Whether the queue holds anything back at all.
    pub enabled: bool,
    /// Incomplete torrents running at once.
    pub max_downloads: Option<usize>,
    /// Complete torrents running at once.
    pub max_seeds: Option<usize>,
    /// Torrents running at once.
    pub max_total: Option<usize>,
    /// Running torrents this slow for this long do not count.
    pub slow: Option<SlowRule>,
}

/// When a running torrent is too slow to count against the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowRule {
    /// Bytes per second received below which a torrent is slow.
    pub download_rate: u64,
    /// Bytes per second sent below which a torrent is slow.
    pub upload_rate: u64,
    /// How long it must stay below both.
    pub after: Duration,
}

/// A torrent the user wants running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Its place in the queue (smaller runs first).
    pub order: u64,
    /// All its selected files are complete.
    pub complete: bool,
    /// Force-started.
    pub forced: bool,
    /// Running, and slow for long enough under the slow rule.
    pub slow: bool,
}

/// Which of `candidates` may run, in their order.
pub(crate) fn admit(limits: &QueueLimits, candidates: &[Candidate]) -> Vec<bool> {
    let mut admitted = vec![!limits.enabled; candidates.len()];
    if !limits.enabled {
        return admitted;
    }
    let mut by_order: Vec<usize> = (0..candidates.len()).collect();
    by_order.sort_by_key(|&i| candidates[i].order);
    let room = |count: usize, max: Option<usize>| max.is_none_or(|max| count < max);
    let (mut downloads, mut seeds) = (0, 0);
    // Downloads take their slots first, then seeds, both within the total.
    for complete in [false, true] {
        for &i in by_order
            .iter()
            .filter(|&&i| candidates[i].complete == complete)
        {
            let c = &candidates[i];
            if c.forced || c.slow {
                admitted[i] = true;
                continue;
            }
            let (count, max) = if complete {
                (seeds, limits.max_seeds)
            } else {
                (downloads, limits.max_downloads)
            };
            if room(count, max) && room(downloads + seeds, limits.max_total) {
                if complete {
                    seeds += 1;
                } else {
                    downloads += 1;
                }
                admitted[i] = true;
            }
        }
    }
    admitted
}

/// A move in the queue (`POST /api/v1/torrents/{infoHash}/queue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum QueueMove {
    Top,
    Up,
    Down,
    Bottom,
}

/// `list` (queue orders, in queue order) with the element at `index` moved; the
/// same set of order values, handed out again in the new order.
pub(crate) fn reorder(list: &[u64], index: usize, movement: QueueMove) -> Vec<u64> {
    let mut items: Vec<usize> = (0..list.len()).collect();
    let item = items.remove(index);
    let to = match movement {
        QueueMove::Top => 0,
        QueueMove::Up => index.saturating_sub(1),
        QueueMove::Down => (index + 1).min(items.len()),
        QueueMove::Bottom => items.len(),
    };
    items.insert(to, item);
    let mut values = list.to_vec();
    values.sort_unstable();
    let mut out = vec![0; list.len()];
    for (value, item) in values.into_iter().zip(items) {
        out[item] = value;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dl(order: u64) -> Candidate {
        Candidate {
            order,
            complete: false,
            forced: false,
            slow: false,
        }
    }

    fn seed(order: u64) -> Candidate {
        Candidate {
            complete: true,
            ..dl(order)
        }
    }

    fn limits(downloads: usize, seeds: usize, total: usize) -> QueueLimits {
        QueueLimits {
            enabled: true,
            max_downloads: Some(downloads),
            max_seeds: Some(seeds),
            max_total: Some(total),
            slow: None,
        }
    }

    #[test]
    fn off_admits_everything() {
        let all = [dl(1), dl(2), seed(3)];
        assert_eq!(admit(&QueueLimits::default(), &all), [true, true, true]);
    }

    #[test]
    fn downloads_and_seeds_fill_their_slots_in_queue_order() {
        // Listed out of order: the order field decides.
        let c = [dl(3), dl(1), dl(2), seed(5), seed(4)];
        assert_eq!(
            admit(&limits(2, 1, 8), &c),
            [false, true, true, false, true]
        );
        // The total caps both.
        assert_eq!(
            admit(&limits(2, 5, 2), &c),
            [false, true, true, false, false]
        );
        assert_eq!(
            admit(&limits(5, 5, 3), &c),
            [true, true, true, false, false]
        );
        let unlimited = QueueLimits {
            max_downloads: None,
            ..limits(0, 1, 99)
        };
        assert_eq!(admit(&unlimited, &c), [true, true, true, false, true]);
    }

    #[test]
    fn forced_and_slow_torrents_run_without_taking_a_slot() {
        let mut c = [dl(1), dl(2), dl(3)];
        c[0].forced = true;
        assert_eq!(admit(&limits(1, 1, 1), &c), [true, true, false]);
        c[0].forced = false;
        c[0].slow = true;
        c[1].slow = true;
        assert_eq!(admit(&limits(1, 1, 1), &c), [true, true, true]);
    }

    #[test]
    fn moves_keep_the_order_values_and_change_who_has_them() {
        let list = [10, 20, 30, 40];
        assert_eq!(reorder(&list, 3, QueueMove::Top), [20, 30, 40, 10]);
        assert_eq!(reorder(&list, 2, QueueMove::Up), [10, 30, 20, 40]);
        assert_eq!(reorder(&list, 0, QueueMove::Up), [10, 20, 30, 40]);
        assert_eq!(reorder(&list, 1, QueueMove::Down), [10, 30, 20, 40]);
        assert_eq!(reorder(&list, 3, QueueMove::Down), [10, 20, 30, 40]);
        assert_eq!(reorder(&list, 0, QueueMove::Bottom), [40, 10, 20, 30]);
    }
}
