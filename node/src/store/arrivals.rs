//! The event log's arrivals, in blocks.
//!
//! One event per stored entry made the log one sled insert per entry, the same count
//! as the entries themselves. A watch round numbers its arrivals consecutively, so
//! they are written as blocks instead: key the first event number (u64 BE), value the
//! events in number order, each `len (u16 BE) ‖ bytes`, at most [`PER_BLOCK`] of them.
//! A block's events are numbered from its key up, one by one.

use sled::IVec;

use super::StoreError;

/// Events per block: a full round of a catch-up makes 4 of them.
pub(super) const PER_BLOCK: usize = 256;

/// Groups numbered events into blocks of consecutive numbers.
pub(super) fn blocks(events: &[(u64, Vec<u8>)]) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let mut out: Vec<(u64, Vec<u8>, usize)> = Vec::new();
    for (n, bytes) in events {
        let len = u16::try_from(bytes.len()).map_err(|_| {
            StoreError::Corrupt(format!("event {n} is {} bytes, over 65535", bytes.len()))
        })?;
        let open = out.last_mut().filter(|(first, _, count)| {
            *count < PER_BLOCK && first.checked_add(*count as u64) == Some(*n)
        });
        let block = match open {
            Some(block) => block,
            None => {
                out.push((*n, Vec::new(), 0));
                out.last_mut()
                    .ok_or_else(|| StoreError::Corrupt("no block".into()))?
            }
        };
        block.1.extend_from_slice(&len.to_be_bytes());
        block.1.extend_from_slice(bytes);
        block.2 += 1;
    }
    Ok(out
        .into_iter()
        .map(|(first, value, _)| (first, value))
        .collect())
}

/// The events of the block numbered from `first`; `None` if it does not decode.
pub(super) fn events(first: u64, block: &IVec) -> Option<Vec<(u64, IVec)>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < block.len() {
        let len = usize::from(u16::from_be_bytes(block.get(at..at + 2)?.try_into().ok()?));
        let bytes = block.get(at + 2..at + 2 + len)?;
        out.push((first.checked_add(out.len() as u64)?, IVec::from(bytes)));
        at += 2 + len;
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_events_share_a_block_and_read_back() {
        let events: Vec<(u64, Vec<u8>)> = (5..5 + 300)
            .chain([400, 401])
            .map(|n| (n, vec![n as u8; (n % 7) as usize + 1]))
            .collect();
        let blocks = blocks(&events).unwrap();
        let firsts: Vec<u64> = blocks.iter().map(|b| b.0).collect();
        assert_eq!(
            firsts,
            [5, 5 + 256, 400],
            "full at 256, and a gap starts a block"
        );
        let back: Vec<(u64, Vec<u8>)> = blocks
            .iter()
            .flat_map(|(first, value)| events_of(*first, value))
            .collect();
        assert_eq!(back, events);
    }

    fn events_of(first: u64, value: &[u8]) -> Vec<(u64, Vec<u8>)> {
        events(first, &IVec::from(value))
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n, v.to_vec()))
            .collect()
    }

    #[test]
    fn a_damaged_block_does_not_decode() {
        let (_, value) = blocks(&[(1, b"abc".to_vec()), (2, b"de".to_vec())]).unwrap()[0].clone();
        assert!(events(1, &IVec::from(&value[..value.len() - 1])).is_none());
        assert!(events(1, &IVec::from(&value[..1])).is_none());
        assert!(events(1, &IVec::from(&[] as &[u8])).is_none());
        assert!(
            events(u64::MAX, &IVec::from(value)).is_none(),
            "numbers past u64"
        );
        assert!(blocks(&[(1, vec![0; 70_000])]).is_err());
    }
}
