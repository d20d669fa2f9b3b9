//! Key material privacyd is given in files: the secret key that encrypts source tokens at rest
//! and keys the subject hashes in receipts ([`SecretKeys`]), and the Ed25519 key that signs
//! erasure receipts ([`ReceiptSigner`]). Both come from `ring` (already in the tree through
//! rustls). Every replica must be given the same files.

mod files;
mod secret;
mod signing;

pub use secret::{Sealed, SecretKeys, SubjectHash};
pub use signing::{PublicKey, ReceiptSignature, ReceiptSigner};

/// Everything privacyd holds keys for, loaded once at start.
pub struct Keys {
    pub secrets: SecretKeys,
    pub receipts: ReceiptSigner,
}
