//! Token verification: every way a token can be wrong is refused, each for its own reason.

use base64::Engine;
use chrono::{Duration, Utc};
use domain::capability::Purpose;
use domain::metadata::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use uuid::Uuid;

use super::staff::TrustedKey;
use super::*;

const ISSUER: &str = "https://idp.example.eus/realms/council";
const AUDIENCE: &str = "arreta";

fn key(name: &str) -> &'static [u8] {
    match name {
        "ed25519" => include_bytes!("test-keys/ed25519.pem"),
        "ed25519.pub" => include_bytes!("test-keys/ed25519.pub.pem"),
        "es256" => include_bytes!("test-keys/es256.pem"),
        "es256.pub" => include_bytes!("test-keys/es256.pub.pem"),
        "rs256" => include_bytes!("test-keys/rs256.pem"),
        "rs256.pub" => include_bytes!("test-keys/rs256.pub.pem"),
        other => panic!("no test key {other}"),
    }
}

fn verifier() -> StaffVerifier {
    let keys = ["ed25519.pub", "es256.pub", "rs256.pub"]
        .iter()
        .map(|k| TrustedKey::from_pem(key(k), None).expect("a usable public key"))
        .collect();
    StaffVerifier::new(keys, ISSUER, AUDIENCE, 60, 8192)
}

fn claims(overrides: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "sub": "clerk-07", "roles": ["clerk"], "iss": ISSUER, "aud": AUDIENCE,
        "iat": now, "nbf": now, "exp": now + 600
    });
    for (k, v) in overrides.as_object().expect("object") {
        if v.is_null() {
            claims.as_object_mut().expect("object").remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn sign(algorithm: Algorithm, private: &str, claims: &Value) -> String {
    let encoding = match algorithm {
        Algorithm::EdDSA => EncodingKey::from_ed_pem(key(private)),
        Algorithm::ES256 => EncodingKey::from_ec_pem(key(private)),
        Algorithm::RS256 => EncodingKey::from_rsa_pem(key(private)),
        _ => panic!("not an asymmetric algorithm"),
    }
    .expect("private key");
    jsonwebtoken::encode(&Header::new(algorithm), claims, &encoding).expect("signed")
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[test]
fn tokens_of_each_accepted_algorithm_verify_with_their_roles() {
    for (algorithm, private) in [
        (Algorithm::EdDSA, "ed25519"),
        (Algorithm::ES256, "es256"),
        (Algorithm::RS256, "rs256"),
    ] {
        let token = sign(
            algorithm,
            private,
            &claims(json!({ "roles": ["clerk", "supervisor", "wizard"] })),
        );
        let identity = verifier().verify(&token).expect("valid token");
        assert_eq!(identity.subject, "clerk-07");
        assert_eq!(
            identity.roles,
            vec![Role::Clerk, Role::Supervisor],
            "{algorithm:?}"
        );
    }
}

#[test]
fn a_single_role_claim_and_the_hyphenated_spelling_are_understood() {
    let token = sign(
        Algorithm::EdDSA,
        "ed25519",
        &claims(json!({ "roles": null, "role": "municipal-sync" })),
    );
    assert_eq!(
        verifier().verify(&token).expect("valid").roles,
        vec![Role::MunicipalSync]
    );
}

#[test]
fn the_identity_providers_operator_role_is_the_010_operators() {
    let token = sign(
        Algorithm::EdDSA,
        "ed25519",
        &claims(json!({ "roles": ["operator"] })),
    );
    assert_eq!(
        verifier().verify(&token).expect("valid").roles,
        vec![Role::Operator]
    );
}

#[test]
fn a_staff_token_cannot_claim_the_citizen_or_system_role() {
    let token = sign(
        Algorithm::EdDSA,
        "ed25519",
        &claims(json!({ "roles": ["system", "citizen"] })),
    );
    assert!(verifier().verify(&token).expect("valid").roles.is_empty());
}

#[test]
fn an_expired_token_is_refused_but_clock_skew_within_the_leeway_is_not() {
    let now = Utc::now().timestamp();
    let expired = sign(
        Algorithm::EdDSA,
        "ed25519",
        &claims(json!({ "exp": now - 120 })),
    );
    assert_eq!(verifier().verify(&expired), Err(TokenError::Expired));
    let just = sign(
        Algorithm::EdDSA,
        "ed25519",
        &claims(json!({ "exp": now - 30 })),
    );
    assert!(verifier().verify(&just).is_ok());
    let early = sign(
        Algorithm::EdDSA,
        "ed25519",
        &claims(json!({ "nbf": now + 300 })),
    );
    assert_eq!(verifier().verify(&early), Err(TokenError::NotYetValid));
}

#[test]
fn wrong_audience_and_wrong_issuer_are_refused() {
    let token = sign(
        Algorithm::EdDSA,
        "ed25519",
        &claims(json!({ "aud": "another-app" })),
    );
    assert_eq!(verifier().verify(&token), Err(TokenError::Audience));
    let token = sign(
        Algorithm::EdDSA,
        "ed25519",
        &claims(json!({ "iss": "https://evil.example" })),
    );
    assert_eq!(verifier().verify(&token), Err(TokenError::Issuer));
    let token = sign(Algorithm::EdDSA, "ed25519", &claims(json!({ "exp": null })));
    assert_eq!(
        verifier().verify(&token),
        Err(TokenError::MissingClaim("exp".into()))
    );
}

#[test]
fn a_symmetric_token_keyed_with_a_public_key_is_refused() {
    // The classic confusion: HS256 with the RSA public key as the shared secret.
    let encoding = EncodingKey::from_secret(key("rs256.pub")).expect("secret");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &encoding,
    )
    .expect("signed");
    assert_eq!(verifier().verify(&token), Err(TokenError::Algorithm));
}

#[test]
fn alg_none_is_refused() {
    let token = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims(json!({})))
    );
    assert!(matches!(
        verifier().verify(&token),
        Err(TokenError::Algorithm | TokenError::Malformed)
    ));
}

#[test]
fn a_bad_signature_or_an_untrusted_key_is_refused() {
    let token = sign(Algorithm::EdDSA, "ed25519", &claims(json!({})));
    let (rest, signature) = token.rsplit_once('.').expect("three parts");
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .expect("b64");
    bytes[0] ^= 1;
    let tampered = format!(
        "{rest}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    assert_eq!(verifier().verify(&tampered), Err(TokenError::Signature));
    // Claims changed under a valid signature.
    let (_, payload_and_sig) = token.split_once('.').expect("parts");
    let (_, sig) = payload_and_sig.split_once('.').expect("parts");
    let forged = format!(
        "{}.{}.{sig}",
        b64(&json!({ "alg": "EdDSA", "typ": "JWT" })),
        b64(&claims(json!({ "roles": ["supervisor"] })))
    );
    assert_eq!(verifier().verify(&forged), Err(TokenError::Signature));
    let only_es = StaffVerifier::new(
        vec![TrustedKey::from_pem(key("es256.pub"), None).expect("key")],
        ISSUER,
        AUDIENCE,
        60,
        8192,
    );
    let token = sign(Algorithm::EdDSA, "ed25519", &claims(json!({})));
    assert_eq!(only_es.verify(&token), Err(TokenError::Signature));
}

#[test]
fn malformed_base64_and_non_jwts_are_refused() {
    for token in [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "eyJhbGciOiJFZERTQSJ9.!!!.xyz",
        "%%%.eyJ9.sig",
    ] {
        assert!(
            matches!(
                verifier().verify(token),
                Err(TokenError::Malformed | TokenError::Algorithm)
            ),
            "{token:?}"
        );
    }
}

#[test]
fn an_oversize_token_is_refused_before_it_is_parsed() {
    let header = b64(&json!({ "alg": "EdDSA", "kid": "k".repeat(10_000) }));
    let token = format!("{header}.{}.sig", b64(&claims(json!({}))));
    assert_eq!(verifier().verify(&token), Err(TokenError::TooLarge(8192)));
}

#[test]
fn public_keys_are_typed_by_their_contents() {
    assert_eq!(
        TrustedKey::from_pem(key("ed25519.pub"), None).map(|k| k.algorithm),
        Some(Algorithm::EdDSA)
    );
    assert_eq!(
        TrustedKey::from_pem(key("es256.pub"), None).map(|k| k.algorithm),
        Some(Algorithm::ES256)
    );
    assert_eq!(
        TrustedKey::from_pem(key("rs256.pub"), None).map(|k| k.algorithm),
        Some(Algorithm::RS256)
    );
    assert!(
        TrustedKey::from_pem(key("ed25519"), None).is_none(),
        "a private key is not a trusted key"
    );
    assert!(TrustedKey::from_pem(b"not a key", None).is_none());
}

fn links() -> CapabilityKeys {
    CapabilityKeys::new(&[7u8; 32], 8192).expect("keys")
}

#[test]
fn a_capability_link_round_trips_with_its_purpose_and_slot() {
    let id = Uuid::now_v7();
    let slot = Utc::now() + Duration::days(2);
    let (token, issued) = links()
        .issue(
            id,
            Purpose::Join,
            Some(slot),
            Utc::now(),
            Duration::hours(1),
        )
        .expect("issued");
    let claims = links().verify(&token).expect("valid");
    assert_eq!(claims, issued);
    assert_eq!((claims.sub, claims.purpose), (id, Purpose::Join));
    assert_eq!(
        claims.slot_start().map(|s| s.timestamp()),
        Some(slot.timestamp())
    );
}

#[test]
fn a_capability_link_is_refused_when_expired_or_signed_with_another_secret() {
    let id = Uuid::now_v7();
    let past = Utc::now() - Duration::hours(2);
    let (expired, _) = links()
        .issue(id, Purpose::Upload, None, past, Duration::hours(1))
        .expect("issued");
    assert_eq!(links().verify(&expired), Err(TokenError::Expired));
    let other = CapabilityKeys::new(&[9u8; 32], 8192).expect("keys");
    let (token, _) = other
        .issue(id, Purpose::Upload, None, Utc::now(), Duration::hours(1))
        .expect("issued");
    assert_eq!(links().verify(&token), Err(TokenError::Signature));
    assert!(
        CapabilityKeys::new(&[1u8; 16], 8192).is_none(),
        "a short secret is refused"
    );
}

#[test]
fn links_and_staff_tokens_are_not_interchangeable() {
    let (link, _) = links()
        .issue(
            Uuid::now_v7(),
            Purpose::Manage,
            None,
            Utc::now(),
            Duration::hours(1),
        )
        .expect("issued");
    assert_eq!(verifier().verify(&link), Err(TokenError::Algorithm));
    let staff = sign(Algorithm::EdDSA, "ed25519", &claims(json!({})));
    assert_eq!(links().verify(&staff), Err(TokenError::Algorithm));
}

#[test]
fn development_keys_are_created_once_and_mint_verifiable_tokens() {
    let dir = std::env::temp_dir().join(format!("arreta-devkeys-{}", Uuid::new_v4().simple()));
    let keys = DevelopmentKeys::load_or_create(&dir).expect("created");
    let again = DevelopmentKeys::load_or_create(&dir).expect("loaded");
    assert_eq!(keys.public_pem(), again.public_pem());
    assert_eq!(keys.capability_secret(), again.capability_secret());
    let verifier = StaffVerifier::new(
        vec![keys.trusted_key().expect("key")],
        ISSUER,
        AUDIENCE,
        60,
        8192,
    );
    let token = again.mint(
        "sup-1",
        &[Role::Supervisor],
        ISSUER,
        AUDIENCE,
        Duration::minutes(5),
    );
    assert_eq!(
        verifier.verify(&token).expect("valid").roles,
        vec![Role::Supervisor]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("dev-staff-ed25519.pem"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the private key is readable by others");
    }
    let _ = std::fs::remove_dir_all(dir);
}

mod production_profile {
    use std::path::PathBuf;

    use base64::Engine;

    use crate::config::{Profile, Settings};
    use crate::tokens::{AuthSetupError, Authenticator, DevelopmentKeys};

    fn test_key(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("src/tokens/test-keys")
            .join(name)
    }

    fn production(dir: &std::path::Path) -> Settings {
        let mut settings = Settings {
            profile: Profile::Production,
            ..Default::default()
        };
        settings.auth.data_dir = dir.to_path_buf();
        settings
    }

    fn temp_dir() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("arreta-prod-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    #[test]
    fn refuses_to_start_without_the_identity_providers_keys_or_a_link_secret() {
        let dir = temp_dir();
        let settings = production(&dir);
        assert!(matches!(
            Authenticator::from_settings(&settings),
            Err(AuthSetupError::NoStaffKeys)
        ));
        let mut settings = production(&dir);
        settings.auth.public_keys = vec![test_key("es256.pub.pem")];
        assert!(matches!(
            Authenticator::from_settings(&settings),
            Err(AuthSetupError::NoCapabilitySecret)
        ));
        settings.auth.capability_secret =
            Some(base64::engine::general_purpose::STANDARD.encode([5u8; 16]));
        assert!(matches!(
            Authenticator::from_settings(&settings),
            Err(AuthSetupError::CapabilitySecret)
        ));
        settings.auth.capability_secret =
            Some(base64::engine::general_purpose::STANDARD.encode([5u8; 32]));
        assert!(Authenticator::from_settings(&settings).is_ok());
        assert!(
            !dir.join("dev-staff-ed25519.pem").exists(),
            "production never creates a development key"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn refuses_to_start_with_the_development_key() {
        let dir = temp_dir();
        DevelopmentKeys::load_or_create(&dir).expect("development keys");
        let mut settings = production(&dir);
        settings.auth.public_keys = vec![DevelopmentKeys::public_pem_path(&dir)];
        settings.auth.capability_secret =
            Some(base64::engine::general_purpose::STANDARD.encode([5u8; 32]));
        assert!(matches!(
            Authenticator::from_settings(&settings),
            Err(AuthSetupError::DevelopmentKeyInProduction(_))
        ));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_local_profile_trusts_its_development_key() {
        let dir = temp_dir();
        let mut settings = Settings::default();
        settings.auth.data_dir = dir.clone();
        let authenticator = Authenticator::from_settings(&settings).expect("local");
        let keys = DevelopmentKeys::load_or_create(&dir).expect("keys");
        let token = keys.mint(
            "clerk-01",
            &[domain::metadata::Role::Clerk],
            &settings.auth.issuer,
            &settings.auth.audience,
            chrono::Duration::minutes(5),
        );
        assert!(matches!(
            authenticator.verify(&token),
            Ok(crate::tokens::Credential::Staff(_))
        ));
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_manage_link_works_until_a_month_after_the_appointment_however_far_ahead_it_was_booked() {
    let mut settings = crate::config::Settings::default();
    settings.auth.data_dir = std::env::temp_dir().join(format!("arreta-keys-{}", Uuid::now_v7()));
    let auth = Authenticator::from_settings(&settings).expect("authenticator");
    let now = Utc::now();
    let month = Duration::days(30);
    let expiry = |purpose, slot| {
        auth.issue_link(Uuid::now_v7(), purpose, slot, now)
            .expect("issued")
            .1
            .exp
    };
    // Booked 58 days ahead: the link outlives the 30 days it would get from its sending.
    let far = now + Duration::days(58);
    assert_eq!(expiry(Purpose::Manage, far), (far + month).timestamp());
    // An appointment long past still gets the link's own lifetime (a resend after the day).
    let past = now - Duration::days(40);
    assert_eq!(expiry(Purpose::Manage, past), (now + month).timestamp());
    // The other links keep their own lifetimes, whenever the appointment is.
    assert_eq!(
        expiry(Purpose::Upload, far),
        (now + Duration::days(14)).timestamp()
    );
    let _ = std::fs::remove_dir_all(&settings.auth.data_dir);
}
