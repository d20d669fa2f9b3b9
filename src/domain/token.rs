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

/// Property tests of presented tokens and stored hashes (case counts: see
/// `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::proptest_cases::cases;

    proptest! {
        #![proptest_config(cases(256))]

        /// Every token `generate` could make (any 32 bytes) is accepted and matches its hash.
        #[test]
        fn every_possible_token_is_accepted(bytes in any::<[u8; 32]>()) {
            let raw = URL_SAFE_NO_PAD.encode(bytes);
            let token = SecretToken::from_presented(&raw).expect("a token generate could make");
            prop_assert_eq!(token.expose(), raw.as_str());
            prop_assert!(TokenHash::verify(Some(token.hash()), &token));
            prop_assert!(TokenHash::from_hex(&token.hash().to_hex()).is_some_and(|h| h.ct_eq(&token.hash())));
        }

        /// Only such tokens are: 43 characters that decode to 32 bytes and are that encoding's
        /// one spelling (no second link for the same secret), whatever text is presented.
        #[test]
        fn accepts_nothing_else(raw in prop_oneof!["[A-Za-z0-9_=+/-]{41,45}", any::<String>()]) {
            if let Some(token) = SecretToken::from_presented(&raw) {
                prop_assert_eq!(raw.len(), 43);
                let bytes = URL_SAFE_NO_PAD.decode(token.expose()).unwrap();
                prop_assert_eq!(bytes.len(), 32);
                prop_assert_eq!(URL_SAFE_NO_PAD.encode(&bytes), raw);
            }
        }

        /// A token matches the stored hash of itself and of no other token.
        #[test]
        fn a_hash_verifies_only_its_token(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), stored in any::<bool>()) {
            let a = SecretToken::from_presented(&URL_SAFE_NO_PAD.encode(a)).unwrap();
            let b = SecretToken::from_presented(&URL_SAFE_NO_PAD.encode(b)).unwrap();
            let hash = stored.then(|| a.hash());
            prop_assert_eq!(TokenHash::verify(hash, &b), stored && a.expose() == b.expose());
            prop_assert!(!TokenHash::verify(None, &a));
        }

        /// Stored hashes read back from hex exactly, in either case, and nothing else reads.
        #[test]
        fn hashes_round_trip_through_hex(bytes in any::<[u8; 32]>(), raw in "[0-9a-fA-Fg ]{62,66}") {
            let hash = TokenHash(bytes);
            prop_assert!(TokenHash::from_hex(&hash.to_hex()) == Some(hash));
            prop_assert!(TokenHash::from_hex(&hash.to_hex().to_uppercase()) == Some(hash));
            if let Some(read) = TokenHash::from_hex(&raw) {
                prop_assert_eq!(read.to_hex(), raw.to_ascii_lowercase());
            }
            let debug = format!("{hash:?}");
            prop_assert!(!debug.contains(&hash.to_hex()));
        }
    }
}
