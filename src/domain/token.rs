use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret sent to someone (a confirmation or download link). It exists in memory only long
/// enough to be put in an email; what is stored is its [`TokenHash`]. `Debug` and `Display`
/// are deliberately absent or redacted so it cannot be logged by accident.
pub struct SecretToken(String);

impl SecretToken {
    const BYTES: usize = 32;

    /// 256 bits from the operating system's CSPRNG, URL-safe base64 (43 characters).
    pub fn generate() -> Self {
        let mut bytes = [0u8; Self::BYTES];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).expect("the operating system's random number generator failed");
        SecretToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as a caller presented it. Anything that could not have come from `generate`
    /// is refused without touching the database.
    pub fn from_presented(raw: &str) -> Option<Self> {
        let ok = raw.len() == 43 && URL_SAFE_NO_PAD.decode(raw).is_ok_and(|b| b.len() == Self::BYTES);
        ok.then(|| SecretToken(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// SHA-256 of a token. A fast hash is right here (unlike for passwords): the token has 256
/// bits of entropy, so there is nothing to brute-force.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of any secret string (admin tokens are chosen by operators, not generated).
    pub fn of(secret: &str) -> Self {
        TokenHash(Sha256::digest(secret.as_bytes()).into())
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(raw: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(raw, &mut out).ok()?;
        Some(TokenHash(out))
    }

    /// Constant-time, so response timing says nothing about how much of a guess was right.
    pub fn matches(&self, token: &SecretToken) -> bool {
        self.ct_eq(&token.hash())
    }

    /// Whether `token` is the one `stored` is the hash of, doing the same work when there is
    /// no stored hash (an unknown request id, a link not yet sent) as when there is one: the
    /// token is hashed and compared in constant time either way, against a hash no token has
    /// when there is none. So the time an answer takes does not tell a guesser whether an id
    /// exists (issue 10, item 4).
    pub fn verify(stored: Option<TokenHash>, token: &SecretToken) -> bool {
        // All zeros: finding a token that hashes to it is a SHA-256 preimage.
        let compared = stored.unwrap_or(TokenHash([0; 32])).matches(token);
        compared & stored.is_some()
    }

    /// A short public name for the token: enough to tell admin tokens apart in the audit log,
    /// useless for recovering the token.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.0[..6])
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", self.fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_unique_and_well_formed() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert!(SecretToken::from_presented(a.expose()).is_some());
    }

    #[test]
    fn hash_matches_only_its_token() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert!(a.hash().matches(&a));
        assert!(!a.hash().matches(&b));
        let round = TokenHash::from_hex(&a.hash().to_hex()).unwrap();
        assert!(round.matches(&a));
    }

    #[test]
    fn verify_refuses_a_missing_hash_and_a_wrong_token_alike() {
        let a = SecretToken::generate();
        assert!(TokenHash::verify(Some(a.hash()), &a));
        assert!(!TokenHash::verify(Some(SecretToken::generate().hash()), &a));
        assert!(!TokenHash::verify(None, &a));
    }

    #[test]
    fn malformed_presented_tokens_are_refused() {
        for bad in ["", "short", &"a".repeat(44), &"!".repeat(43)] {
            assert!(SecretToken::from_presented(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = SecretToken::generate();
        assert!(!format!("{t:?}").contains(t.expose()));
    }
}
