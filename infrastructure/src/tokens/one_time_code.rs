//! One-time codes for signing: six digits derived from a key and the signature they are for, so
//! nothing secret is stored (not in the event log, which auditors read, nor in the outbox) and
//! the mail composer and the confirmation derive the same code independently.
//!
//! The key is derived from the capability secret under its own label, so a code never equals
//! anything else made with that secret.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

const LABEL: &[u8] = b"arreta one-time signature codes v1";

#[derive(Clone)]
pub struct OneTimeCodes {
    key: [u8; 32],
}

impl OneTimeCodes {
    /// From the capability secret (at least 32 bytes, checked by the caller).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: super::derive_key(secret, LABEL),
        }
    }

    fn mac(&self, request_id: Uuid, signature_id: Uuid, requested_at: DateTime<Utc>) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(request_id.as_bytes());
        mac.update(signature_id.as_bytes());
        mac.update(&requested_at.timestamp_micros().to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The code for a signature asked for at `requested_at`: six decimal digits, as in RFC 4226's
    /// dynamic truncation.
    pub fn code(
        &self,
        request_id: Uuid,
        signature_id: Uuid,
        requested_at: DateTime<Utc>,
    ) -> String {
        let mac = self.mac(request_id, signature_id, requested_at);
        let offset = usize::from(mac[31] & 0x0f);
        let value = u32::from_be_bytes([
            mac[offset],
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]) & 0x7fff_ffff;
        format!("{:06}", value % 1_000_000)
    }

    /// Whether `typed` is the code, compared in constant time. Spaces the citizen typed between
    /// digit groups are ignored.
    pub fn matches(
        &self,
        typed: &str,
        request_id: Uuid,
        signature_id: Uuid,
        requested_at: DateTime<Utc>,
    ) -> bool {
        let typed: Vec<u8> = typed.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let expected = self.code(request_id, signature_id, requested_at);
        if typed.len() != expected.len() {
            return false;
        }
        typed
            .iter()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_stable_and_bound_to_the_signature() {
        let codes = OneTimeCodes::new(&[7u8; 32]);
        let (case, sig) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let at = DateTime::from_timestamp(1_800_000_000, 123_000).expect("time");
        let code = codes.code(case, sig, at);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(code, codes.code(case, sig, at));
        assert!(codes.matches(&format!(" {} {} ", &code[..3], &code[3..]), case, sig, at));
        let others = [
            codes.code(case, Uuid::from_u128(3), at),
            codes.code(Uuid::from_u128(4), sig, at),
            codes.code(case, sig, at + chrono::Duration::microseconds(1)),
            OneTimeCodes::new(&[8u8; 32]).code(case, sig, at),
        ];
        // One of 10^6 per pair: a collision here would mean the inputs are not all bound.
        assert!(
            others.iter().all(|other| *other != code),
            "{others:?} vs {code}"
        );
        assert!(!codes.matches("", case, sig, at));
        assert!(!codes.matches(&format!("{code}0"), case, sig, at));
    }
}
