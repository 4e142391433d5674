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
//!
//! Besides rates, four things are held for a while and shared by every client: open
//! connections, event streams, submission bodies in memory, and response bytes waiting
//! for a slow reader. Each is a [`Pool`] of which one address may hold at most a
//! share (1/[`DEFAULT_SHARE`] of it by default, never less than one request's worth),
//! so one host cannot take all of any of them from everyone else. An IPv6 client is
//! counted by its /64, the block one host usually gets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Default write budget: entries per second per address. A delegation sends a few a
/// day; this leaves room for a peer pushing a busy network's traffic.
pub const DEFAULT_WRITE_RATE: u32 = 5_000;
/// Default expensive-read budget: requests per second per address. A peer catching
/// up asks for about ten pages a second.
pub const DEFAULT_READ_RATE: u32 = 200;
/// How many seconds' worth of budget may be spent at once.
const BURST_SECONDS: u32 = 10;
/// One address may hold at most 1/`DEFAULT_SHARE` of each shared pool.
pub const DEFAULT_SHARE: usize = 8;
/// Default cap on event streams open at once (at most half the connection cap).
pub const DEFAULT_MAX_STREAMS: usize = 1024;
/// Response bytes held at once for clients that have not read them yet, over all
/// clients: a feed page reserves its largest size before it is read from the store.
pub const RESPONSE_BUDGET: usize = 512 * 1024 * 1024;

/// The key a client is counted by: its IPv4 address, or its IPv6 /64.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
            }
        },
    }
}

/// Why a pool refused: the address holds its share, or the node holds all it will.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// This address already holds `held` of its `share`.
    Address { held: usize, share: usize },
    /// All clients together hold `held` of the `total`.
    Node { held: usize, total: usize },
}

struct PoolState {
    held: usize,
    by: HashMap<IpAddr, usize>,
}

struct PoolInner {
    total: usize,
    share: usize,
    state: Mutex<PoolState>,
}

impl PoolInner {
    fn state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        // The state is two counters updated together; a panic cannot leave them torn.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `n` to what `addr` holds, if it fits.
    fn add(&self, addr: Option<IpAddr>, n: usize) -> Result<(), Full> {
        let mut st = self.state();
        // One request's worth always passes when there is room, even above a share.
        if st.held > 0 && st.held.saturating_add(n) > self.total {
            return Err(Full::Node {
                held: st.held,
                total: self.total,
            });
        }
        if let Some(addr) = addr {
            let mine = st.by.get(&addr).copied().unwrap_or(0);
            if mine > 0 && mine.saturating_add(n) > self.share {
                return Err(Full::Address {
                    held: mine,
                    share: self.share,
                });
            }
            *st.by.entry(addr).or_insert(0) += n;
        }
        st.held = st.held.saturating_add(n);
        Ok(())
    }

    fn remove(&self, addr: Option<IpAddr>, n: usize) {
        let mut st = self.state();
        st.held = st.held.saturating_sub(n);
        if let Some(addr) = addr
            && let Some(mine) = st.by.get_mut(&addr)
        {
            *mine = mine.saturating_sub(n);
            if *mine == 0 {
                st.by.remove(&addr);
            }
        }
    }
}

/// A budget shared by every client, of which one address may hold at most a share.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("total", &self.inner.total)
            .field("share", &self.inner.share)
            .finish()
    }
}

impl Pool {
    /// A pool of `total`, of which one address holds at most `total / share`, and
    /// never less than `least` (nor more than `total`). A `share` of 1 or 0 lets one
    /// address hold all of it.
    pub fn new(total: usize, share: usize, least: usize) -> Pool {
        let share = (total / share.max(1)).max(least).min(total);
        Pool {
            inner: Arc::new(PoolInner {
                total,
                share,
                state: Mutex::new(PoolState {
                    held: 0,
                    by: HashMap::new(),
                }),
            }),
        }
    }

    pub fn total(&self) -> usize {
        self.inner.total
    }

    /// What one address may hold.
    pub fn share(&self) -> usize {
        self.inner.share
    }

    /// Takes `n` for `addr` (counted by [`client_key`]; `None`: only the total counts)
    /// until the returned hold is dropped.
    pub fn take(&self, addr: Option<IpAddr>, n: usize) -> Result<Hold, Full> {
        let addr = addr.map(client_key);
        self.inner.add(addr, n)?;
        Ok(Hold {
            pool: self.inner.clone(),
            addr,
            n,
        })
    }
}

/// A part of a [`Pool`], given back when dropped.
pub struct Hold {
    pool: Arc<PoolInner>,
    addr: Option<IpAddr>,
    n: usize,
}

impl std::fmt::Debug for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hold").field("n", &self.n).finish()
    }
}

impl Hold {
    /// Holds `n` instead: shrinking always works, growing only if it fits.
    pub fn resize(&mut self, n: usize) -> Result<(), Full> {
        if n > self.n {
            self.pool.add(self.addr, n - self.n)?;
        } else {
            self.pool.remove(self.addr, self.n - n);
        }
        self.n = n;
        Ok(())
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.pool.remove(self.addr, self.n);
    }
}

/// The sizes of the shared pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Open connections.
    pub connections: usize,
    /// Event streams open at once.
    pub streams: usize,
    /// One address holds at most 1/`share` of each pool.
    pub share: usize,
}

impl Default for Capacity {
    fn default() -> Capacity {
        Capacity {
            connections: crate::serve::DEFAULT_MAX_CONNECTIONS,
            streams: DEFAULT_MAX_STREAMS,
            share: DEFAULT_SHARE,
        }
    }
}

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

/// The node's rate limits (a rate of 0 turns that budget off), and the pools shared
/// by every client.
pub struct Limits {
    writes: Option<Budget>,
    reads: Option<Budget>,
    clock: DefaultClock,
    /// Open connections.
    pub connections: Pool,
    /// Open event streams.
    pub streams: Pool,
    /// Bytes of submission bodies in memory.
    pub bodies: Pool,
    /// Bytes of answers not yet written to their client.
    pub responses: Pool,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("writes", &self.writes.as_ref().map(|b| b.rate))
            .field("reads", &self.reads.as_ref().map(|b| b.rate))
            .field("connections", &self.connections)
            .field("streams", &self.streams)
            .field("bodies", &self.bodies)
            .field("responses", &self.responses)
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
        Limits::sized(write_rate, read_rate, Capacity::default())
    }

    /// Rate limits as in [`Limits::new`], and pools of the given sizes. Streams are at
    /// most half the connections, so they can never take every connection.
    pub fn sized(write_rate: u32, read_rate: u32, cap: Capacity) -> Limits {
        let connections = cap.connections.max(1);
        let streams = cap.streams.min(connections / 2).max(1);
        Limits {
            writes: budget(write_rate),
            reads: budget(read_rate),
            clock: DefaultClock::default(),
            connections: Pool::new(connections, cap.share, 16),
            streams: Pool::new(streams, cap.share, 4),
            bodies: Pool::new(crate::api::BODY_BUDGET, cap.share, crate::api::MAX_BODY),
            responses: Pool::new(RESPONSE_BUDGET, cap.share, crate::api::PAGE_MOST),
        }
    }

    /// Reserves `bytes` of the body budget for `addr` until the hold is dropped.
    pub fn reserve_body(&self, addr: Option<IpAddr>, bytes: usize) -> Result<Hold, Full> {
        self.bodies.take(addr, bytes.max(1))
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
        let first = limits.reserve_body(None, most - 10);
        assert!(first.is_ok());
        assert!(limits.reserve_body(None, 11).is_err(), "over the budget");
        assert!(limits.reserve_body(None, 10).is_ok());
        drop(first);
        assert!(limits.reserve_body(None, most - 10).is_ok());
    }

    #[test]
    fn one_address_holds_at_most_its_share_of_a_pool() {
        let pool = Pool::new(80, 8, 4);
        assert_eq!(pool.share(), 10);
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let mut held: Vec<Hold> = (0..10).map(|_| pool.take(Some(a), 1).unwrap()).collect();
        assert_eq!(
            pool.take(Some(a), 1).err(),
            Some(Full::Address {
                held: 10,
                share: 10
            })
        );
        // Another address is not refused; a given-back part can be taken again.
        let _b = pool.take(Some(b), 1).unwrap();
        held.pop();
        let mut one = pool.take(Some(a), 1).unwrap();
        // Growing past the share is refused, shrinking always works.
        assert!(one.resize(2).is_err());
        assert!(one.resize(0).is_ok());
        // A single request larger than the share passes while the address holds none.
        assert!(pool.take(Some(b), 30).is_err(), "b holds one");
        let c: IpAddr = [192, 0, 2, 3].into();
        assert!(pool.take(Some(c), 30).is_ok());
        // An IPv6 host is counted by its /64.
        let v6 = |last: u16| IpAddr::from([0x2001, 0xdb8, 1, 2, 0, 0, 0, last]);
        assert_eq!(client_key(v6(1)), client_key(v6(2)));
        // The whole pool: past it, the node is full for everyone.
        let small = Pool::new(4, 1, 1);
        let _all = small.take(Some(a), 4).unwrap();
        assert_eq!(
            small.take(Some(b), 1).err(),
            Some(Full::Node { held: 4, total: 4 })
        );
    }
}
