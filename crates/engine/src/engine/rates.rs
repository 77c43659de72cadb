//! A torrent's transfer rates as the user sees them: the bytes librqbit counted
//! over the last few seconds, divided by the time. librqbit's own estimate swings
//! between a rate and zero when a peer sends in bursts (a throttled one does, every
//! half second), which a once-a-second look turns into a rate that reads 0.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The span the rates are measured over.
const WINDOW: Duration = Duration::from_secs(5);
/// A shorter span than this gives no rate of ours (librqbit's is shown).
const SHORTEST: Duration = Duration::from_secs(1);

/// librqbit's byte counters of one torrent at a few moments.
#[derive(Debug, Default)]
pub(super) struct RateWindow {
    /// (when, bytes received, bytes sent), oldest first; the first is the latest
    /// at least [`WINDOW`] old, when there is one.
    samples: VecDeque<(Instant, u64, u64)>,
}

impl RateWindow {
    /// Notes the counters at `at`. Counters lower than before (librqbit counts
    /// from zero again when it gets the torrent anew) start over.
    pub(super) fn note(&mut self, at: Instant, received: u64, sent: u64) {
        if self
            .samples
            .back()
            .is_some_and(|&(_, r, s)| received < r || sent < s)
        {
            self.samples.clear();
        }
        self.samples.push_back((at, received, sent));
        while self.samples.len() > 2 && self.samples[1].0 + WINDOW <= at {
            self.samples.pop_front();
        }
    }

    /// Bytes per second received and sent, from the oldest sample kept to the
    /// newest (so the rates change only when a sample is noted, and every look
    /// between two sees the same); `None` before there is a second to measure over.
    pub(super) fn rates(&self) -> Option<(u64, u64)> {
        let &(at, r, s) = self.samples.front()?;
        let &(now, received, sent) = self.samples.back()?;
        let span = now.checked_duration_since(at)?;
        if span < SHORTEST || received < r || sent < s {
            return None;
        }
        let per_second = |bytes: u64| (bytes as f64 / span.as_secs_f64()).round() as u64;
        Some((per_second(received - r), per_second(sent - s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_are_averaged_over_the_window_and_a_restart_starts_over() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut w = RateWindow::default();
        assert_eq!(w.rates(), None);
        // 500 KB every other second: 250 KB/s, whenever it is looked at.
        for second in 0..=8u64 {
            let received = (second / 2) * 500_000;
            w.note(at(second * 1000), received, 0);
        }
        let (down, up) = w.rates().unwrap();
        assert!((200_000..=300_000).contains(&down), "{down}");
        assert_eq!(up, 0);
        assert!(w.samples.len() <= 7, "only the window is kept");
        // Too soon after the first sample: no rate of ours.
        let mut fresh = RateWindow::default();
        fresh.note(at(0), 100, 100);
        fresh.note(at(500), 200, 200);
        assert_eq!(fresh.rates(), None);
        // Counters from zero again: measured from there.
        w.note(at(9000), 10, 0);
        assert_eq!(w.rates(), None);
        w.note(at(11000), 2010, 0);
        assert_eq!(w.rates(), Some((1000, 0)));
    }
}
