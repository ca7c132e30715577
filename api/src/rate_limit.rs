//! Rate limits for anonymous callers and capability-link holders, per client address: a token
//! bucket per (class, address), in process memory. Behind several api replicas each replica
//! limits on its own, so the effective limit is the configured one times the replicas.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use infrastructure::config::RateLimitSettings;

use crate::problem::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitClass {
    Public,
    Citizen,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

pub struct RateLimiter {
    public_per_second: f64,
    citizen_per_second: f64,
    capacity: f64,
    buckets: Mutex<HashMap<(LimitClass, String), Bucket>>,
}

/// Above this many addresses, buckets that have refilled are forgotten.
const MAX_TRACKED: usize = 10_000;

impl RateLimiter {
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self {
            public_per_second: f64::from(settings.public_per_minute) / 60.0,
            citizen_per_second: f64::from(settings.citizen_per_minute) / 60.0,
            capacity: f64::from(settings.burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the caller's bucket, or says how many seconds to wait.
    pub fn check(&self, class: LimitClass, address: &str) -> Result<(), ApiError> {
        let rate = match class {
            LimitClass::Public => self.public_per_second,
            LimitClass::Citizen => self.citizen_per_second,
        };
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > MAX_TRACKED {
            let capacity = self.capacity;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < capacity
            });
        }
        let bucket = buckets
            .entry((class, address.to_string()))
            .or_insert(Bucket {
                tokens: self.capacity,
                updated: now,
            });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * rate)
            .min(self.capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = if rate > 0.0 {
                ((1.0 - bucket.tokens) / rate).ceil() as u64
            } else {
                60
            };
            Err(ApiError::TooManyRequests {
                retry_after: wait.max(1),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_caller_waits() {
        let limiter = RateLimiter::new(&RateLimitSettings {
            public_per_minute: 60,
            citizen_per_minute: 6,
            burst: 3,
        });
        for _ in 0..3 {
            assert!(limiter.check(LimitClass::Public, "10.0.0.1").is_ok());
        }
        assert!(matches!(
            limiter.check(LimitClass::Public, "10.0.0.1"),
            Err(ApiError::TooManyRequests { retry_after: 1 })
        ));
        // Another address and another class have their own buckets.
        assert!(limiter.check(LimitClass::Public, "10.0.0.2").is_ok());
        for _ in 0..3 {
            assert!(limiter.check(LimitClass::Citizen, "10.0.0.1").is_ok());
        }
        assert!(matches!(
            limiter.check(LimitClass::Citizen, "10.0.0.1"),
            Err(ApiError::TooManyRequests { retry_after: 10 })
        ));
    }
}
