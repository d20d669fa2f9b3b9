//! The receipt signing key: Ed25519 (RFC 8032), so an auditor can check with any library that
//! a receipt was issued by this privacyd and not changed since.
//!
//! File format: one or more PKCS#8 PEM blocks (`-----BEGIN PRIVATE KEY-----`, what `openssl
//! genpkey -algorithm ed25519` writes). The FIRST signs new receipts. The others are retired
//! keys: never used to sign, but still published (see [`ReceiptSigner::published`]), so the
//! receipts they signed stay verifiable after a rotation.

use std::path::Path;

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use rustls_pki_types::{PrivatePkcs8KeyDer, pem::PemObject};
use sha2::{Digest, Sha256};

use super::files;

/// A published public key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicKey {
    /// Lower-case hex of the first 8 bytes of SHA-256 over the raw 32-byte public key.
    pub key_id: String,
    /// Always "ed25519".
    pub algorithm: &'static str,
    /// Standard base64 of the raw 32-byte Ed25519 public key (RFC 8032 encoding).
    pub public_key: String,
    /// Whether it signs new receipts (false: a retired key, kept for older receipts).
    pub current: bool,
}

/// A signature over a receipt's bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptSignature {
    pub key_id: String,
    /// Standard base64 of the 64-byte Ed25519 signature.
    pub signature: String,
    /// Standard base64 of the raw public key that verifies it.
    pub public_key: String,
}

/// The signing key and the retired keys still published.
pub struct ReceiptSigner {
    current: Ed25519KeyPair,
    published: Vec<PublicKey>,
}

impl ReceiptSigner {
    /// Reads `path`; when it does not exist and `generate` is set, writes a new key there
    /// (0600) first.
    pub fn load(path: &Path, generate: bool) -> anyhow::Result<Self> {
        let text = match files::read_optional(path)? {
            Some(text) => text,
            None if generate => {
                let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                    .map_err(|_| anyhow::anyhow!("generating an Ed25519 key failed"))?;
                let text = pem("PRIVATE KEY", pkcs8.as_ref());
                files::create_private(path, &text)?;
                tracing::info!(file = %path.display(), "generated a receipt signing key");
                text
            }
            None => bail!("the receipt signing key file {} does not exist", path.display()),
        };
        files::warn_if_shared(path);
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses a signing key file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> anyhow::Result<Self> {
        let mut pairs = Vec::new();
        for (n, block) in PrivatePkcs8KeyDer::pem_slice_iter(text.as_bytes()).enumerate() {
            let der = block.with_context(|| format!("{file}: PEM block {} is not a PKCS#8 private key", n + 1))?;
            // `maybe_unchecked` accepts PKCS#8 v1 too (what OpenSSL writes); ring's own v2
            // documents carry the public key, which ring then checks.
            let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der.secret_pkcs8_der())
                .map_err(|e| anyhow::anyhow!("{file}: PEM block {} is not an Ed25519 key ({e})", n + 1))?;
            pairs.push(pair);
        }
        if pairs.is_empty() {
            bail!("the receipt signing key file {file} holds no \"-----BEGIN PRIVATE KEY-----\" block");
        }
        let mut published: Vec<PublicKey> = Vec::new();
        for (i, pair) in pairs.iter().enumerate() {
            let key = public_key(pair.public_key().as_ref(), i == 0);
            if !published.iter().any(|p| p.key_id == key.key_id) {
                published.push(key);
            }
        }
        Ok(ReceiptSigner { current: pairs.swap_remove(0), published })
    }

    /// The current key and the retired ones, current first.
    pub fn published(&self) -> &[PublicKey] {
        &self.published
    }

    /// Signs `message` (a receipt's exact stored bytes) with the current key.
    pub fn sign(&self, message: &[u8]) -> ReceiptSignature {
        let current = &self.published[0];
        ReceiptSignature {
            key_id: current.key_id.clone(),
            signature: STANDARD.encode(self.current.sign(message).as_ref()),
            public_key: current.public_key.clone(),
        }
    }

    /// The id of the key new receipts are signed with.
    pub fn current_id(&self) -> &str {
        &self.published[0].key_id
    }
}

fn public_key(raw: &[u8], current: bool) -> PublicKey {
    PublicKey {
        key_id: hex::encode(&Sha256::digest(raw)[..8]),
        algorithm: "ed25519",
        public_key: STANDARD.encode(raw),
        current,
    }
}

/// RFC 7468 text encoding.
fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> =
        body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use ring::signature::{ED25519, UnparsedPublicKey};

    use super::*;

    #[test]
    fn signs_with_the_first_key_and_publishes_all() {
        let rng = SystemRandom::new();
        let (new, old) = (
            pem("PRIVATE KEY", Ed25519KeyPair::generate_pkcs8(&rng).unwrap().as_ref()),
            pem("PRIVATE KEY", Ed25519KeyPair::generate_pkcs8(&rng).unwrap().as_ref()),
        );
        let signer = ReceiptSigner::parse(&format!("{new}{old}"), "f").unwrap();
        assert_eq!(signer.published().len(), 2);
        assert!(signer.published()[0].current && !signer.published()[1].current);
        let signature = signer.sign(b"receipt");
        assert_eq!(signature.key_id, signer.published()[0].key_id);
        let public = STANDARD.decode(&signature.public_key).unwrap();
        let bytes = STANDARD.decode(&signature.signature).unwrap();
        UnparsedPublicKey::new(&ED25519, &public).verify(b"receipt", &bytes).unwrap();
        assert!(UnparsedPublicKey::new(&ED25519, &public).verify(b"receipT", &bytes).is_err());
    }

    #[test]
    fn bad_files_name_the_file() {
        let err = ReceiptSigner::parse("not a key", "/keys/receipt").err().unwrap().to_string();
        assert!(err.contains("/keys/receipt"), "{err}");
    }
}
