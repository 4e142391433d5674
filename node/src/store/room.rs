//! Room to write: the store refuses a write before sled meets a full disk, and knows
//! when sled has failed and only a fresh opening can bring it back.
//!
//! sled 0.34 keeps the first I/O error its log meets (`Config::set_global_error`) and
//! returns it from every later call until it is opened again, and a call made while
//! its buffers wait on a write that failed can wait for ever. So the store does not let
//! sled meet the wall if it can help it: every write first asks [`Room::check`], which
//! refuses when less than the reserve is free on the data folder's filesystem, or
//! under the process's file-size limit, whoever took the room. The answer is measured
//! at most every [`MEASURE_EVERY`], so the check costs nothing on the hot path.
//!
//! When sled fails all the same (the disk filled between two measures), or one of its
//! writes has not returned for [`super::STALL`] ([`Room::track`], [`Room::stalled`]),
//! the store is marked failed ([`Room::fail`]): requests waiting on it are answered at
//! once, every later write is refused at once, reads go on, and the node restarts
//! itself in place once there is room to open the store again (`pacta-node`'s
//! `main.rs`, "Restart in place").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How long a measure of the free room is trusted.
pub const MEASURE_EVERY: Duration = Duration::from_millis(250);

/// Default room kept free on the data folder's filesystem: more than sled writes
/// between two measures under the heaviest load measured here.
pub const DEFAULT_RESERVE: u64 = 16 * 1024 * 1024;

/// Too little room to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Low {
    /// Bytes that may still be written.
    pub free: u64,
    /// Bytes the store keeps in reserve.
    pub reserve: u64,
    /// What is short: the filesystem, or the process's file-size limit.
    pub limit: Limit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Disk,
    FileSize,
}

impl std::fmt::Display for Low {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        match self.limit {
            Limit::Disk => write!(
                f,
                "the disk is full: {:.1} MiB free on the store's filesystem, and the node keeps {:.1} MiB in reserve",
                mib(self.free),
                mib(self.reserve)
            ),
            Limit::FileSize => write!(
                f,
                "the store's file may grow by {:.1} MiB under the process's file-size limit, and the node keeps {:.1} MiB in reserve",
                mib(self.free),
                mib(self.reserve)
            ),
        }
    }
}

/// Why the store was marked failed, and whether for want of room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub reason: String,
    pub full: bool,
}

/// The room the store's folder has, the sled writes in progress, and whether sled
/// failed.
#[derive(Debug)]
pub struct Room {
    dir: PathBuf,
    reserve: u64,
    last: Mutex<Option<(Instant, Result<(), Low>)>>,
    failed: OnceLock<Failed>,
    /// Told once the store fails, so that requests waiting on a write that will never
    /// return are answered at once.
    told: tokio::sync::watch::Sender<bool>,
    /// Each sled write in progress: when it began and what it is.
    calls: Mutex<BTreeMap<u64, (Instant, &'static str)>>,
    next_call: AtomicU64,
}

impl Room {
    pub fn new(dir: &Path, reserve: u64) -> Room {
        Room {
            dir: dir.to_owned(),
            reserve,
            last: Mutex::new(None),
            failed: OnceLock::new(),
            told: tokio::sync::watch::Sender::new(false),
            calls: Mutex::new(BTreeMap::new()),
            next_call: AtomicU64::new(0),
        }
    }

    /// Runs `call`, a sled write, counted as in progress until it returns (see
    /// [`Room::stalled`]).
    pub fn track<T>(&self, what: &'static str, call: impl FnOnce() -> T) -> T {
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        self.calls().insert(id, (Instant::now(), what));
        let out = call();
        self.calls().remove(&id);
        out
    }

    /// The oldest sled write in progress, if it began more than `bound` ago.
    pub fn stalled(&self, bound: Duration) -> Option<(&'static str, Duration)> {
        let calls = self.calls();
        let (at, what) = calls.values().min_by_key(|(at, _)| *at)?;
        let took = at.elapsed();
        (took > bound).then_some((*what, took))
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, (Instant, &'static str)>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Completes once the store has failed.
    pub async fn until_failed(&self) {
        let mut told = self.told.subscribe();
        let _ = told.wait_for(|failed| *failed).await;
    }

    /// Whether a write may go ahead: `Ok`, or how little room is left. Measured at most
    /// every [`MEASURE_EVERY`].
    pub fn check(&self) -> Result<(), Low> {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, answer)) = *last
            && at.elapsed() < MEASURE_EVERY
        {
            return answer;
        }
        let answer = self.measure(self.reserve);
        *last = Some((Instant::now(), answer));
        answer
    }

    /// Whether `need` bytes beyond the reserve may be written now, measured afresh.
    pub fn has(&self, need: u64) -> Result<(), Low> {
        self.measure(self.reserve.saturating_add(need))
    }

    fn measure(&self, reserve: u64) -> Result<(), Low> {
        // A folder the node cannot measure is not refused for it: the write itself
        // then says what is wrong.
        if let Ok(vfs) = rustix::fs::statvfs(&self.dir) {
            let free = vfs.f_bavail.saturating_mul(vfs.f_frsize);
            if free < reserve {
                return Err(Low {
                    free,
                    reserve,
                    limit: Limit::Disk,
                });
            }
        }
        if let Ok((soft, _)) = rlimit::Resource::FSIZE.get()
            && soft != rlimit::INFINITY
        {
            // sled's log is the file that grows; its snapshots stay small.
            let size = std::fs::metadata(self.dir.join("db")).map_or(0, |m| m.len());
            let free = soft.saturating_sub(size);
            if free < reserve {
                return Err(Low {
                    free,
                    reserve,
                    limit: Limit::FileSize,
                });
            }
        }
        Ok(())
    }

    /// Marks the store failed; the first reason is kept.
    pub fn fail(&self, reason: String, full: bool) {
        if self.failed.set(Failed { reason, full }).is_ok()
            && let Some(f) = self.failed.get()
        {
            self.told.send_replace(true);
            tracing::error!(
                "the store failed: {}; writes are refused until the node has restarted in place",
                f.reason
            );
        }
    }

    pub fn failed(&self) -> Option<&Failed> {
        self.failed.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_larger_than_the_disk_refuses_and_says_how_much_is_free() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let room = Room::new(dir.path(), u64::MAX / 2);
        let low = room.check().expect_err("no disk has 4 EiB free");
        assert_eq!(low.limit, Limit::Disk);
        assert!(low.to_string().contains("the disk is full"), "{low}");
        assert_eq!(Room::new(dir.path(), 0).check(), Ok(()));
    }

    #[tokio::test]
    async fn a_write_in_progress_past_the_bound_is_a_stall_and_failing_wakes_waiters() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let room = std::sync::Arc::new(Room::new(dir.path(), 0));
        assert_eq!(room.track("quick", || 7), 7);
        assert_eq!(room.stalled(Duration::ZERO), None);
        let (started, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                room.track("writing an entry", || {
                    started.wait();
                    release.wait();
                })
            });
            started.wait();
            std::thread::sleep(Duration::from_millis(20));
            let (what, took) = room.stalled(Duration::from_millis(10)).expect("a stall");
            assert_eq!(what, "writing an entry");
            assert!(took >= Duration::from_millis(20));
            assert_eq!(room.stalled(Duration::from_secs(60)), None);
            release.wait();
        });
        assert_eq!(room.stalled(Duration::ZERO), None);
        let waiter = tokio::spawn({
            let room = room.clone();
            async move { room.until_failed().await }
        });
        room.fail("a write stalled".into(), false);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("told at once")
            .expect("the waiter ran");
    }

    #[test]
    fn the_first_failure_is_kept() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let room = Room::new(dir.path(), 0);
        assert_eq!(room.failed(), None);
        room.fail("a flush failed: No space left on device".into(), true);
        room.fail("later".into(), false);
        assert_eq!(
            room.failed().map(|f| (f.reason.as_str(), f.full)),
            Some(("a flush failed: No space left on device", true))
        );
    }
}
