//! Rate limits with GCRA (the generic cell rate algorithm): each key has a "theoretical arrival
//! time" (TAT); a call is allowed when the TAT is at most `burst - 1` intervals ahead of now, and
//! pushes it one interval further. One timestamp per key, no background refill.
//!
//! Keys are `ip:<address>` for anonymous calls and `user:<id>` for authenticated ones, prefixed
//! with the route class, so signing up and browsing draw on separate budgets.
//!
//! With Redis the TAT lives there, so every replica shares one budget; the check runs as one Lua
//! script using Redis' clock, so replicas' clocks do not matter. If Redis cannot be reached the
//! call is allowed and a warning logged: a rate limiter must not take the platform down with it.
//! The connection may use TLS (`rediss://`): see `ratelimit/redis_pool.rs` and docs/tls.md.

mod redis_pool;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_redis::redis::Script;

pub use redis_pool::RedisUrlError;

/// Where arrival times are kept.
pub enum RateLimiter {
    /// Per process: each replica enforces the limit on its own.
    Memory(Mutex<HashMap<String, Instant>>),
    /// Shared by every replica.
    Redis {
        pool: deadpool_redis::Pool,
        prefix: String,
        script: Script,
    },
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory(_) => f.write_str("RateLimiter::Memory"),
            Self::Redis { prefix, .. } => write!(f, "RateLimiter::Redis({prefix})"),
        }
    }
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

/// GCRA in Redis. KEYS[1]: the key; ARGV: interval and tolerance in microseconds. Returns 0 when
/// the call is allowed, else the microseconds to wait.
const GCRA_SCRIPT: &str = r"
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now - tolerance
if wait > 0 then return wait end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000) + 1)
return 0
";

impl RateLimiter {
    /// A limiter keeping its state in this process.
    pub fn in_memory() -> Self {
        Self::Memory(Mutex::new(HashMap::new()))
    }

    /// A limiter keeping its state in Redis at `url` (`redis://`, or `rediss://` for TLS), under
    /// keys starting with `prefix`.
    pub fn redis(url: &str, prefix: &str) -> Result<Self, RedisUrlError> {
        Ok(Self::Redis {
            pool: redis_pool::pool(url)?,
            prefix: prefix.to_owned(),
            script: Script::new(GCRA_SCRIPT),
        })
    }

    /// Counts a call for `key`: `Ok` if allowed, else how long until the next one would be.
    pub async fn check(&self, key: &str, quota: Quota) -> Result<(), Duration> {
        match self {
            Self::Memory(arrivals) => {
                let now = Instant::now();
                let mut arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner());
                if arrivals.len() > SWEEP_THRESHOLD {
                    arrivals.retain(|_, tat| *tat > now);
                }
                // A known key is updated in place: no key copy on the common path.
                let known = arrivals.get_mut(key);
                let tat = known.as_deref().copied().unwrap_or(now).max(now);
                let ahead = tat - now;
                if ahead > quota.tolerance() {
                    return Err(ahead - quota.tolerance());
                }
                match known {
                    Some(slot) => *slot = tat + quota.interval(),
                    None => {
                        arrivals.insert(key.to_owned(), tat + quota.interval());
                    }
                }
                Ok(())
            }
            Self::Redis {
                pool,
                prefix,
                script,
            } => {
                let result: anyhow::Result<u64> = async {
                    let mut connection = pool.get().await?;
                    let wait = script
                        .key(format!("{prefix}{key}"))
                        .arg(micros(quota.interval()))
                        .arg(micros(quota.tolerance()))
                        .invoke_async(&mut connection)
                        .await?;
                    Ok(wait)
                }
                .await;
                match result {
                    Ok(0) => Ok(()),
                    Ok(wait) => Err(Duration::from_micros(wait)),
                    Err(err) => {
                        tracing::warn!("rate limiting without Redis, allowing the call: {err:#}");
                        Ok(())
                    }
                }
            }
        }
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUOTA: Quota = Quota {
        per_minute: 60,
        burst: 3,
    };

    async fn a_burst_is_allowed_and_the_next_call_waits_one_interval(limiter: RateLimiter) {
        for _ in 0..3 {
            assert!(limiter.check("ip:1", QUOTA).await.is_ok());
        }
        let wait = limiter
            .check("ip:1", QUOTA)
            .await
            .expect_err("the fourth call is over the burst");
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(
            limiter.check("ip:2", QUOTA).await.is_ok(),
            "keys are independent"
        );
    }

    #[tokio::test]
    async fn in_memory_a_burst_is_allowed_and_the_next_call_waits_one_interval() {
        a_burst_is_allowed_and_the_next_call_waits_one_interval(RateLimiter::in_memory()).await;
    }

    #[tokio::test]
    async fn in_redis_a_burst_is_allowed_and_the_next_call_waits_one_interval() {
        let url = std::env::var("ESTOSPACES_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let prefix = format!("estospaces-test:{}:", uuid::Uuid::new_v4());
        let limiter = RateLimiter::redis(&url, &prefix).expect("a Redis pool");
        a_burst_is_allowed_and_the_next_call_waits_one_interval(limiter).await;
    }

    #[tokio::test]
    async fn two_redis_limiters_with_one_prefix_share_a_budget() {
        let url = std::env::var("ESTOSPACES_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let prefix = format!("estospaces-test:{}:", uuid::Uuid::new_v4());
        let first = RateLimiter::redis(&url, &prefix).expect("a Redis pool");
        let second = RateLimiter::redis(&url, &prefix).expect("a Redis pool");
        for limiter in [&first, &second, &first] {
            assert!(limiter.check("user:1", QUOTA).await.is_ok());
        }
        assert!(
            second.check("user:1", QUOTA).await.is_err(),
            "the fourth call over both replicas is over the burst"
        );
    }
}
