//! The secret key file: AES-256-GCM keys that encrypt secrets privacyd must store but also
//! present (a data source's bearer token), and from which the receipts' subject-hash key is
//! derived.
//!
//! File format: one key per line, standard base64 of 32 random bytes (`openssl rand -base64
//! 32` makes one); blank lines and lines starting with `#` are ignored. The FIRST key is
//! current: it encrypts every new value. The others only decrypt, so a key can be rotated by
//! putting a new line first; privacyd re-encrypts every stored value under the current key at
//! start, after which the old line can be removed.

use std::path::Path;

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    hkdf, hmac,
    rand::{SecureRandom, SystemRandom},
};
use sha2::{Digest, Sha256};

use super::files;
use crate::domain::Error;

/// Bytes in a key (AES-256).
const KEY_LEN: usize = 32;

/// HKDF `info` for the key that hashes subjects' identifiers in receipts. Fixed, so every
/// replica derives the same key from the same secret key, and versioned, so another use of
/// the secret key can never derive the same bytes.
const SUBJECT_HMAC_INFO: &[u8] = b"privacyd receipt subject hmac-sha256 v1";

/// HKDF `info` for the key that hashes addresses for the self-service form's per-address limit.
/// Apart from the receipts' key, so a limit entry and a receipt cannot be matched up.
const ADDRESS_HMAC_INFO: &[u8] = b"privacyd self-service address hmac-sha256 v1";

/// A value encrypted under one key: what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The id of the key it was encrypted with (see [`SecretKeys::current_id`]).
    pub key_id: String,
    /// Standard base64 of the 12-byte random nonce, the ciphertext and the 16-byte GCM tag.
    pub ciphertext: String,
}

/// A keyed hash of a subject's identifier, for receipts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectHash {
    /// The secret key the HMAC key was derived from.
    pub key_id: String,
    /// Lower-case hex HMAC-SHA256.
    pub hex: String,
}

/// Why a stored value could not be decrypted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OpenError {
    #[error("it was encrypted with key id {0}, which the secret key file does not hold")]
    UnknownKey(String),
    /// Wrong key bytes under a known id cannot happen (the id is derived from the bytes), so
    /// this is a changed ciphertext, or one copied from another row (the associated data,
    /// e.g. the source name, differs).
    #[error("it does not decrypt: it was changed, or copied from another record")]
    Forged,
}

struct SecretKey {
    id: String,
    aead: LessSafeKey,
    subject_hmac: hmac::Key,
    address_hmac: hmac::Key,
}

impl SecretKey {
    fn new(bytes: &[u8; KEY_LEN]) -> Self {
        let id = key_id(bytes);
        let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32 bytes is an AES-256 key"));
        let derive = |info: &[u8]| {
            hkdf::Salt::new(hkdf::HKDF_SHA256, &[])
                .extract(bytes)
                .expand(&[info], hmac::HMAC_SHA256)
                .map(hmac::Key::from)
                .expect("HKDF-SHA256 gives 32 bytes")
        };
        SecretKey { id, aead, subject_hmac: derive(SUBJECT_HMAC_INFO), address_hmac: derive(ADDRESS_HMAC_INFO) }
    }
}

/// A key's id: the first 8 bytes of SHA-256 over a label and the key, in hex. It names the key
/// beside each ciphertext without revealing anything about it.
fn key_id(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"privacyd secret key id v1\0");
    hasher.update(bytes);
    hex::encode(&hasher.finalize()[..8])
}

/// The keys from the secret key file; the first is current.
pub struct SecretKeys {
    keys: Vec<SecretKey>,
    /// The file they came from, for error messages.
    file: String,
    rng: SystemRandom,
}

impl SecretKeys {
    /// Reads `path`. When it does not exist and `generate` is set, writes a new key there
    /// (0600) first.
    pub fn load(path: &Path, generate: bool) -> anyhow::Result<Self> {
        let text = match files::read_optional(path)? {
            Some(text) => text,
            None if generate => {
                let text = format!(
                    "# privacyd secret key file: one base64 AES-256 key per line; the first encrypts, the others only decrypt.\n{}\n",
                    STANDARD.encode(random_key())
                );
                files::create_private(path, &text)?;
                tracing::info!(file = %path.display(), "generated a secret key");
                text
            }
            None => bail!("the secret key file {} does not exist", path.display()),
        };
        files::warn_if_shared(path);
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses a key file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> anyhow::Result<Self> {
        let mut keys: Vec<SecretKey> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bytes: [u8; KEY_LEN] = STANDARD
                .decode(line)
                .ok()
                .and_then(|b| b.try_into().ok())
                .with_context(|| format!("{file}, line {}: not a base64 key of {KEY_LEN} bytes", n + 1))?;
            let key = SecretKey::new(&bytes);
            if !keys.iter().any(|k| k.id == key.id) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            bail!("the secret key file {file} holds no key");
        }
        Ok(SecretKeys { keys, file: file.to_owned(), rng: SystemRandom::new() })
    }

    /// One fresh key, held in memory only.
    #[cfg(test)]
    fn ephemeral() -> Self {
        SecretKeys { keys: vec![SecretKey::new(&random_key())], file: "(in memory)".into(), rng: SystemRandom::new() }
    }

    /// The file the keys came from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The id of the key new values are encrypted with.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Encrypts `plaintext` under the current key with a fresh random nonce. `aad` binds it to
    /// where it is stored (decrypting with other `aad` fails).
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, Error> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| Error::Internal("no randomness for a nonce".into()))?;
        let mut buffer = plaintext.to_vec();
        key.aead
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut buffer)
            .map_err(|_| Error::Internal("encrypting a secret failed".into()))?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&buffer);
        Ok(Sealed { key_id: key.id.clone(), ciphertext: STANDARD.encode(stored) })
    }

    /// Decrypts a stored value with the key it names.
    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Vec<u8>, OpenError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| OpenError::UnknownKey(sealed.key_id.clone()))?;
        let mut stored = STANDARD.decode(&sealed.ciphertext).map_err(|_| OpenError::Forged)?;
        if stored.len() < NONCE_LEN {
            return Err(OpenError::Forged);
        }
        let mut body = stored.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&stored).map_err(|_| OpenError::Forged)?;
        let plain = key.aead.open_in_place(nonce, Aad::from(aad), &mut body).map_err(|_| OpenError::Forged)?;
        Ok(plain.to_vec())
    }

    /// HMAC-SHA256 of `value` under the key derived (HKDF-SHA256, fixed label) from the current
    /// secret key. Unlike a salted hash printed beside it, this cannot be tested against
    /// guessed values by whoever holds only the receipt.
    pub fn subject_hash(&self, value: &str) -> SubjectHash {
        let key = &self.keys[0];
        SubjectHash { key_id: key.id.clone(), hex: hex::encode(hmac::sign(&key.subject_hmac, value.as_bytes())) }
    }

    /// Lower-case hex HMAC-SHA256 of an email address (lower-cased here, as duplicates are
    /// matched), under its own key derived from the current secret key: what the self-service
    /// form's per-address limit stores instead of the address. Without the secret key it
    /// cannot be tested against guessed addresses. After a key rotation earlier entries no
    /// longer match, so the limit starts afresh: it errs towards letting a person ask.
    pub fn address_hash(&self, address: &str) -> String {
        hex::encode(hmac::sign(&self.keys[0].address_hmac, address.to_lowercase().as_bytes()))
    }
}

fn random_key() -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    SystemRandom::new().fill(&mut key).expect("the OS gives random bytes");
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(keys: &[[u8; 32]]) -> String {
        keys.iter().map(|k| STANDARD.encode(k) + "\n").collect()
    }

    #[test]
    fn values_open_only_with_their_key_and_their_associated_data() {
        let (a, b) = (random_key(), random_key());
        let only_a = SecretKeys::parse(&file(&[a]), "f").unwrap();
        let sealed = only_a.seal(b"source one", b"token").unwrap();
        assert_eq!(only_a.open(&sealed, b"source one").unwrap(), b"token");
        assert!(matches!(only_a.open(&sealed, b"source two"), Err(OpenError::Forged)));
        let again = only_a.seal(b"source one", b"token").unwrap();
        assert_ne!(sealed.ciphertext, again.ciphertext, "a fresh nonce per value");

        // After rotation the old key still opens what it sealed; new values use the new key.
        let b_then_a = SecretKeys::parse(&format!("# rotated\n\n{}", file(&[b, a])), "f").unwrap();
        assert_eq!(b_then_a.open(&sealed, b"source one").unwrap(), b"token");
        assert_ne!(b_then_a.seal(b"x", b"y").unwrap().key_id, sealed.key_id);
        let only_b = SecretKeys::parse(&file(&[b]), "f").unwrap();
        assert!(matches!(only_b.open(&sealed, b"source one"), Err(OpenError::UnknownKey(_))));

        let mut flipped = STANDARD.decode(&sealed.ciphertext).unwrap();
        *flipped.last_mut().unwrap() ^= 1;
        let flipped = Sealed { ciphertext: STANDARD.encode(flipped), ..sealed };
        assert!(matches!(only_a.open(&flipped, b"source one"), Err(OpenError::Forged)));
    }

    #[test]
    fn bad_files_are_refused_naming_the_file_and_line() {
        let err = SecretKeys::parse("# nothing\n", "/etc/privacyd/secret-key").err().unwrap().to_string();
        assert!(err.contains("/etc/privacyd/secret-key"), "{err}");
        let err = SecretKeys::parse(&format!("{}\nc2hvcnQ=\n", STANDARD.encode(random_key())), "k").err().unwrap();
        assert!(err.to_string().contains("k, line 2"), "{err}");
    }

    #[test]
    fn subject_hashes_are_keyed() {
        let keys = SecretKeys::ephemeral();
        let other = SecretKeys::ephemeral();
        let hash = keys.subject_hash("jane@example.com");
        assert_eq!(hash, keys.subject_hash("jane@example.com"));
        assert_ne!(hash.hex, other.subject_hash("jane@example.com").hex);
        let address = keys.address_hash("Jane@Example.com");
        assert_eq!(address, keys.address_hash("jane@example.com"), "addresses match as duplicates do");
        assert_ne!(address, hash.hex, "the limit's key is not the receipts' key");
        assert_ne!(address, other.address_hash("jane@example.com"));
        assert!(!address.contains("jane"));
        assert_ne!(hash.hex, hex::encode(Sha256::digest(b"jane@example.com")));
        assert_eq!(hash.key_id, keys.current_id());
    }
}
