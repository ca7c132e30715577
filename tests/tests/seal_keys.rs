//! Seals that anyone can check: the public sealing keys fetched over HTTP as a JWKS, a real
//! signature's seal and a daily anchor checked with them by OpenSSL (the README's own lines, not
//! Arreta's code), and a rotation after which seals of the old key and of the new one both verify
//! while a seal by a key outside the set is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Days, NaiveDate, Utc};
use infrastructure::anchors;
use infrastructure::config::Settings;
use infrastructure::sealing::{SealingKey, SealingKeys, key_files};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{
    TestApp, arreta_binary, as_clerk, book_case, open_settings, spawn_app_with, write_config,
};
use uuid::Uuid;

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arreta-seal-keys-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

async fn post(app: &TestApp, path: &str, body: &Value) -> Value {
    let response = as_clerk(app.client.post(app.url(path)))
        .json(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// A signature made on behalf of an identified citizen: its seal, its claims and the document.
async fn signed(app: &TestApp, day: i64) -> (String, String, Vec<u8>) {
    let id = book_case(app, day).await;
    post(
        app,
        &format!("/v1/requests/{id}/identity"),
        &json!({
            "method": "document_on_camera",
            "document": {
                "kind": "dni",
                "national_id": "12345678z",
                "name": "MIREN ETXEBERRIA RUIZ",
                "expires_on": "2031-06-30"
            }
        }),
    )
    .await;
    let signature = post(
        app,
        &format!("/v1/requests/{id}/signatures"),
        &json!({
            "kind": "request",
            "form": {
                "facts": "Etxez aldatu naiz Gasteizen barruan.",
                "petition": "Erroldako helbidea aldatzea.",
                "place": "Vitoria-Gasteiz"
            },
            "addressee": "Erregistro Orokorra",
            "method": "clerk_on_behalf"
        }),
    )
    .await;
    let sig = signature["id"].as_str().expect("id");
    let signed = post(
        app,
        &format!("/v1/requests/{id}/signatures/{sig}/confirm"),
        &json!({ "consent": { "wording_version": "art12-2026-01", "language": "eu" } }),
    )
    .await;
    let document = as_clerk(app.client.get(app.url(&format!(
        "/v1/requests/{id}/documents/{}/content?why=seal%20check",
        signed["document_id"].as_str().expect("document")
    ))))
    .send()
    .await
    .expect("content")
    .bytes()
    .await
    .expect("bytes")
    .to_vec();
    (
        signed["seal"].as_str().expect("seal").to_string(),
        signed["claims"].as_str().expect("claims").to_string(),
        document,
    )
}

/// The key set as anyone fetches it: no credentials.
async fn fetch_jwks(app: &TestApp) -> (String, Value) {
    let response = app
        .client
        .get(app.url("/.well-known/arreta-seal-keys.json"))
        .send()
        .await
        .expect("jwks");
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "application/jwk-set+json");
    assert_eq!(header("cache-control"), "public, max-age=3600");
    let text = response.text().await.expect("text");
    let parsed: Value = serde_json::from_str(&text).expect("json");
    (text, parsed)
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect()
}

fn kid_of(seal: &str) -> String {
    let header = seal.split('.').next().expect("header");
    let json: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url")).expect("json");
    json["kid"].as_str().expect("kid").to_string()
}

/// The README's lines that check a seal with OpenSSL, as they are written there.
fn readme_check() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README");
    let start = readme
        .find("<!-- seal-check:start -->")
        .expect("start marker");
    let end = readme.find("<!-- seal-check:end -->").expect("end marker");
    let block = &readme[start..end];
    let code = block
        .split_once("```bash\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(code, _)| code)
        .expect("a bash block between the markers");
    code.to_string()
}

/// Runs the README's check in a directory of its own; whether OpenSSL verified the seal.
fn openssl_verifies(seal: &str, claims: Option<&str>, jwks: &str) -> bool {
    let dir = scratch_dir();
    std::fs::write(dir.join("seal.jws"), seal).expect("seal");
    if let Some(claims) = claims {
        std::fs::write(dir.join("claims.json"), claims).expect("claims");
    }
    std::fs::write(dir.join("jwks.json"), jwks).expect("jwks");
    let output = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(readme_check())
        .current_dir(&dir)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verified = output.status.success() && stdout.contains("Signature Verified Successfully");
    if !verified {
        eprintln!(
            "openssl refused: {}\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    verified
}

fn openssl_reads_private_key(path: &Path) -> bool {
    Command::new("openssl")
        .args(["pkey", "-noout", "-in"])
        .arg(path)
        .status()
        .expect("openssl runs")
        .success()
}

async fn verify_over_http(app: &TestApp, seal: &str, claims: &str, document: &[u8]) -> Value {
    let body = json!({
        "seal": seal,
        "claims": claims,
        "document": base64::engine::general_purpose::STANDARD.encode(document),
    });
    let response = as_clerk(app.client.post(app.url("/v1/seals/verify")))
        .json(&body)
        .send()
        .await
        .expect("verify");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

/// An anchor as Arreta sealed them before seals named their key: no `kid` in the header.
async fn anchor_without_kid(app: &TestApp, day: NaiveDate, private_key: &Path) {
    let mut conn = app.db.conn().await;
    let end = day
        .checked_add_days(Days::new(1))
        .expect("next day")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let (heads, digest) = anchors::heads_digest(&mut conn, end).await.expect("heads");
    let pem = std::fs::read(private_key).expect("key");
    let seal = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA),
        &json!({ "day": day, "heads": heads, "digest": digest }),
        &jsonwebtoken::EncodingKey::from_ed_pem(&pem).expect("encoding key"),
    )
    .expect("sealed");
    sqlx::query("INSERT INTO audit_anchors (day, heads, digest, seal) VALUES ($1, $2, $3, $4)")
        .bind(day)
        .bind(i32::try_from(heads).expect("heads"))
        .bind(digest)
        .bind(seal)
        .execute(&mut conn)
        .await
        .expect("anchor inserted");
}

async fn anchor_seal(app: &TestApp, day: NaiveDate) -> String {
    let mut conn = app.db.conn().await;
    sqlx::query_scalar("SELECT seal FROM audit_anchors WHERE day = $1")
        .bind(day)
        .fetch_one(&mut conn)
        .await
        .expect("anchor")
}

fn arreta(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(arreta_binary())
        .args(args)
        .env("ARRETA_CONFIG", config)
        .output()
        .expect("arreta runs")
}

#[tokio::test]
async fn seals_verify_with_the_published_keys_through_openssl_before_and_after_a_rotation() {
    let dir = scratch_dir();
    let first_key = dir.join("sealing-first.pem");
    key_files::write_new_private_key(&first_key).expect("first key");
    assert!(
        openssl_reads_private_key(&first_key),
        "OpenSSL 3 reads the key Arreta wrote"
    );
    let mut settings: Settings = open_settings();
    settings.audit.sealing_key_file = Some(first_key.clone());
    let before = spawn_app_with(settings.clone()).await;

    // A real signature's seal, checked by OpenSSL with the key fetched from the JWKS.
    let (old_seal, old_claims, old_document) = signed(&before, 6).await;
    let (jwks_text, jwks) = fetch_jwks(&before).await;
    let old_kid = kid_of(&old_seal);
    assert_eq!(kids(&jwks), vec![old_kid.clone()]);
    assert!(openssl_verifies(&old_seal, Some(&old_claims), &jwks_text));
    let mut altered = old_claims.clone().into_bytes();
    altered[10] ^= 0x01;
    let altered = String::from_utf8(altered).expect("text");
    assert!(
        !openssl_verifies(&old_seal, Some(&altered), &jwks_text),
        "one changed byte of the claims fails OpenSSL's check too"
    );

    // Anchors: one sealed as before (no kid), today's sealed now (with the kid).
    let today = Utc::now().date_naive();
    let yesterday = today.pred_opt().expect("yesterday");
    anchor_without_kid(&before, yesterday, &first_key).await;
    {
        let mut conn = before.db.conn().await;
        assert!(
            anchors::anchor_day(&mut conn, today, &before.state.signing.sealing)
                .await
                .expect("anchored")
        );
    }
    let today_anchor = anchor_seal(&before, today).await;
    assert_eq!(kid_of(&today_anchor), old_kid);
    assert!(openssl_verifies(&today_anchor, None, &jwks_text));

    // The rotation: a new key, never over a file, and the settings that finish it.
    let config = write_config(&settings);
    let new_key = dir.join("sealing-second.pem");
    let rotated = arreta(
        config.path(),
        &[
            "audit",
            "rotate-sealing-key",
            "--out",
            new_key.to_str().expect("path"),
        ],
    );
    let printed = String::from_utf8_lossy(&rotated.stdout).to_string();
    assert!(
        rotated.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let old_public = dir.join(format!("sealing-{old_kid}.pub.pem"));
    assert!(printed.contains(&format!(
        "previous_sealing_public_keys = [\"{}\"]",
        old_public.display()
    )));
    assert!(printed.contains(&format!("sealing_key_file = \"{}\"", new_key.display())));
    let new_pem = std::fs::read_to_string(&new_key).expect("new key");
    assert!(new_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(openssl_reads_private_key(&new_key));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&new_key)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = arreta(
        config.path(),
        &[
            "audit",
            "rotate-sealing-key",
            "--out",
            new_key.to_str().expect("path"),
        ],
    );
    assert!(!again.status.success(), "an existing key file is refused");
    assert_eq!(
        std::fs::read_to_string(&new_key).expect("key"),
        new_pem,
        "and left as it was"
    );

    // After the rotation, as the printed settings say.
    let mut rotated_settings = settings.clone();
    rotated_settings.audit.sealing_key_file = Some(new_key.clone());
    rotated_settings.audit.previous_sealing_public_keys = vec![old_public.clone()];
    let after = spawn_app_with(rotated_settings.clone()).await;
    let (new_seal, new_claims, new_document) = signed(&after, 6).await;
    let new_kid = kid_of(&new_seal);
    assert_ne!(new_kid, old_kid);
    let (jwks_text, jwks) = fetch_jwks(&after).await;
    assert_eq!(kids(&jwks), vec![new_kid.clone(), old_kid.clone()]);
    for (seal, claims, document, kid) in [
        (&old_seal, &old_claims, &old_document, &old_kid),
        (&new_seal, &new_claims, &new_document, &new_kid),
    ] {
        assert!(openssl_verifies(seal, Some(claims), &jwks_text), "{kid}");
        let verdict = verify_over_http(&after, seal, claims, document).await;
        assert_eq!(verdict["valid"], true, "{kid}: {verdict}");
        assert_eq!(verdict["key_id"], json!(kid));
    }
    assert!(
        openssl_verifies(&today_anchor, None, &jwks_text),
        "an anchor of the old key"
    );

    // The command line, with the rotated configuration.
    let rotated_config = write_config(&rotated_settings);
    let files = scratch_dir();
    std::fs::write(files.join("seal.jws"), &old_seal).expect("seal");
    std::fs::write(files.join("claims.json"), &old_claims).expect("claims");
    std::fs::write(files.join("document"), &old_document).expect("document");
    let file = |name: &str| files.join(name).display().to_string();
    let cli = arreta(
        rotated_config.path(),
        &[
            "signature",
            "verify",
            "--seal",
            &file("seal.jws"),
            "--claims",
            &file("claims.json"),
            "--document",
            &file("document"),
        ],
    );
    assert_eq!(
        cli.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cli.stdout)
    );
    let printed_keys = arreta(rotated_config.path(), &["audit", "seal-keys"]);
    let printed_keys: Value = serde_json::from_slice(&printed_keys.stdout).expect("jwks printed");
    assert_eq!(printed_keys, jwks, "the command prints what the api serves");

    // The anchors of the old key (with and without a kid) and one of the new key all verify.
    let mut conn = before.db.conn().await;
    let earlier = yesterday.pred_opt().expect("a day earlier");
    assert!(
        anchors::anchor_day(&mut conn, earlier, &after.state.signing.sealing)
            .await
            .expect("anchored")
    );
    assert_eq!(kid_of(&anchor_seal(&before, earlier).await), new_kid);
    let (checked, breaks) = anchors::verify_anchors(&mut conn, &after.state.signing.sealing)
        .await
        .expect("verify");
    assert_eq!((checked, breaks), (3, vec![]));
    let (_, breaks) = anchors::verify_anchors(&mut conn, &before.state.signing.sealing)
        .await
        .expect("verify");
    assert_eq!(
        breaks.len(),
        1,
        "the old set alone does not know the new key"
    );
    assert_eq!(breaks[0].day, earlier);
    assert!(breaks[0].reason.contains(&new_kid), "{}", breaks[0].reason);

    // A seal by a key outside the set is refused, whatever its signature.
    let stranger = SealingKeys::new(
        SealingKey::from_signing_key(&key_files::generate()).expect("key"),
        Vec::new(),
    );
    let foreign = stranger
        .seal_detached(new_claims.as_bytes())
        .expect("sealed");
    let verdict = verify_over_http(&after, &foreign, &new_claims, &new_document).await;
    assert_eq!(
        (verdict["valid"].clone(), verdict["reason"].clone()),
        (json!(false), json!("seal_other_key"))
    );
    assert_eq!(verdict["key_id"], json!(stranger.current().key_id()));
    assert!(!openssl_verifies(&foreign, Some(&new_claims), &jwks_text));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test]
async fn the_development_key_is_one_openssl_reads_and_rotates_in_place() {
    let data_dir = scratch_dir();
    let mut settings = Settings::default();
    settings.auth.data_dir = data_dir.clone();
    let config = write_config(&settings);
    let listed = |output: std::process::Output| -> Vec<String> {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let jwks: Value = serde_json::from_slice(&output.stdout).expect("jwks");
        kids(&jwks)
    };
    let first = listed(arreta(config.path(), &["audit", "seal-keys"]));
    assert_eq!(first.len(), 1);
    assert!(openssl_reads_private_key(
        &data_dir.join("dev-sealing-ed25519.pem")
    ));
    let rotated = arreta(config.path(), &["audit", "rotate-sealing-key"]);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let second = listed(arreta(config.path(), &["audit", "seal-keys"]));
    assert_eq!(second.len(), 2);
    assert_eq!(second[1], first[0], "the old key is still in the set");
    assert_ne!(second[0], first[0]);
    assert!(openssl_reads_private_key(
        &data_dir.join("dev-sealing-ed25519.pem")
    ));
    // A configured key is never rotated in place: a new one needs --out.
    let mut production = settings.clone();
    production.audit.sealing_key_file = Some(data_dir.join("dev-sealing-ed25519.pem"));
    let production = write_config(&production);
    let refused = arreta(production.path(), &["audit", "rotate-sealing-key"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--out"));
    let _ = std::fs::remove_dir_all(&data_dir);
}
