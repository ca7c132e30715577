//! Backoff between delivery attempts, shared by the mail and webhook senders.

use chrono::Duration;

/// `base · 2^(attempts-1)` seconds, at most `max`.
pub fn backoff(attempts: i32, base: u64, max: u64) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let seconds = base.saturating_mul(1u64 << exponent).min(max);
    Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_maximum() {
        let waits: Vec<i64> = (1..=8).map(|a| backoff(a, 5, 300).num_seconds()).collect();
        assert_eq!(waits, vec![5, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(backoff(1000, 5, 300).num_seconds(), 300);
        assert_eq!(backoff(0, 5, 300).num_seconds(), 5);
    }
}
