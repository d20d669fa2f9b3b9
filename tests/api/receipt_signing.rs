//! Erasure receipts an auditor can trust without trusting privacyd's database: each is signed
//! with Ed25519 when written, the public keys are published without a token, and an
//! independent verifier (Python's `cryptography`) accepts the receipt and nothing else. The
//! subject appears only as a keyed hash that cannot be tested against guessed addresses.

use std::{path::Path, process::Command};

use privacyd::{keys::SecretKeys, proto::privacy::v1 as pb};
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::{
    erasing_source::{Behaviour, ErasingSource},
    helpers::{Backend, TestApp, http_get, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    a_receipt_is_signed_and_an_independent_verifier_accepts_it_and_nothing_else,
    a_receipt_issued_again_after_deletion_says_it_was_not_issued_at_completion,
    receipts_written_before_signing_stay_readable_and_say_they_are_unsigned,
);

/// Completes an erasure of a fresh subject on one source: (request id, email).
async fn completed_erasure(app: &TestApp) -> (String, String) {
    let email = unique_email();
    let shop = ErasingSource::new("shop", Behaviour { retain: vec!["orders"], ..Default::default() });
    shop.hold(&email, "orders", 1).hold(&email, "comments", 2);
    let endpoint = shop.serve().await;
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest { name: "shop".into(), endpoint, ..Default::default() })
        .await
        .unwrap();
    let request = app.create(&email, pb::Action::Erase, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
        .await
        .unwrap();
    let done = app
        .wait_for(&request.id, "the erasure to end", |r| matches!(state(r), pb::State::Completed | pb::State::Failed))
        .await;
    assert_eq!(state(&done), pb::State::Completed);
    (request.id, email)
}

async fn receipt(app: &TestApp, id: &str) -> pb::GetErasureReceiptResponse {
    app.client.clone().get_erasure_receipt(pb::GetErasureReceiptRequest { id: id.into() }).await.unwrap().into_inner()
}

/// The published keys, fetched as an auditor would: plain HTTP, no token.
pub(crate) fn published_keys(app: &TestApp) -> serde_json::Value {
    let (status, head, body) = http_get(app.addr, "/.well-known/privacyd/receipt-keys");
    assert_eq!(status, 200, "{head}");
    assert!(head.to_lowercase().contains("content-type: application/json"), "{head}");
    serde_json::from_slice(&body).unwrap()
}

/// Runs tests/support/verify_receipt.py on `receipt_bytes`: (exit code, its JSON verdict).
pub(crate) fn verify(
    dir: &Path,
    receipt_bytes: &[u8],
    signature: &str,
    keys: &serde_json::Value,
) -> (i32, serde_json::Value) {
    let receipt_path = dir.join("receipt.json");
    let keys_path = dir.join("keys.json");
    std::fs::write(&receipt_path, receipt_bytes).unwrap();
    std::fs::write(&keys_path, keys.to_string()).unwrap();
    let output = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/verify_receipt.py"))
        .arg(&receipt_path)
        .arg(signature)
        .arg(&keys_path)
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("ModuleNotFoundError"), "pip install cryptography: {stderr}");
    let verdict = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no verdict: {}{stderr}", String::from_utf8_lossy(&output.stdout)));
    (output.status.code().unwrap_or(-1), verdict)
}

async fn a_receipt_is_signed_and_an_independent_verifier_accepts_it_and_nothing_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, email) = completed_erasure(&app).await;
    let receipt = receipt(&app, &id).await;
    assert!(receipt.signed && !receipt.signature.is_empty());
    let keys = published_keys(&app);
    let published = &keys["keys"][0];
    assert_eq!(published["key_id"], receipt.signing_key_id.as_str());
    assert_eq!(published["public_key"], receipt.signing_public_key.as_str());
    assert_eq!((published["algorithm"].as_str(), published["current"].as_bool()), (Some("ed25519"), Some(true)));
    let document: serde_json::Value = serde_json::from_str(&receipt.receipt_json).unwrap();
    assert_eq!(document["signing_key_id"], receipt.signing_key_id.as_str());
    assert_eq!(document["issued_at_completion"], true);

    let dir = tempfile::tempdir().unwrap();
    let bytes = receipt.receipt_json.as_bytes();
    let (code, verdict) = verify(dir.path(), bytes, &receipt.signature, &keys);
    assert_eq!(code, 0, "{verdict}");
    assert_eq!(verdict["audit_chain_head"], document["audit_chain"]["head"]);
    assert_eq!(verdict["completed"], document["completed"]);

    // One byte changed anywhere (the completion time, the chain head, a count, the last
    // byte) and the verifier refuses it.
    let text = receipt.receipt_json.as_str();
    let at = |needle: &str| text.find(needle).unwrap() + needle.len() + 1;
    for position in [at("\"completed\": "), at("\"head\": "), at("\"items_removed\": ") - 1, bytes.len() - 1] {
        let mut changed = bytes.to_vec();
        changed[position] = if changed[position] == b'1' { b'2' } else { b'1' };
        let (code, verdict) = verify(dir.path(), &changed, &receipt.signature, &keys);
        assert_eq!(code, 1, "byte {position} changed: {verdict}");
        assert_eq!(verdict["valid"], false);
    }
    // Nor does it accept a key it has not pinned.
    let (code, _) = verify(dir.path(), bytes, &receipt.signature, &serde_json::json!({ "keys": [] }));
    assert_eq!(code, 1);

    // The subject: a keyed hash only privacyd can recompute; no salt, no plain hash.
    let secret = std::fs::read_to_string(app.data_dir.path().join("secret-key")).unwrap();
    let expected = SecretKeys::parse(&secret, "k").unwrap().subject_hash(&email.to_lowercase());
    assert_eq!(document["subject"]["email_hmac_sha256"], expected.hex.as_str());
    assert_eq!(document["subject"]["hmac_key_id"], expected.key_id.as_str());
    assert!(document["subject"].get("salt").is_none());
    // The documented derivation, recomputed independently from the key file.
    let output = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/subject_hash.py"))
        .arg(app.data_dir.path().join("secret-key"))
        .arg(&expected.key_id)
        .arg(email.to_uppercase())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), expected.hex);
    assert!(!text.contains(&hex::encode(Sha256::digest(email.to_lowercase().as_bytes()))));
    assert!(!text.to_lowercase().contains(&email.to_lowercase()));
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(app.data_dir.path().join("receipt-signing-key")).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode, 0o600);
    app.stop().await;
}

/// Runs `sqlite` or `postgres` statements with the database's own superpowers: what someone
/// with write access to the database can do, past privacyd's write-once triggers.
pub(crate) async fn as_database_owner(app: &TestApp, backend: Backend, sqlite: &[&str], postgres: &[&str]) {
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            for statement in sqlite {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string())).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            for statement in postgres {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string())).execute(&mut conn).await.unwrap();
            }
        }
    }
}

async fn a_receipt_issued_again_after_deletion_says_it_was_not_issued_at_completion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (id, _) = completed_erasure(&app).await;
    let original = receipt(&app, &id).await;
    let keys = published_keys(&app);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(verify(dir.path(), original.receipt_json.as_bytes(), &original.signature, &keys).0, 0);

    // Someone with write access to the database rewrites an audit event, deletes the receipt
    // and asks privacyd for a new one, which then reports an intact chain over the rewrite.
    let rewrite = format!(
        "UPDATE audit_events SET detail = 'nothing was kept' WHERE request_id = '{id}' AND type = 'SOURCE_SUCCEEDED'"
    );
    let delete = format!("DELETE FROM erasure_receipts WHERE request_id = '{id}'");
    as_database_owner(
        &app,
        backend,
        &["DROP TRIGGER audit_events_no_update", &rewrite, "DROP TRIGGER erasure_receipts_no_delete", &delete],
        &[
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
            &rewrite,
            "ALTER TABLE erasure_receipts DISABLE TRIGGER erasure_receipts_no_change",
            &delete,
        ],
    )
    .await;
    let reissued = receipt(&app, &id).await;
    assert!(reissued.audit_chain_intact, "the premise: the new receipt matches the rewritten log");
    assert_ne!(reissued.receipt_json, original.receipt_json);

    // It is signed, but says it was issued on a read, and the verifier reports exactly that.
    let document: serde_json::Value = serde_json::from_str(&reissued.receipt_json).unwrap();
    let first: serde_json::Value = serde_json::from_str(&original.receipt_json).unwrap();
    assert_eq!(document["issued_at_completion"], false);
    assert_eq!(document["completed"], first["completed"]);
    assert_ne!(document["audit_chain"]["head"], first["audit_chain"]["head"]);
    let (code, verdict) = verify(dir.path(), reissued.receipt_json.as_bytes(), &reissued.signature, &keys);
    assert_eq!(code, 3, "{verdict}");
    assert_eq!(verdict["reason"], "issued on a read, not at completion");
    // Claiming it was issued at completion breaks the signature; so does reusing the original
    // signature on the new document.
    let claimed = reissued.receipt_json.replace("\"issued_at_completion\": false", "\"issued_at_completion\": true");
    assert_ne!(claimed, reissued.receipt_json);
    assert_eq!(verify(dir.path(), claimed.as_bytes(), &reissued.signature, &keys).0, 1);
    assert_eq!(verify(dir.path(), claimed.as_bytes(), &original.signature, &keys).0, 1);
    app.stop().await;
}

async fn receipts_written_before_signing_stay_readable_and_say_they_are_unsigned(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = uuid::Uuid::now_v7().to_string();
    let document = r#"{"receipt_version":1,"subject":{"salt":"00","email_sha256":"ab"},"audit_chain":{"events":[]}}"#;
    let insert = format!(
        "INSERT INTO erasure_receipts (request_id, create_time, document, sha256) VALUES ('{id}', 1, '{document}', '{}')",
        hex::encode(Sha256::digest(document.as_bytes()))
    );
    as_database_owner(&app, backend, &[&insert], &[&insert]).await;
    let old = receipt(&app, &id).await;
    assert_eq!(old.receipt_json, document);
    assert!(!old.signed);
    assert!(old.signature.is_empty() && old.signing_key_id.is_empty() && old.signing_public_key.is_empty());
    app.stop().await;
}
