//! Rate limits per client address, so that one host cannot take a node's signature
//! checks, its disk or its feed pages from everyone else.
//!
//! Two budgets, each a GCRA token bucket per IP address (governor):
//!
//! - **writes**, counted in entries: a `POST /v1/entries` costs one per entry in the
//!   batch, charged after the body is parsed and before any signature is checked (the
//!   expensive part); a cosignature request costs one;
//! - **expensive reads**, counted in requests: feed pages, fork proofs, the event
//!   stream, entry and member pages, Atom feeds. Cheap reads (`/healthz`, `/metrics`,
//!   heads, status, checkpoints) are served from memory and are not limited.
//!
//! A refused request gets 429 with `Retry-After`. Peers share the same budgets: a push
//! refused is repaired by the peer's pull, and a pull refused backs off. A request
//! without a peer address (a test driving the router in-process) is not limited.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Default write budget: entries per second per address. A delegation sends a few a
/// day; this leaves room for a peer pushing a busy network's traffic.
pub const DEFAULT_WRITE_RATE: u32 = 5_000;
/// Default expensive-read budget: requests per second per address. A peer catching
/// up asks for about ten pages a second.
pub const DEFAULT_READ_RATE: u32 = 200;
/// How many seconds' worth of budget may be spent at once.
const BURST_SECONDS: u32 = 10;

/// Which budget a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Write,
    Read,
}

/// A refusal: how long to wait, and the rate that was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
    pub rate: u32,
    pub class: Class,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.class {
            Class::Write => "entries",
            Class::Read => "feed, fork, event or page requests",
        };
        write!(
            f,
            "too many {what} from this address: at most {} per second (with bursts of {} s); retry in {} ms",
            self.rate,
            BURST_SECONDS,
            self.retry_after.as_millis().max(1)
        )
    }
}

struct Budget {
    rate: u32,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

/// The node's rate limits (a rate of 0 turns that budget off), and the budget of
/// submission bodies in memory.
pub struct Limits {
    writes: Option<Budget>,
    reads: Option<Budget>,
    clock: DefaultClock,
    bodies: Arc<Semaphore>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("writes", &self.writes.as_ref().map(|b| b.rate))
            .field("reads", &self.reads.as_ref().map(|b| b.rate))
            .finish()
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::new(DEFAULT_WRITE_RATE, DEFAULT_READ_RATE)
    }
}

fn budget(rate: u32) -> Option<Budget> {
    let per_second = NonZeroU32::new(rate)?;
    let burst = per_second.saturating_mul(NonZeroU32::MIN.saturating_add(BURST_SECONDS - 1));
    Some(Budget {
        rate,
        limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
    })
}

impl Limits {
    /// Budgets of `write_rate` entries and `read_rate` expensive reads per second per
    /// address; 0 means unlimited.
    pub fn new(write_rate: u32, read_rate: u32) -> Limits {
        Limits {
            writes: budget(write_rate),
            reads: budget(read_rate),
            clock: DefaultClock::default(),
            bodies: Arc::new(Semaphore::new(crate::api::BODY_BUDGET)),
        }
    }

    /// Reserves `bytes` of the body budget until the permit is dropped; `None` when
    /// they do not fit now.
    pub fn reserve_body(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let bytes = u32::try_from(bytes.max(1)).ok()?;
        self.bodies.clone().try_acquire_many_owned(bytes).ok()
    }

    /// No limits at all.
    pub fn off() -> Limits {
        Limits::new(0, 0)
    }

    /// Spends `cost` of `addr`'s `class` budget, or says how long to wait. A cost above
    /// the whole burst is refused for as long as the burst takes to refill.
    pub fn charge(&self, class: Class, addr: IpAddr, cost: u32) -> Result<(), Refused> {
        let budget = match class {
            Class::Write => &self.writes,
            Class::Read => &self.reads,
        };
        let Some(budget) = budget else {
            return Ok(());
        };
        let cost = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
        let refused = |retry_after| Refused {
            retry_after,
            rate: budget.rate,
            class,
        };
        match budget.limiter.check_key_n(&addr, cost) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(refused(not_until.wait_time_from(self.clock.now()))),
            Err(_) => Err(refused(Duration::from_secs(u64::from(BURST_SECONDS)))),
        }
    }

    /// Forgets addresses whose budget is full again, so the tables stay as small as
    /// the set of recently active clients.
    pub fn forget_idle(&self) {
        for budget in [&self.writes, &self.reads].into_iter().flatten() {
            budget.limiter.retain_recent();
            budget.limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_past_its_burst_and_names_the_wait() {
        let limits = Limits::new(10, 0);
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        // The burst is ten seconds' worth: 100 entries.
        assert_eq!(limits.charge(Class::Write, a, 100), Ok(()));
        let refused = limits.charge(Class::Write, a, 1);
        let refused = refused
            .err()
            .map(|r| (r.rate, r.class, r.retry_after > Duration::ZERO));
        assert_eq!(refused, Some((10, Class::Write, true)));
        // Another address has its own budget; reads are unlimited here.
        assert_eq!(limits.charge(Class::Write, b, 50), Ok(()));
        assert_eq!(limits.charge(Class::Read, a, 1_000_000), Ok(()));
        // More than a whole burst at once can never pass.
        assert!(limits.charge(Class::Write, b, 1_000).is_err());
        assert!(Limits::off().charge(Class::Write, a, u32::MAX).is_ok());
    }

    #[test]
    fn bodies_share_one_budget_and_return_it_when_done() {
        let limits = Limits::off();
        let most = crate::api::BODY_BUDGET;
        let first = limits.reserve_body(most - 10);
        assert!(first.is_some());
        assert!(limits.reserve_body(11).is_none(), "over the budget");
        assert!(limits.reserve_body(10).is_some());
        drop(first);
        assert!(limits.reserve_body(most - 10).is_some());
    }
}
