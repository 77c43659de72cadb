//! The process's log: `RUST_LOG` or the default levels, minus one message of
//! librqbit's that is noise.

use std::fmt::Debug;

use tracing::field::{Field, Visit};
use tracing::{Event, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Logs to standard output with `default_filter` unless `RUST_LOG` says otherwise.
pub fn init(default_filter: &str) {
    let levels =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::registry()
        .with(levels)
        .with(tracing_subscriber::fmt::layer().with_filter(PausedTaskNoise))
        .init();
}

/// librqbit logs as an error the end of a paused torrent's speed estimator
/// ("[id]speed_estimator_updater finished with error: chunk tracker empty, torrent
/// was paused"), a race of its own at every pause that loses nothing; every stop
/// and every torrent going dormant would log one.
struct PausedTaskNoise;

impl<S> Filter<S> for PausedTaskNoise {
    fn enabled(&self, _: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _: &Context<'_, S>) -> bool {
        if event.metadata().target() != "librqbit_core::spawn_utils" {
            return true;
        }
        struct Message(bool);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
                if field.name() == "message" {
                    let text = format!("{value:?}");
                    self.0 |= text.contains("speed_estimator_updater")
                        && text.contains("torrent was paused");
                }
            }
        }
        let mut noise = Message(false);
        event.record(&mut noise);
        !noise.0
    }
}
