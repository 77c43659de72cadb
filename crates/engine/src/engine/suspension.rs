//! Notices when the whole process was stopped (SIGSTOP, a debugger, a frozen
//! container), so that the time it was stopped does not count as seeding.
//!
//! A thread of its own sleeps a second at a time and reports a wake-up that came
//! much later than asked for. A busy async runtime or a slow disk delays the
//! engine's ticker but not this thread, so they are not taken for a suspension.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// How long the thread sleeps between looks.
const STEP: Duration = Duration::from_secs(1);
/// A wake-up this much later than asked for means the process was stopped.
const LATE_BY: Duration = Duration::from_secs(4);

/// The periods the process was stopped, from a watching thread; the thread ends
/// when this is dropped.
pub(super) struct SuspensionWatch {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// Stopped periods not taken yet: (from, to), wall-clock times.
    periods: Mutex<Vec<(OffsetDateTime, OffsetDateTime)>>,
    done: AtomicBool,
}

impl SuspensionWatch {
    /// Starts the watching thread (none when the system refuses one: then no
    /// suspension is noticed).
    pub(super) fn start() -> SuspensionWatch {
        let shared = Arc::new(Shared::default());
        let watched = shared.clone();
        let started = std::thread::Builder::new()
            .name("suspension-watch".into())
            .spawn(move || watch(&watched));
        if let Err(e) = started {
            tracing::warn!("cannot watch for suspensions of the process: {e}");
        }
        SuspensionWatch { shared }
    }

    /// The periods the process was stopped since the last call, oldest first.
    pub(super) fn take(&self) -> Vec<(OffsetDateTime, OffsetDateTime)> {
        std::mem::take(
            &mut *self
                .shared
                .periods
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }
}

impl Drop for SuspensionWatch {
    fn drop(&mut self) {
        self.shared.done.store(true, Ordering::Relaxed);
    }
}

fn watch(shared: &Shared) {
    while !shared.done.load(Ordering::Relaxed) {
        let asleep = Instant::now();
        std::thread::sleep(STEP);
        if let Some(stopped) = stopped_for(asleep.elapsed()) {
            let to = OffsetDateTime::now_utc();
            let from = to - stopped;
            shared
                .periods
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((from, to));
        }
    }
}

/// How long the process was stopped, given how long a sleep of [`STEP`] took.
fn stopped_for(slept: Duration) -> Option<Duration> {
    let late = slept.saturating_sub(STEP);
    (late > LATE_BY).then_some(late)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_wake_up_seconds_late_is_a_stop() {
        assert_eq!(stopped_for(Duration::from_millis(1_003)), None);
        assert_eq!(stopped_for(Duration::from_millis(4_900)), None);
        assert_eq!(
            stopped_for(Duration::from_secs(31)),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn an_undisturbed_process_reports_no_stop() {
        let watch = SuspensionWatch::start();
        std::thread::sleep(Duration::from_millis(2_500));
        assert!(watch.take().is_empty());
    }
}
