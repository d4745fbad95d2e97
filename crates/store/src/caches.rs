//! In-process caches of what nearly every request reads and hardly anything
//! writes: the organization's clock context (calendars per department, the
//! at-risk share), service definitions, and the health of every cell.
//!
//! Why they are safe: each entry remembers the *generation* it was read under.
//! A write through this process bumps the generation after its commit, so the
//! next read sees the change; an entry is filled under the generation taken
//! before its read began, so a read racing a write is never kept past it.
//! Writes made by another process (a second server instance on the same
//! PostgreSQL, the CLI's import) cannot bump our counter, so every entry also
//! expires after [`TIME_TO_LIVE`]: another instance sees a change within that
//! time, this instance at once.
//!
//! Separate generations, because their writes differ by orders of magnitude
//! (the queues' open requests keep a third, on `Caches`):
//! - *configuration*: calendars, departments, organization settings and
//!   services; bumped by those writes only, so intake and queues keep their
//!   cached context while requests pour in;
//! - *data*: bumped by every committed write; health is recomputed at most once
//!   per change instead of once per reader.
//!
//! The worker's escalation sweep is the one writer nobody waits on: it bumps
//! a *background* generation instead, and what health it changed is
//! refreshed behind the readers ([`GenerationCache::expire_all`]) rather
//! than by making every reader wait, as for another process's writes but at
//! once instead of after the time to live.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an entry may serve reads without a write of this process
/// invalidating it: the longest another instance's write goes unseen.
pub const TIME_TO_LIVE: Duration = Duration::from_secs(5);

/// Entries kept by a cache made with `default()` before it is emptied; bounds
/// memory whatever the keys. Caches of large values choose fewer.
const DEFAULT_CAPACITY: usize = 4_096;

/// A counter bumped after every committed write of one kind.
#[derive(Debug, Default)]
pub(crate) struct Generation(AtomicU64);

impl Generation {
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

#[derive(Debug)]
struct Entry<V> {
    value: Arc<V>,
    generation: u64,
    filled_at: Instant,
    /// Set by [`GenerationCache::expire_all`]: served like an entry past its
    /// time to live, until refreshed.
    expired: bool,
}

impl<V> Entry<V> {
    fn fresh(&self) -> bool {
        !self.expired && self.filled_at.elapsed() < TIME_TO_LIVE
    }
}

/// Values by key, each valid for the generation it was read under and for at
/// most [`TIME_TO_LIVE`].
#[derive(Debug)]
pub struct GenerationCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    /// One lock per key, so that of the readers who find a key missing or
    /// expired one reads it while the others wait or keep the expired copy.
    filling: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
    capacity: usize,
}

impl<K, V> Default for GenerationCache<K, V> {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl<K, V> GenerationCache<K, V> {
    /// A cache that empties itself when it would hold more than `capacity`
    /// entries: keys a caller chooses (a window length) cannot grow it.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            filling: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }
}

impl<K: Eq + Hash + Clone, V> GenerationCache<K, V> {
    /// The value for `key`, read by `fill` when missing: of the readers who
    /// find it missing one fills it while the others wait for it; of those
    /// who find it only expired (no write of ours since, only time) one
    /// refreshes it while the others keep the expired copy. `generation`
    /// is read before `fill` begins, so a write landing during the fill makes
    /// the next reader fill again.
    pub async fn get_or_fill<E, Fill>(
        &self,
        key: K,
        generation: impl Fn() -> u64,
        fill: impl FnOnce() -> Fill,
    ) -> Result<Arc<V>, E>
    where
        Fill: std::future::Future<Output = Result<V, E>>,
    {
        let lock = self.fill_lock(&key);
        let _filling = match self.get_possibly_expired(&key, generation()) {
            Some((value, true)) => return Ok(value),
            Some((value, false)) => match lock.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok(value),
            },
            None => lock.lock().await,
        };
        let taken = generation();
        if let Some(value) = self.get(&key, taken) {
            return Ok(value);
        }
        let value = Arc::new(fill().await?);
        self.insert(key, Arc::clone(&value), taken);
        Ok(value)
    }

    /// [`Self::get_or_fill`] for a cache shared behind an `Arc`, with one
    /// difference: a reader finding the value only expired (no write of ours
    /// since, only time) returns it at once and leaves the refresh to a task
    /// of its own, so no reader ever waits on the time to live. Readers
    /// finding it missing, or changed by a write of ours, still wait for one
    /// fill: what this process wrote is seen by its next read.
    pub async fn get_or_fill_refreshing_behind<E, MakeFill, Fill, CurrentGeneration>(
        self: &Arc<Self>,
        key: K,
        generation: CurrentGeneration,
        fill: MakeFill,
    ) -> Result<Arc<V>, E>
    where
        K: Send + Sync + 'static,
        V: Send + Sync + 'static,
        E: Send + 'static,
        CurrentGeneration: Fn() -> u64 + Send + Sync + 'static,
        MakeFill: FnOnce() -> Fill + Send + 'static,
        Fill: std::future::Future<Output = Result<V, E>> + Send + 'static,
    {
        let lock = self.fill_lock(&key);
        let expired = match self.get_possibly_expired(&key, generation()) {
            Some((value, true)) => return Ok(value),
            Some((value, false)) => value,
            None => return self.get_or_fill(key, generation, fill).await,
        };
        // One refresh at a time; the others keep serving the expired copy.
        if let Ok(refreshing) = lock.try_lock_owned() {
            let cache = Arc::clone(self);
            tokio::spawn(async move {
                let taken = generation();
                // A failed refresh leaves the expired copy serving; the next
                // reader after this one tries again.
                if let Ok(value) = fill().await {
                    cache.insert(key, Arc::new(value), taken);
                }
                drop(refreshing);
            });
        }
        Ok(expired)
    }

    /// The lock its filler holds while reading `key` (see the field).
    fn fill_lock(&self, key: &K) -> Arc<tokio::sync::Mutex<()>> {
        match self.filling.lock() {
            Ok(mut locks) => {
                if locks.len() >= self.capacity && !locks.contains_key(key) {
                    locks.clear();
                }
                Arc::clone(locks.entry(key.clone()).or_default())
            }
            // A poisoned map only costs the sharing of one read.
            Err(_) => Arc::default(),
        }
    }
}

impl<K: Eq + Hash, V> GenerationCache<K, V> {
    /// The cached value for `key` if it is still valid under `generation`.
    pub fn get(&self, key: &K, generation: u64) -> Option<Arc<V>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.fresh()).then(|| Arc::clone(&entry.value))
    }

    /// The value for `key` read under `generation`, and whether it is still
    /// within [`TIME_TO_LIVE`]: an expired one may serve while a fresh one is
    /// read, since only another process's writes can have changed it.
    pub fn get_possibly_expired(&self, key: &K, generation: u64) -> Option<(Arc<V>, bool)> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        (entry.generation == generation).then(|| (Arc::clone(&entry.value), entry.fresh()))
    }

    /// Marks every entry expired, as if past its time to live: readers go
    /// on being served them while one refreshes each. For a change nobody is
    /// waiting to see (the escalation sweep's), which must show soon but
    /// need not hold readers up.
    pub fn expire_all(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            for entry in entries.values_mut() {
                entry.expired = true;
            }
        }
    }

    /// Keeps `value`, read under `generation` (taken before the read began).
    pub fn insert(&self, key: K, value: Arc<V>, generation: u64) {
        self.insert_filled_at(key, value, generation, Instant::now());
    }

    fn insert_filled_at(&self, key: K, value: Arc<V>, generation: u64, filled_at: Instant) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    value,
                    generation,
                    filled_at,
                    expired: false,
                },
            );
        }
    }
}

type WindowKey = (i64, jiff::civil::Date, jiff::civil::Date);
type WindowSums = HashMap<crate::pulses::Cell, crate::health_rollup::CellDayOutcomes>;

/// The caches one [`crate::Store`] shares between its clones.
#[derive(Debug)]
pub(crate) struct Caches {
    pub(crate) configuration: Generation,
    pub(crate) data: Generation,
    /// Bumped with `data` by every write except the escalation sweep's
    /// (`Store::background_write`), which changes no request, period or
    /// person: the queues' open requests are read from those alone.
    pub(crate) requests: Generation,
    /// Bumped by the escalation sweep's writes instead of `data` (see the
    /// module documentation).
    pub(crate) background: Generation,
    pub(crate) clock_contexts: GenerationCache<i64, crate::requests::ClockContext>,
    pub(crate) services: GenerationCache<(i64, i64), crate::services::Service>,
    /// Departments with their leads, by (organization, department), per
    /// configuration generation: departments and their leads are written
    /// only by configuration writes (the department endpoints and the people
    /// import), so a request's creation does not make intake read its
    /// provider department again.
    pub(crate) departments: GenerationCache<(i64, i64), crate::departments::Department>,
    /// The health rollup's sums per cell, by (organization, first day, last day).
    pub(crate) window_sums: GenerationCache<WindowKey, WindowSums>,
    /// The open requests of a provider's queue, by (organization, department),
    /// per `requests` generation.
    pub(crate) open_queues: Arc<GenerationCache<(i64, i64), Vec<crate::requests::Request>>>,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            configuration: Generation::default(),
            data: Generation::default(),
            requests: Generation::default(),
            background: Generation::default(),
            clock_contexts: GenerationCache::default(),
            services: GenerationCache::default(),
            departments: GenerationCache::default(),
            // About 50 KB each at 2,500 cells; the window is the caller's choice.
            window_sums: GenerationCache::with_capacity(64),
            // One per department asked for; each holds its open requests.
            open_queues: Arc::new(GenerationCache::with_capacity(256)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_serves_its_own_generation_only() {
        let cache: GenerationCache<i64, String> = GenerationCache::default();
        let generation = Generation::default();
        let before = generation.current();
        cache.insert(1, Arc::new("calendars".to_owned()), before);
        assert_eq!(
            cache
                .get(&1, generation.current())
                .as_deref()
                .map(String::as_str),
            Some("calendars")
        );
        generation.bump();
        assert_eq!(cache.get(&1, generation.current()), None);
        assert_eq!(cache.get(&2, before), None);
    }

    #[test]
    fn an_entry_expired_by_hand_serves_only_until_refreshed() {
        let cache: GenerationCache<i64, i64> = GenerationCache::default();
        cache.insert(1, Arc::new(10), 0);
        cache.expire_all();
        assert_eq!(
            cache.get(&1, 0),
            None,
            "a reader that must be current reads again"
        );
        assert_eq!(
            cache
                .get_possibly_expired(&1, 0)
                .map(|(value, fresh)| (*value, fresh)),
            Some((10, false)),
            "a reader that may be behind is served the old value"
        );
        cache.insert(1, Arc::new(11), 0);
        assert_eq!(cache.get(&1, 0).as_deref(), Some(&11));
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let cache: GenerationCache<i64, i64> = GenerationCache::with_capacity(2);
        cache.insert(1, Arc::new(1), 0);
        cache.insert(2, Arc::new(2), 0);
        cache.insert(2, Arc::new(20), 0);
        assert_eq!(
            cache.get(&1, 0).as_deref(),
            Some(&1),
            "replacing a key makes no room"
        );
        cache.insert(3, Arc::new(3), 0);
        assert_eq!(cache.get(&1, 0), None);
        assert_eq!(cache.get(&3, 0).as_deref(), Some(&3));
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_served_after_it() {
        let cache: GenerationCache<i64, u8> = GenerationCache::default();
        let generation = Generation::default();
        // The read began (and took its generation) before the write committed.
        let taken = generation.current();
        generation.bump();
        cache.insert(7, Arc::new(1), taken);
        assert_eq!(cache.get(&7, generation.current()), None);
    }

    #[test]
    fn readers_of_one_key_share_one_fill_lock_and_other_keys_do_not_wait() {
        let cache: GenerationCache<i64, u8> = GenerationCache::with_capacity(2);
        let first = cache.fill_lock(&1);
        let filling = first.try_lock().unwrap();
        assert!(
            cache.fill_lock(&1).try_lock().is_err(),
            "a second reader of the key finds it being filled"
        );
        assert!(cache.fill_lock(&2).try_lock().is_ok());
        drop(filling);
        assert!(cache.fill_lock(&1).try_lock().is_ok());
        cache.fill_lock(&3);
        assert!(
            !Arc::ptr_eq(&first, &cache.fill_lock(&1)),
            "the locks are bounded like the entries"
        );
    }

    #[tokio::test]
    async fn readers_arriving_together_fill_a_missing_key_once() {
        let cache: GenerationCache<i64, u8> = GenerationCache::default();
        let fills = AtomicU64::new(0);
        let read = || async {
            fills.fetch_add(1, Ordering::SeqCst);
            // The filler pauses mid-read, as a database read would.
            tokio::task::yield_now().await;
            Ok::<_, ()>(7)
        };
        let (first, second, third) = tokio::join!(
            cache.get_or_fill(1, || 0, read),
            cache.get_or_fill(1, || 0, read),
            cache.get_or_fill(1, || 0, read),
        );
        for value in [first, second, third] {
            assert_eq!(value.as_deref(), Ok(&7));
        }
        assert_eq!(fills.load(Ordering::SeqCst), 1);
        cache.get_or_fill(1, || 1, read).await.unwrap();
        assert_eq!(
            fills.load(Ordering::SeqCst),
            2,
            "a write makes the next reader fill again"
        );
    }

    #[tokio::test]
    async fn an_expired_value_serves_while_one_task_refreshes_it_behind() {
        let cache: Arc<GenerationCache<i64, u8>> = Arc::new(GenerationCache::default());
        let Some(long_ago) = Instant::now().checked_sub(TIME_TO_LIVE * 2) else {
            return; // A machine up for less than ten seconds cannot hold an expired entry.
        };
        cache.insert_filled_at(1, Arc::new(1), 0, long_ago);
        let fills = Arc::new(AtomicU64::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let refresh = |fills: Arc<AtomicU64>, release: Arc<tokio::sync::Notify>| {
            move || async move {
                fills.fetch_add(1, Ordering::SeqCst);
                release.notified().await;
                Ok::<_, ()>(2)
            }
        };
        for _ in 0..3 {
            let read = cache.get_or_fill_refreshing_behind(
                1,
                || 0,
                refresh(Arc::clone(&fills), Arc::clone(&release)),
            );
            let value = tokio::time::timeout(Duration::from_secs(5), read)
                .await
                .expect("the reader does not wait for the refresh");
            assert_eq!(value.as_deref(), Ok(&1));
        }
        // Let the spawned refresh begin: exactly one, however many readers.
        while fills.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(fills.load(Ordering::SeqCst), 1);
        release.notify_one();
        let mut refreshed = None;
        for _ in 0..10_000 {
            refreshed = cache.get(&1, 0);
            if refreshed.is_some() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(refreshed.as_deref(), Some(&2));
        // A write of ours is another matter: the reader waits for the fill.
        let after_write = cache
            .get_or_fill_refreshing_behind(1, || 1, || async { Ok::<_, ()>(3) })
            .await;
        assert_eq!(after_write.as_deref(), Ok(&3));
    }
}
