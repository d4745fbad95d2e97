//! Background work: jobs that run on a timer inside every `roundtable serve`.
//!
//! Jobs coordinate through the database, never through process memory, so any
//! number of instances can run them side by side: each job is written to be
//! harmless when two instances run it at once (today's housekeeping deletes
//! only what has expired), and later jobs claim their work with row locks.

use jiff::{SignedDuration, Timestamp};
use roundtable_store::Store;
use std::time::Duration;
use tokio::sync::watch;

/// How often the jobs run and how long records are kept.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub housekeeping_every: Duration,
    /// How long a create call's response is kept for `Idempotency-Key` replays.
    pub idempotency_retention: SignedDuration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            housekeeping_every: Duration::from_secs(600),
            idempotency_retention: SignedDuration::from_hours(24),
        }
    }
}

/// Removes expired sessions and idempotency records older than the retention.
/// Returns how many rows went.
pub async fn housekeeping(store: &Store, config: &WorkerConfig, now: Timestamp) -> u64 {
    let cutoff = now
        .checked_sub(config.idempotency_retention)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    match store.purge_expired(now, cutoff).await {
        Ok(removed) => {
            if removed > 0 {
                tracing::info!(removed, "housekeeping removed expired records");
            }
            removed
        }
        Err(error) => {
            tracing::warn!(%error, "housekeeping failed; will retry");
            0
        }
    }
}

/// Runs the jobs until `shutdown` turns true.
pub async fn run(store: Store, config: WorkerConfig, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(config.housekeeping_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                housekeeping(&store, &config, Timestamp::now()).await;
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    tracing::info!("worker stopped");
                    return;
                }
            }
        }
    }
}
