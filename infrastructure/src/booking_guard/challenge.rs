//! The proof of work asked of anonymous bookers: a challenge the api signs and forgets, and the
//! nonce the booker's browser finds for it.
//!
//! Finding the nonce takes a browser about a second (2^bits SHA-256 hashes on average); checking
//! it takes the api one. A script that books in bulk pays that second for every booking, and
//! cannot reuse a challenge: each is spent once (`spent_challenges`, in the booking guard's
//! transaction). The challenge carries its difficulty and expiry under an HMAC keyed from the
//! links' secret, so every replica verifies what any replica issued, and nobody lowers either.
//! Nothing personal goes to anyone: no third-party captcha.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "v1";
/// Longer nonces are not needed (2^64 tries) and would only cost hashing.
const MAX_NONCE_DIGITS: usize = 20;

/// A challenge as handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `v1.<bits>.<expiry>.<id>.<mac>`: what the booker hashes, followed by `:<nonce>`.
    pub text: String,
    pub bits: u8,
    pub expires_at: DateTime<Utc>,
}

/// A challenge whose proof holds: what remains is to spend it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solved {
    /// The challenge's random id, the key it is spent under.
    pub id: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("the challenge or the nonce is malformed")]
    Malformed,
    #[error("the challenge was not issued by this service")]
    Forged,
    #[error("the challenge has expired")]
    Expired,
    #[error("the nonce does not solve the challenge")]
    Unsolved,
    #[error("the challenge was already used")]
    Spent,
}

/// Issues and checks challenges.
#[derive(Clone)]
pub struct Challenges {
    key: [u8; 32],
    bits: u8,
    lifetime: Duration,
}

impl Challenges {
    pub fn new(key: [u8; 32], bits: u8, lifetime: Duration) -> Self {
        Self {
            key,
            bits: bits.min(32),
            lifetime,
        }
    }

    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// A challenge at the base difficulty.
    pub fn issue(&self, now: DateTime<Utc>) -> Challenge {
        self.issue_at(now, self.bits)
    }

    /// A challenge asking `bits` (never fewer than the base).
    pub fn issue_at(&self, now: DateTime<Utc>, bits: u8) -> Challenge {
        let bits = bits.clamp(self.bits, 32);
        let mut id = [0u8; 16];
        rand::rng().fill_bytes(&mut id);
        let expires_at = now + self.lifetime;
        let signed = format!(
            "{VERSION}.{bits}.{}.{}",
            expires_at.timestamp(),
            hex::encode(id)
        );
        let mac = hex::encode(self.mac(&signed).finalize().into_bytes());
        Challenge {
            text: format!("{signed}.{mac}"),
            bits,
            expires_at,
        }
    }

    /// Whether `nonce` solves `text`, a challenge this service issued that has not expired and
    /// asks at least today's difficulty. Pure: spending it is the guard's.
    pub fn check(
        &self,
        text: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Solved, ChallengeError> {
        if nonce.is_empty()
            || nonce.len() > MAX_NONCE_DIGITS
            || !nonce.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ChallengeError::Malformed);
        }
        let (signed, mac) = text.rsplit_once('.').ok_or(ChallengeError::Malformed)?;
        let mac = hex::decode(mac).map_err(|_| ChallengeError::Malformed)?;
        self.mac(signed)
            .verify_slice(&mac)
            .map_err(|_| ChallengeError::Forged)?;
        let mut parts = signed.split('.');
        let (Some(VERSION), Some(bits), Some(expiry), Some(id), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(ChallengeError::Malformed);
        };
        let bits: u8 = bits.parse().map_err(|_| ChallengeError::Malformed)?;
        let expires_at = expiry
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(ChallengeError::Malformed)?;
        if expires_at <= now {
            return Err(ChallengeError::Expired);
        }
        // Issued before the difficulty was raised: not hard enough any more.
        if bits < self.bits {
            return Err(ChallengeError::Unsolved);
        }
        if leading_zero_bits(&digest(text, nonce)) < u32::from(bits) {
            return Err(ChallengeError::Unsolved);
        }
        Ok(Solved {
            id: id.to_string(),
            expires_at,
        })
    }

    fn mac(&self, signed: &str) -> HmacSha256 {
        // A 32-byte key: new_from_slice cannot refuse it.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(signed.as_bytes());
        mac
    }
}

/// The difficulty while `recent` anonymous bookings were made in the last window: the base
/// while they stay within `surge`, then one more bit (twice the work) each time they double, up
/// to `max_extra` more. A script booking in bulk makes its own next bookings dearer; a person
/// booking in a quiet hour pays the base.
pub fn surge_bits(base: u8, recent: u64, surge: u64, max_extra: u8) -> u8 {
    let surge = surge.max(1);
    if recent <= surge {
        return base;
    }
    // The smallest k with recent <= surge * 2^k.
    let mut extra = 0u8;
    let mut bound = surge;
    while recent > bound && extra < max_extra {
        bound = bound.saturating_mul(2);
        extra += 1;
    }
    base.saturating_add(extra)
}

/// SHA-256 of `challenge:nonce`, as the page's worker computes it.
pub fn digest(challenge: &str, nonce: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(challenge.as_bytes());
    hash.update(b":");
    hash.update(nonce.as_bytes());
    hash.finalize().into()
}

pub fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// The smallest nonce that solves `challenge` at `bits`: what a booker's browser does, here for
/// tests and tools.
pub fn solve(challenge: &str, bits: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| leading_zero_bits(&digest(challenge, n)) >= u32::from(bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenges(bits: u8) -> Challenges {
        Challenges::new([3u8; 32], bits, Duration::minutes(5))
    }

    #[test]
    fn the_difficulty_rises_a_bit_each_time_bookings_double_past_the_surge() {
        assert_eq!(surge_bits(18, 0, 60, 6), 18);
        assert_eq!(surge_bits(18, 60, 60, 6), 18);
        assert_eq!(surge_bits(18, 61, 60, 6), 19);
        assert_eq!(surge_bits(18, 120, 60, 6), 19);
        assert_eq!(surge_bits(18, 121, 60, 6), 20);
        assert_eq!(surge_bits(18, 200, 60, 6), 20);
        assert_eq!(surge_bits(18, 1_000_000, 60, 6), 24, "capped");
        assert_eq!(surge_bits(18, 5, 0, 6), 21, "a surge of 0 is read as 1");
    }

    #[test]
    fn a_challenge_issued_harder_carries_its_difficulty_and_checks() {
        let now = Utc::now();
        let harder = challenges(4).issue_at(now, 9);
        assert_eq!(harder.bits, 9);
        let nonce = solve(&harder.text, 9);
        assert!(challenges(4).check(&harder.text, &nonce, now).is_ok());
        // Never easier than the base.
        assert_eq!(challenges(4).issue_at(now, 1).bits, 4);
    }

    #[test]
    fn leading_zero_bits_count_across_bytes() {
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0x00, 0x10]), 11);
        assert_eq!(leading_zero_bits(&[0x00, 0x00]), 16);
    }

    #[test]
    fn given_a_solved_challenge_when_checked_then_it_holds_and_names_its_id() {
        let now = Utc::now();
        let issued = challenges(8).issue(now);
        assert_eq!(issued.bits, 8);
        let nonce = solve(&issued.text, 8);
        let solved = challenges(8)
            .check(&issued.text, &nonce, now)
            .expect("solved");
        assert_eq!(
            solved.expires_at.timestamp(),
            (now + Duration::minutes(5)).timestamp()
        );
        assert!(issued.text.contains(&solved.id));
    }

    #[test]
    fn given_a_wrong_nonce_when_checked_then_it_is_unsolved() {
        let now = Utc::now();
        let issued = challenges(12).issue(now);
        let nonce = solve(&issued.text, 12);
        // The nonces before the first solution do not solve it.
        let earlier = (nonce.parse::<u64>().expect("digits")).saturating_sub(1);
        if earlier.to_string() != nonce {
            assert_eq!(
                challenges(12).check(&issued.text, &earlier.to_string(), now),
                Err(ChallengeError::Unsolved)
            );
        }
        for bad in ["", "12a", "-1", "123456789012345678901"] {
            assert_eq!(
                challenges(12).check(&issued.text, bad, now),
                Err(ChallengeError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn given_a_challenge_changed_or_issued_elsewhere_when_checked_then_it_is_forged() {
        let now = Utc::now();
        let issued = challenges(8).issue(now);
        // Lowering its difficulty breaks the MAC.
        let easier = issued.text.replacen("v1.8.", "v1.0.", 1);
        assert_eq!(
            challenges(8).check(&easier, "0", now),
            Err(ChallengeError::Forged)
        );
        let other = Challenges::new([4u8; 32], 8, Duration::minutes(5));
        let nonce = solve(&issued.text, 8);
        assert_eq!(
            other.check(&issued.text, &nonce, now),
            Err(ChallengeError::Forged)
        );
        assert_eq!(
            challenges(8).check("not a challenge", "0", now),
            Err(ChallengeError::Malformed)
        );
    }

    #[test]
    fn given_an_expired_or_too_easy_challenge_when_checked_then_it_is_refused() {
        let now = Utc::now();
        let issued = challenges(4).issue(now);
        let nonce = solve(&issued.text, 4);
        assert_eq!(
            challenges(4).check(&issued.text, &nonce, now + Duration::minutes(6)),
            Err(ChallengeError::Expired)
        );
        // The difficulty was raised since it was issued.
        let stricter = Challenges::new([3u8; 32], 20, Duration::minutes(5));
        assert_eq!(
            stricter.check(&issued.text, &nonce, now),
            Err(ChallengeError::Unsolved)
        );
    }
}
