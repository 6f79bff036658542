//! Failed sign-ins per client address, in this process: after `FREE` failures within the
//! window, each further attempt from that address must wait twice as long as the one before
//! (up to a minute), answered 429 with `Retry-After` until then. Progressive rather than a
//! lock, because one address may be many phones behind a carrier's NAT; the per-(name,
//! address) lock in storage does the rest.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const FREE: u32 = 10;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_WAIT_SECS: u64 = 60;
/// Addresses remembered at most: a flood from many addresses cannot grow the map.
const MAX_ADDRESSES: usize = 10_000;

#[derive(Default)]
pub struct AddressThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
    last: Instant,
}

impl Failures {
    /// When the next attempt is allowed.
    fn next_allowed(&self) -> Instant {
        let over = self.count.saturating_sub(FREE);
        if over == 0 {
            return self.last;
        }
        let wait = 1u64
            .checked_shl(over - 1)
            .unwrap_or(u64::MAX)
            .min(MAX_WAIT_SECS);
        self.last + Duration::from_secs(wait)
    }
}

impl AddressThrottle {
    /// Seconds this address must still wait before it may try again; `None`: it may now.
    pub fn wait(&self, address: &str, now: Instant) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let f = map.get(address).filter(|f| now - f.first < WINDOW)?;
        let next = f.next_allowed();
        (next > now).then(|| (next - now).as_secs().max(1))
    }

    /// Counts a failed attempt from this address.
    pub fn failed(&self, address: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ADDRESSES && !map.contains_key(address) {
            map.retain(|_, f| now - f.first < WINDOW);
            if map.len() >= MAX_ADDRESSES {
                // Still full of fresh addresses: forget the half that failed longest ago.
                let mut lasts: Vec<Instant> = map.values().map(|f| f.last).collect();
                lasts.sort_unstable();
                let cut = lasts[lasts.len() / 2];
                map.retain(|_, f| f.last > cut);
            }
        }
        let entry = map.entry(address.to_owned()).or_insert(Failures {
            count: 0,
            first: now,
            last: now,
        });
        if now - entry.first >= WINDOW {
            *entry = Failures {
                count: 0,
                first: now,
                last: now,
            };
        }
        entry.count += 1;
        entry.last = now;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.failures.lock().map(|m| m.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_waits_longer_after_each_failure_past_the_free_ones_up_to_a_minute() {
        let t = AddressThrottle::default();
        let now = Instant::now();
        for _ in 0..FREE {
            assert_eq!(t.wait("10.0.0.1", now), None);
            t.failed("10.0.0.1", now);
        }
        assert_eq!(
            t.wait("10.0.0.1", now),
            None,
            "the free failures cost nothing"
        );
        t.failed("10.0.0.1", now);
        assert_eq!(t.wait("10.0.0.1", now), Some(1));
        t.failed("10.0.0.1", now);
        assert_eq!(t.wait("10.0.0.1", now), Some(2));
        for _ in 0..20 {
            t.failed("10.0.0.1", now);
        }
        assert_eq!(t.wait("10.0.0.1", now), Some(MAX_WAIT_SECS));
        assert_eq!(
            t.wait("10.0.0.2", now),
            None,
            "other addresses are not touched"
        );
        assert_eq!(t.wait("10.0.0.1", now + WINDOW), None, "the window ends");
    }

    #[test]
    fn a_flood_from_many_addresses_keeps_the_map_bounded() {
        let t = AddressThrottle::default();
        let now = Instant::now();
        for i in 0..(3 * MAX_ADDRESSES) {
            t.failed(&format!("addr-{i}"), now + Duration::from_millis(i as u64));
        }
        assert!(t.len() <= MAX_ADDRESSES, "{}", t.len());
    }
}
