//! Short-lived TURN credentials, as coturn's `use-auth-secret` checks them (the "TURN REST API"
//! scheme): the username is `<unix expiry>:<who>` and the password is the base64 of
//! HMAC-SHA1(shared secret, username). The TURN server needs only the secret, no user list;
//! a credential stops working at its expiry, so what a link holder receives is worth nothing
//! after the call, and no static password is ever handed out.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// A credential for one participant of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnCredential {
    pub username: String,
    pub password: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues a credential for `who` (e.g. `<request>:citizen`) valid until `expires_at`.
pub fn credential(secret: &[u8], who: &str, expires_at: DateTime<Utc>) -> TurnCredential {
    let username = format!("{}:{who}", expires_at.timestamp());
    TurnCredential {
        password: password(secret, &username),
        username,
        expires_at,
    }
}

/// What coturn computes from the username to check the password.
pub fn password(secret: &[u8], username: &str) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha1>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts every key length"),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_password_is_the_base64_hmac_sha1_of_the_username() {
        // RFC 2202's HMAC-SHA1 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            password(b"Jefe", "what do ya want for nothing?"),
            base64::engine::general_purpose::STANDARD
                .encode(hex::decode("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79").expect("hex"))
        );
    }

    #[test]
    fn the_username_carries_the_expiry_first() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
            .single()
            .expect("time");
        let issued = credential(b"secret", "case:citizen", at);
        assert_eq!(issued.username, format!("{}:case:citizen", at.timestamp()));
        assert_eq!(issued.password, password(b"secret", &issued.username));
        assert_ne!(
            issued.password,
            credential(b"other", "case:citizen", at).password
        );
    }
}
