//! cloud-torrent's automation on torrent events: what runs when a torrent is
//! added, finishes, is done seeding, is removed or stops on an error.
//!
//! The crate does not know the engine. The caller fires an [`Event`] with the
//! [`TorrentFacts`] of its torrent (names, paths, size, tags, the torrent's API
//! JSON), and the crate owns everything from there:
//!
//! * **Event programs** ([`Programs`], configured as [`EventProgram`]s): each
//!   program for the event is run directly, never through a shell, with
//!   placeholders (`{name}`, `{infoHash}`, `{contentPath}`, `{savePath}`,
//!   `{category}`, `{tags}`, `{size}`, `{event}`) replaced inside each argument,
//!   so a hostile torrent name stays one literal argument. The program gets a
//!   clean environment (PATH, HOME, LANG, the torrent as `CT_*` variables and
//!   as Transmission's `TR_*` ones, so Transmission scripts work unchanged), the
//!   torrent's JSON on stdin, the save path as working directory, its own
//!   process group and a time limit that ends the whole group. At most
//!   `max_concurrent` run at a time; the last 100 runs are kept as
//!   [`ProgramRun`]s with their exit code or signal, duration and the last
//!   64 KiB of output.
//! * **Webhooks** ([`Webhooks`], configured as [`Webhook`]s): a POST per event
//!   in one of four [`Format`]s (our JSON, Discord, ntfy, Gotify), sent through
//!   the process's one hardened [`cloud_torrent_outbound::OutboundClient`] (so
//!   `allowPrivateUrls` applies), retried with exponential backoff when the
//!   failure may pass ([`RetryPolicy`]), with a [`WebhookStatus`] per webhook.
//!
//! [`Hooks`] bundles both behind one [`Hooks::fire`].

#![warn(missing_docs)]

mod error;
mod event;
mod facts;
mod invocation;
mod payload;
mod process;
mod programs;
mod webhooks;

pub use error::{ConfigError, WebhookError};
pub use event::Event;
pub use facts::TorrentFacts;
pub use invocation::PLACEHOLDERS;
pub use process::{KILL_GRACE, OUTPUT_GRACE, OUTPUT_LIMIT};
pub use programs::{DEFAULT_TIMEOUT_SECONDS, EventProgram, ProgramRun, Programs, RUNS_KEPT};
pub use webhooks::{Format, RetryPolicy, Webhook, WebhookStatus, Webhooks};

/// Event programs and webhooks together. Cheap to clone.
#[derive(Clone)]
pub struct Hooks {
    /// The event programs.
    pub programs: Programs,
    /// The webhooks.
    pub webhooks: Webhooks,
}

impl Hooks {
    /// Runs the programs and sends the webhooks configured for `event` on the
    /// torrent `facts` tells of. Returns at once; must be called within a Tokio
    /// runtime.
    pub fn fire(&self, event: Event, facts: TorrentFacts) {
        self.webhooks.fire(event, &facts.json);
        self.programs.fire(event, facts);
    }
}
