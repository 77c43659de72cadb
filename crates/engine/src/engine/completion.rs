//! Notices a download's completion the moment librqbit finishes it, so that the
//! ticker acts on it at once (the `finished` programs and webhooks, the move to a
//! final folder, the queue) rather than at its next second.
//!
//! The ticker keeps one watch per running, unfinished torrent: a task waiting for
//! librqbit's completion notice of the torrent's current run. A stop, a restart or
//! a removal ends that run, and the watch with it.

use super::*;

/// A task waiting for one run of a torrent (librqbit's live state) to finish.
pub(super) struct CompletionWatch {
    /// The live state it waits on (its address).
    live: usize,
    task: tokio::task::AbortHandle,
}

impl Drop for CompletionWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Engine {
    /// Keeps `entry`'s watch on its current run while it runs unfinished, and none
    /// otherwise.
    pub(super) fn watch_completion(
        entry: &mut Entry,
        handle: &Handle,
        finished: bool,
        wake: &Arc<tokio::sync::Notify>,
    ) {
        let Some(live) = handle.live().filter(|_| !finished) else {
            entry.completion = None;
            return;
        };
        let key = Arc::as_ptr(&live) as usize;
        if entry.completion.as_ref().is_some_and(|w| w.live == key) {
            return;
        }
        let wake = wake.clone();
        let task = tokio::spawn(async move {
            live.wait_until_completed().await;
            wake.notify_one();
        })
        .abort_handle();
        entry.completion = Some(CompletionWatch { live: key, task });
    }
}
