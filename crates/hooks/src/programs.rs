//! Event programs: [`EventProgram`] (a program to run on an event, as configured),
//! [`Programs`] (runs them when an event is fired, at most `max_concurrent` at a
//! time) and [`ProgramRun`] (what became of one run, kept for the last
//! [`RUNS_KEPT`] runs).
//!
//! How a run is set up (arguments, environment, working directory) is in
//! `invocation.rs`, how it is run and ended in `process.rs`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::{Semaphore, broadcast};
use utoipa::ToSchema;

use crate::error::ConfigError;
use crate::event::Event;
use crate::facts::TorrentFacts;
use crate::invocation::{display_os, environment, expand, working_directory};
use crate::process::{self, Invocation};

/// How many runs [`Programs::runs`] keeps.
pub const RUNS_KEPT: usize = 100;
/// A program's time limit unless its `timeoutSeconds` says otherwise.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 600;
/// How many changed runs a slow [`Programs::subscribe`] listener may fall behind.
const CHANGES_BUFFERED: usize = 256;

/// A program to run on an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventProgram {
    /// The event it runs on.
    pub event: Event,
    /// The program's absolute path, then its arguments. `{name}`, `{infoHash}`,
    /// `{contentPath}`, `{savePath}`, `{category}`, `{tags}` (comma-separated),
    /// `{size}` (bytes) and `{event}` are replaced inside each argument; no shell
    /// is involved and an argument is never split.
    pub argv: Vec<String>,
    /// Seconds the program may run before its whole process group is ended.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
}

fn default_timeout_seconds() -> u64 {
    DEFAULT_TIMEOUT_SECONDS
}

impl EventProgram {
    /// Refuses what cannot run: an empty argv, a program given by a relative path
    /// (programs are never looked up in PATH), a time limit of 0.
    pub fn check(&self) -> Result<(), ConfigError> {
        let entry = self.describe();
        let Some(program) = self.argv.first() else {
            return Err(ConfigError::EmptyArgv { entry });
        };
        if !program.starts_with('/') {
            return Err(ConfigError::RelativeProgram {
                entry,
                program: program.clone(),
            });
        }
        if self.timeout_seconds == 0 {
            return Err(ConfigError::ZeroTimeout { entry });
        }
        Ok(())
    }

    /// `event program on finished (/opt/notify.sh)`, for messages.
    pub fn describe(&self) -> String {
        match self.argv.first() {
            Some(program) => format!("event program on {} ({program})", self.event),
            None => format!("event program on {}", self.event),
        }
    }
}

/// One run of an event program: waiting for its turn, running, or done.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgramRun {
    /// Unique in the process, increasing in the order runs were fired.
    pub id: u64,
    /// The event the run is for.
    pub event: Event,
    /// The torrent's info hash.
    pub info_hash: String,
    /// The torrent's name.
    pub name: String,
    /// The program and its arguments, placeholders replaced (lossily shown
    /// when a path is not UTF-8; the program gets the exact bytes).
    pub argv: Vec<String>,
    /// When the event was fired (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub queued_at: OffsetDateTime,
    /// When the program started; null while it waits for a free slot.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<OffsetDateTime>,
    /// When it ended; null while it waits or runs.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
    /// How long it ran, in milliseconds; null until it ends.
    pub duration_ms: Option<u64>,
    /// Its exit code, when it exited (rather than being killed by a signal).
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// True when it ran out of time and its process group was ended.
    pub timed_out: bool,
    /// Why it could not run at all (missing, not executable, bad settings).
    pub error: Option<String>,
    /// The last 64 KiB of its stdout and stderr, merged in the order they arrived
    /// (invalid UTF-8 replaced). Empty until it ends.
    pub output: String,
    /// True when the output was longer and only its end is kept.
    pub output_truncated: bool,
}

impl ProgramRun {
    /// True once the run has ended, whichever way.
    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }
}

/// Runs the event programs of each fired event. Cheap to clone; clones share
/// the programs, the slots and the run list.
#[derive(Clone)]
pub struct Programs {
    shared: Arc<Shared>,
}

struct Shared {
    programs: RwLock<Arc<[EventProgram]>>,
    /// One permit per program allowed to run at a time; waiting runs queue in
    /// the order they were fired.
    slots: Semaphore,
    runs: Mutex<VecDeque<ProgramRun>>,
    next_id: AtomicU64,
    changes: broadcast::Sender<ProgramRun>,
}

impl Programs {
    /// Runs `programs`, at most `max_concurrent` at a time (at least 1).
    pub fn new(programs: Vec<EventProgram>, max_concurrent: usize) -> Programs {
        let (changes, _) = broadcast::channel(CHANGES_BUFFERED);
        Programs {
            shared: Arc::new(Shared {
                programs: RwLock::new(programs.into()),
                slots: Semaphore::new(max_concurrent.max(1)),
                runs: Mutex::new(VecDeque::with_capacity(RUNS_KEPT + 1)),
                next_id: AtomicU64::new(1),
                changes,
            }),
        }
    }

    /// Replaces the programs for the events fired from now on; runs already
    /// fired go on.
    pub fn set(&self, programs: Vec<EventProgram>) {
        *self
            .shared
            .programs
            .write()
            .unwrap_or_else(PoisonError::into_inner) = programs.into();
    }

    /// The programs in use.
    pub fn programs(&self) -> Vec<EventProgram> {
        self.shared
            .programs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .to_vec()
    }

    /// Runs every program configured for `event` on the torrent `facts` tells of.
    /// Returns at once: the runs wait for a free slot and run in the background.
    /// A program whose settings cannot work gets a run with `error` set.
    ///
    /// Must be called within a Tokio runtime (it spawns the runs).
    pub fn fire(&self, event: Event, facts: TorrentFacts) {
        let programs = Arc::clone(
            &self
                .shared
                .programs
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let mut matching = programs.iter().filter(|p| p.event == event).peekable();
        if matching.peek().is_none() {
            return;
        }
        let facts = Arc::new(facts);
        let stdin: Arc<[u8]> = serde_json::to_vec(&facts.json).unwrap_or_default().into();
        for program in matching {
            let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
            let args: Vec<_> = program
                .argv
                .iter()
                .skip(1)
                .map(|arg| expand(arg, event, &facts))
                .collect();
            let mut run = ProgramRun {
                id,
                event,
                info_hash: facts.info_hash.clone(),
                name: facts.name.clone(),
                argv: program
                    .argv
                    .first()
                    .cloned()
                    .into_iter()
                    .chain(args.iter().map(|arg| display_os(arg)))
                    .collect(),
                queued_at: OffsetDateTime::now_utc(),
                started_at: None,
                finished_at: None,
                duration_ms: None,
                exit_code: None,
                signal: None,
                timed_out: false,
                error: None,
                output: String::new(),
                output_truncated: false,
            };
            if let Err(err) = program.check() {
                tracing::warn!("{err}");
                let now = OffsetDateTime::now_utc();
                run.started_at = Some(now);
                run.finished_at = Some(now);
                run.duration_ms = Some(0);
                run.error = Some(err.to_string());
                self.shared.update(run);
                continue;
            }
            self.shared.update(run.clone());
            let invocation = Invocation {
                program: program.argv[0].clone().into(),
                args,
                env: environment(event, &facts, |name| std::env::var_os(name)),
                cwd: working_directory(&facts),
                stdin: Arc::clone(&stdin),
                time_limit: Duration::from_secs(program.timeout_seconds),
            };
            let shared = Arc::clone(&self.shared);
            tokio::spawn(async move { shared.execute(run, invocation).await });
        }
    }

    /// The last [`RUNS_KEPT`] runs, newest first, those waiting and running included.
    pub fn runs(&self) -> Vec<ProgramRun> {
        self.shared.lock_runs().iter().cloned().collect()
    }

    /// Every change of a run from now on (queued, started, finished), as the
    /// changed run. A listener that falls more than 256 changes behind gets
    /// `RecvError::Lagged` and should read [`Programs::runs`] again.
    pub fn subscribe(&self) -> broadcast::Receiver<ProgramRun> {
        self.shared.changes.subscribe()
    }
}

impl Shared {
    fn lock_runs(&self) -> std::sync::MutexGuard<'_, VecDeque<ProgramRun>> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `run` (replacing the run of the same id, or adding it as the
    /// newest) and tells the listeners. A run so old that it fell off the list
    /// is only told.
    fn update(&self, run: ProgramRun) {
        {
            let mut runs = self.lock_runs();
            if let Some(kept) = runs.iter_mut().find(|r| r.id == run.id) {
                *kept = run.clone();
            } else {
                // Newest first, by id: two events fired at once may store their
                // runs in either order.
                let place = runs
                    .iter()
                    .position(|r| r.id < run.id)
                    .unwrap_or(runs.len());
                if place < RUNS_KEPT {
                    runs.insert(place, run.clone());
                    runs.truncate(RUNS_KEPT);
                }
            }
        }
        // No listener is no error.
        let _ = self.changes.send(run);
    }

    async fn execute(&self, mut run: ProgramRun, invocation: Invocation) {
        let Ok(_slot) = self.slots.acquire().await else {
            return; // The semaphore is never closed.
        };
        run.started_at = Some(OffsetDateTime::now_utc());
        self.update(run.clone());
        let started = Instant::now();
        let outcome = process::run(invocation).await;
        run.finished_at = Some(OffsetDateTime::now_utc());
        run.duration_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        run.exit_code = outcome.exit_code;
        run.signal = outcome.signal;
        run.timed_out = outcome.timed_out;
        run.error = outcome.error;
        run.output = outcome.output;
        run.output_truncated = outcome.output_truncated;
        log_end(&run);
        self.update(run);
    }
}

fn log_end(run: &ProgramRun) {
    let program = run.argv.first().map(String::as_str).unwrap_or("");
    if let Some(error) = &run.error {
        tracing::warn!(event = %run.event, torrent = %run.info_hash, "event program {program}: {error}");
    } else if run.timed_out {
        tracing::warn!(event = %run.event, torrent = %run.info_hash, "event program {program} ran out of time and was ended");
    } else if run.exit_code != Some(0) {
        tracing::warn!(event = %run.event, torrent = %run.info_hash, exit_code = ?run.exit_code, signal = ?run.signal, "event program {program} failed");
    } else {
        tracing::debug!(event = %run.event, torrent = %run.info_hash, "event program {program} succeeded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(argv: &[&str], timeout_seconds: u64) -> EventProgram {
        EventProgram {
            event: Event::Finished,
            argv: argv.iter().map(|s| s.to_string()).collect(),
            timeout_seconds,
        }
    }

    #[test]
    fn settings_that_cannot_run_are_refused_with_a_sentence() {
        assert_eq!(
            program(&[], 5).check().unwrap_err().to_string(),
            "event program on finished: argv is empty; give at least the program's absolute path"
        );
        assert_eq!(
            program(&["notify.sh", "{name}"], 5)
                .check()
                .unwrap_err()
                .to_string(),
            "event program on finished (notify.sh): the program \"notify.sh\" is not an absolute path"
        );
        assert_eq!(
            program(&["/opt/notify.sh"], 0)
                .check()
                .unwrap_err()
                .to_string(),
            "event program on finished (/opt/notify.sh): timeoutSeconds must be at least 1"
        );
        assert!(program(&["/opt/notify.sh", "{name}"], 1).check().is_ok());
    }

    #[test]
    fn settings_read_as_camel_case_with_a_default_timeout() {
        let parsed: EventProgram =
            serde_json::from_str(r#"{"event": "seedingDone", "argv": ["/bin/true"]}"#).unwrap();
        assert_eq!(parsed.event, Event::SeedingDone);
        assert_eq!(parsed.timeout_seconds, 600);
        let parsed: EventProgram = serde_json::from_str(
            r#"{"event": "added", "argv": ["/bin/true"], "timeoutSeconds": 5}"#,
        )
        .unwrap();
        assert_eq!(parsed.timeout_seconds, 5);
        let unknown = serde_json::from_str::<EventProgram>(
            r#"{"event": "added", "argv": ["/bin/true"], "shell": true}"#,
        )
        .unwrap_err();
        assert!(
            unknown.to_string().contains("unknown field `shell`"),
            "{unknown}"
        );
    }
}
