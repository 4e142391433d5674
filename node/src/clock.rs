//! The node's clock, and how far ahead of it a signed time may be: the one tolerance
//! for entries (their claimed time) and checkpoints (their signing time) alike.

/// How far ahead of this node's clock a signed time may be.
pub const MAX_AHEAD_MS: u64 = 5 * 60 * 1000;

/// This node's clock, in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
