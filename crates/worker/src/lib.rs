//! Background work: jobs that run on a timer inside every `roundtable serve`.
//!
//! Jobs coordinate through the database, never through process memory, so any
//! number of instances can run them side by side: each job is written to be
//! harmless when two instances run it at once (today's housekeeping deletes
//! only what has expired), and later jobs claim their work with row locks.

pub mod digest;
pub mod dispatch;
pub mod handovers;

use jiff::{SignedDuration, Timestamp};
use roundtable_store::Store;
use std::time::Duration;
use tokio::sync::watch;

/// How often the jobs run and how long records are kept.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub housekeeping_every: Duration,
    /// How often service-level clocks are checked for escalation.
    pub clocks_every: Duration,
    /// How long a create call's response is kept for `Idempotency-Key` replays.
    pub idempotency_retention: SignedDuration,
    /// How often the outbox is looked at for due deliveries.
    pub dispatch_every: Duration,
    pub dispatch: dispatch::DispatchConfig,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            housekeeping_every: Duration::from_secs(600),
            clocks_every: Duration::from_secs(60),
            idempotency_retention: SignedDuration::from_hours(24),
            dispatch_every: Duration::from_secs(2),
            dispatch: dispatch::DispatchConfig::default(),
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

/// Reads, once at start, what the first reader of the matrix would otherwise
/// wait for: each organization's clock context, and the results of its
/// settled pulse rounds (kept for the life of the process, and the slowest
/// part of a cold matrix: every answer of every round). Returns how many
/// organizations were warmed.
pub async fn warm_caches(
    store: &Store,
    now: Timestamp,
) -> Result<usize, roundtable_store::StoreError> {
    let organizations = store.list_organizations().await?;
    for organization in &organizations {
        let scoped = store.scoped(organization.id);
        scoped.clock_context().await?;
        scoped.closed_pulse_results(now).await?;
    }
    Ok(organizations.len())
}

/// Runs the jobs until `shutdown` turns true.
pub async fn run(store: Store, config: WorkerConfig, mut shutdown: watch::Receiver<bool>) {
    // The outbox has its own task: a slow receiver never holds the clocks.
    let dispatcher = tokio::spawn(dispatch::run(
        store.clone(),
        config.dispatch.clone(),
        config.dispatch_every,
        shutdown.clone(),
    ));
    let started = std::time::Instant::now();
    match warm_caches(&store, Timestamp::now()).await {
        Ok(organizations) => tracing::debug!(
            organizations,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "warmed the caches"
        ),
        // Only a cost: the first readers read what the warm-up did not.
        Err(error) => tracing::warn!(%error, "warming the caches failed"),
    }
    let mut ticker = tokio::time::interval(config.housekeeping_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut clock_ticker = tokio::time::interval(config.clocks_every);
    clock_ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut digest_ticker = tokio::time::interval(Duration::from_secs(3600));
    digest_ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                housekeeping(&store, &config, Timestamp::now()).await;
            }
            _ = digest_ticker.tick() => {
                match digest::send_weekly_digests(&store, Timestamp::now()).await {
                    Ok(sent) if sent > 0 => tracing::info!(sent, "sent weekly digests"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "weekly digests failed; will retry"),
                }
                match digest::remind_actions(&store, Timestamp::now()).await {
                    Ok(sent) if sent > 0 => tracing::info!(sent, "reminded owners of actions"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "action reminders failed; will retry"),
                }
            }
            _ = clock_ticker.tick() => {
                match escalate_clocks(&store, Timestamp::now()).await {
                    Ok(count) if count > 0 => tracing::info!(count, "escalated service-level clocks"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "clock escalation failed; will retry"),
                }
                match handovers::sweep(&store, Timestamp::now()).await {
                    Ok(count) if count > 0 => tracing::info!(count, "told people of hand-overs waiting on them"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "the hand-over sweep failed; will retry"),
                }
                match thank_closed_pulse_rounds(&store, Timestamp::now()).await {
                    Ok(count) if count > 0 => tracing::info!(count, "thanked the participants of closed pulse rounds"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "thanking pulse participants failed; will retry"),
                }
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    let _ = dispatcher.await;
                    tracing::info!("worker stopped");
                    return;
                }
            }
        }
    }
}

/// Thanks the participants of every pulse round that closed by the clock
/// (a round closed by hand thanks them as it closes). Exactly once per round
/// across instances; returns how many people this call thanked.
pub async fn thank_closed_pulse_rounds(
    store: &Store,
    now: Timestamp,
) -> Result<u64, roundtable_store::StoreError> {
    let mut thanked = 0;
    for organization in store.list_organizations().await? {
        thanked += store
            .scoped(organization.id)
            .thank_closed_pulse_rounds(now)
            .await?;
    }
    Ok(thanked)
}

/// How many escalations share one transaction: a sweep after an outage
/// can find thousands, and one commit each would hold the writer for minutes.
const ESCALATIONS_PER_WRITE: usize = 500;

/// How many open requests the sweep reads at a time: its memory is bounded
/// by this, not by the backlog (100,000 open requests are about 150 MB).
const OPEN_REQUESTS_PER_READ: i64 = 5_000;

/// Escalates every open request whose clock is at risk (the assignee is told)
/// or breached (a lead of the provider is told), each exactly once: the store
/// records an escalation only if no worker recorded it before. Returns how
/// many escalations this call recorded.
pub async fn escalate_clocks(
    store: &Store,
    now: Timestamp,
) -> Result<u64, roundtable_store::StoreError> {
    use roundtable_domain::clocks::ClockState;
    use roundtable_store::requests::{ClockKind, Escalation, EscalationLevel};
    let started = std::time::Instant::now();
    let mut recorded = 0;
    let mut read = 0;
    for organization in store.list_organizations().await? {
        let scoped = store.scoped(organization.id);
        let context = scoped.clock_context().await?;
        let mut leads = std::collections::HashMap::new();
        let mut after = 0;
        loop {
            let page = scoped
                .unsettled_requests_after(after, OPEN_REQUESTS_PER_READ)
                .await?;
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                break;
            };
            read += page.len();
            let recorded_before = scoped
                .recorded_escalations_between(first.id, last.id)
                .await?;
            after = last.id;
            let mut due = Vec::new();
            for request in &page {
                let Some((first_response, fulfilment)) = request.clocks(&context, now) else {
                    continue;
                };
                for (kind, reading) in [
                    (ClockKind::FirstResponse, first_response),
                    (ClockKind::Fulfilment, fulfilment),
                ] {
                    let level = match reading.state {
                        ClockState::AtRisk => EscalationLevel::AtRisk,
                        ClockState::Breached => EscalationLevel::Breached,
                        _ => continue,
                    };
                    if recorded_before.contains(&(request.id, kind, level)) {
                        continue;
                    }
                    let notify = match level {
                        EscalationLevel::AtRisk => request.assignee_person_id,
                        EscalationLevel::Breached => {
                            let department = request.provider_department_id;
                            if let std::collections::hash_map::Entry::Vacant(entry) =
                                leads.entry(department)
                            {
                                entry.insert(
                                    scoped
                                        .department(department)
                                        .await?
                                        .lead_ids
                                        .first()
                                        .copied(),
                                );
                            }
                            leads.get(&department).copied().flatten()
                        }
                    };
                    due.push(Escalation {
                        request: request.id,
                        clock: kind,
                        level,
                        notify,
                    });
                }
            }
            for batch in due.chunks(ESCALATIONS_PER_WRITE) {
                recorded += scoped.escalate(batch.to_vec(), now).await?;
            }
            if page.len() < OPEN_REQUESTS_PER_READ as usize {
                break;
            }
        }
    }
    tracing::debug!(
        read,
        recorded,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "swept the clocks still running"
    );
    Ok(recorded)
}
