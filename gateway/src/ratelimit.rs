//! Rate limits with GCRA (the generic cell rate algorithm): each key has a "theoretical arrival
//! time"; a call is allowed when that time is at most `burst` intervals ahead of now, and pushes
//! it one interval further. One timestamp per key, no background refill.
//!
//! Keys are `ip:<address>` for anonymous calls and `user:<id>` for authenticated ones, prefixed
//! with the route class, so signing up and browsing draw on separate budgets.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where arrival times are kept.
#[derive(Debug)]
pub enum RateLimiter {
    /// Per process: each replica enforces the limit on its own.
    Memory(Mutex<HashMap<String, Instant>>),
}

/// How many calls per minute, with how large a burst.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    pub per_minute: u32,
    pub burst: u32,
}

impl Quota {
    fn interval(self) -> Duration {
        Duration::from_secs(60) / self.per_minute.max(1)
    }

    fn tolerance(self) -> Duration {
        self.interval() * self.burst.saturating_sub(1)
    }
}

/// Entries beyond which expired ones are swept, so idle keys do not accumulate.
const SWEEP_THRESHOLD: usize = 100_000;

impl RateLimiter {
    /// A limiter keeping its state in this process.
    pub fn in_memory() -> Self {
        Self::Memory(Mutex::new(HashMap::new()))
    }

    /// Counts a call for `key`: `Ok` if allowed, else how long until the next one would be.
    pub fn check(&self, key: &str, quota: Quota) -> Result<(), Duration> {
        match self {
            Self::Memory(arrivals) => {
                let now = Instant::now();
                let mut arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner());
                if arrivals.len() > SWEEP_THRESHOLD {
                    arrivals.retain(|_, tat| *tat > now);
                }
                let tat = arrivals.get(key).copied().unwrap_or(now).max(now);
                let ahead = tat - now;
                if ahead > quota.tolerance() {
                    return Err(ahead - quota.tolerance());
                }
                arrivals.insert(key.to_owned(), tat + quota.interval());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_and_the_next_call_waits_one_interval() {
        let limiter = RateLimiter::in_memory();
        let quota = Quota {
            per_minute: 60,
            burst: 3,
        };
        for _ in 0..3 {
            assert!(limiter.check("ip:1", quota).is_ok());
        }
        let wait = limiter
            .check("ip:1", quota)
            .expect_err("the fourth call is over the burst");
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(limiter.check("ip:2", quota).is_ok(), "keys are independent");
    }
}
