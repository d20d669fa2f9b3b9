//! Admin credentials: what an admin token may do ([`Scope`]), and what makes a token strong
//! enough to be accepted ([`check_strength`]).

use std::fmt;

/// One kind of admin power. A token holds a set of them ([`Scopes`]); every admin method
/// needs exactly one (the table is `grpc::auth::METHODS`). Scopes do not imply each other:
/// an operator's token usually has `read,requests`, a dashboard's only `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Look, change nothing: requests, their audit events and receipts, watches, sources.
    Read,
    /// Operate privacy requests: create, resend, process, complete, deny, cancel, extend,
    /// delete.
    Requests,
    /// Manage the data source registry: register, update (enable, disable), delete, check.
    Sources,
    /// Download export archives with the admin token instead of the subject's link; the
    /// archive holds everything known about a person, so this is kept apart from `read`.
    Download,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Requests, Scope::Sources, Scope::Download];

    /// The scope's name in the tokens file and in `MISSING_SCOPE` errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Requests => "requests",
            Scope::Sources => "sources",
            Scope::Download => "download",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of scopes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    /// Every scope: the generated first-start token and tokens from `PRIVACYD_ADMIN_TOKENS`.
    pub fn all() -> Self {
        Scopes(Scope::ALL.iter().fold(0, |bits, s| bits | s.bit()))
    }

    /// Parses `read,requests` (comma-separated scope names, no spaces). `Err` names what was
    /// wrong; an empty list is refused, since a token that can do nothing is a mistake.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut bits = 0;
        for name in raw.split(',') {
            let scope = Scope::parse(name).ok_or_else(|| {
                format!(
                    "unknown scope {name:?}: scopes are a comma-separated list of {}",
                    Scope::ALL.map(Scope::as_str).join(", ")
                )
            })?;
            bits |= scope.bit();
        }
        Ok(Scopes(bits))
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The scopes in both sets, if any.
    pub fn intersection(self, other: Scopes) -> Option<Scopes> {
        let bits = self.0 & other.0;
        (bits != 0).then_some(Scopes(bits))
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl fmt::Display for Scopes {
    /// The tokens-file form: `read,requests`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iter().map(Scope::as_str).collect::<Vec<_>>().join(","))
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({self})")
    }
}

/// The fewest characters an admin token may have.
pub const MIN_TOKEN_CHARS: usize = 32;

/// The least estimated entropy of an admin token, in bits: 128 bits is the security level of
/// AES-128 and of the tokens privacyd generates itself (256), beyond any online or offline
/// guessing (NIST SP 800-63B §5.1.1.2 asks 112 bits of a memorised-secret verifier's key).
pub const MIN_TOKEN_BITS: f64 = 128.0;

/// Why a token was refused. The message never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0}; an admin token needs at least {MIN_TOKEN_CHARS} characters and an estimated {MIN_TOKEN_BITS} bits \
     (mint one with `privacyctl admin-token new`, or `openssl rand -base64 32`)"
)]
pub struct WeakToken(String);

/// Accepts a token only if it is at least [`MIN_TOKEN_CHARS`] visible ASCII characters (it
/// travels in an HTTP header, RFC 9110 §5.5) and its estimated entropy is at least
/// [`MIN_TOKEN_BITS`].
///
/// The estimate ([`estimated_bits`]) is the entropy of the token's own character frequencies
/// times its length, not counting characters that continue a run or sequence or repeat an
/// earlier part of the token. It cannot know how a token was made, so it errs on the side of
/// refusing: repetition (`aaaa…`, `abab…`), sequences (`0123…`) and small alphabets score low,
/// while 32 random bytes in base64 (`openssl rand -base64 32`, 44 characters) score over 200
/// bits. Hex needs more characters than its true entropy (4 bits each) suggests: `openssl rand
/// -hex 24` (48 digits) passes, `-hex 16` does not.
pub fn check_strength(token: &str) -> Result<(), WeakToken> {
    if let Some(c) = token.chars().find(|c| !c.is_ascii_graphic()) {
        let what =
            if c.is_whitespace() { "a space or line break".to_owned() } else { format!("{:?}", c.escape_unicode()) };
        return Err(WeakToken(format!("the token contains {what}, which cannot travel in an HTTP header")));
    }
    let length = token.len();
    if length < MIN_TOKEN_CHARS {
        return Err(WeakToken(format!("the token has only {length} characters")));
    }
    let bits = estimated_bits(token);
    if bits < MIN_TOKEN_BITS {
        return Err(WeakToken(format!(
            "the token's estimated entropy is only {bits:.0} bits (too repetitive or too predictable)"
        )));
    }
    Ok(())
}

/// The estimate, in bits: the entropy per character times the number of surprising characters.
///
/// Per character: the Shannon entropy of the token's own character frequencies, with the
/// Miller–Madow correction `(K - 1) / 2N` nats for K distinct characters in N (Miller 1955),
/// since the plain estimate from a sample as short as a token is biased low.
///
/// Surprising: a character is not counted when it continues a run or a sequence (the third
/// of `aaa`, `123`, `cba`) or completes a three-character string seen earlier in the token
/// (periodic patterns like `Ab1!Ab1!`).
fn estimated_bits(token: &str) -> f64 {
    let bytes = token.as_bytes();
    let mut counts = [0u32; 128];
    for &b in bytes {
        counts[usize::from(b & 0x7f)] += 1;
    }
    let n = bytes.len() as f64;
    let distinct = counts.iter().filter(|&&c| c > 0).count() as f64;
    let shannon: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            p * (1.0 / p).log2()
        })
        .sum();
    let per_char = shannon + (distinct - 1.0) / (2.0 * n * std::f64::consts::LN_2);
    let mut seen = std::collections::HashSet::new();
    let mut surprising = bytes.len().min(2);
    for w in bytes.windows(3) {
        let step = i16::from(w[2]) - i16::from(w[1]);
        let continues = step == i16::from(w[1]) - i16::from(w[0]) && step.abs() <= 1;
        let repeats = !seen.insert((w[0], w[1], w[2]));
        if !continues && !repeats {
            surprising += 1;
        }
    }
    per_char * surprising as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SecretToken;

    #[test]
    fn weak_tokens_are_refused_with_the_reason_and_without_the_token() {
        for (token, why) in [
            ("aaaaaaaaaaaaaaaa", "only 16 characters"),
            (&"a".repeat(64), "estimated entropy is only"),
            (&"ab".repeat(40), "estimated entropy is only"),
            (&"ac".repeat(40), "estimated entropy is only"),
            (&"Ab1!".repeat(16), "estimated entropy is only "),
            ("passwordpasswordpasswordpassword", "estimated entropy"),
            ("0123456789012345678901234567890123456789", "estimated entropy"),
            ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "estimated entropy"),
            ("correct horse battery staple correct horse", "a space"),
        ] {
            let err = check_strength(token).unwrap_err().to_string();
            assert!(err.contains(why), "{token}: {err}");
            assert!(!err.contains(token), "the message repeats the token: {err}");
        }
    }

    #[test]
    fn random_tokens_pass() {
        for _ in 0..200 {
            let generated = SecretToken::generate();
            check_strength(generated.expose()).unwrap();
        }
        // Shapes operators and tests use: a UUID with a prefix, 24 random bytes in hex.
        for _ in 0..200 {
            check_strength(&format!("test-admin-token-{}", uuid::Uuid::now_v7())).unwrap();
            // A UUID v7 starts with a timestamp, so it is less random than it looks.
            check_strength(&format!("polyglot-admin-{}", uuid::Uuid::now_v7().simple())).unwrap();
            check_strength(&format!("bench-token-{}", uuid::Uuid::now_v7())).unwrap();
        }
        check_strength("3f1c9e0ab7d24c58e6f1a9b03d7c2e4f5a6b8c9d0e1f2a3b").unwrap();
        // What the documentation recommends, many times over, so the estimate's noise on truly
        // random input stays well clear of the bar.
        for _ in 0..2000 {
            let mut bytes = [0u8; 32];
            rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes).unwrap();
            use base64::Engine;
            check_strength(&base64::engine::general_purpose::STANDARD.encode(bytes)).unwrap();
            check_strength(&hex::encode(&bytes[..24])).unwrap();
        }
    }

    #[test]
    fn scopes_parse_and_print_in_the_file_form() {
        let scopes = Scopes::parse("requests,read").unwrap();
        assert!(scopes.contains(Scope::Read) && scopes.contains(Scope::Requests));
        assert!(!scopes.contains(Scope::Sources) && !scopes.contains(Scope::Download));
        assert_eq!(scopes.to_string(), "read,requests");
        assert_eq!(Scopes::all().to_string(), "read,requests,sources,download");
        for bad in ["", "read,", "admin", "read, requests", "READ"] {
            assert!(Scopes::parse(bad).is_err(), "{bad:?}");
        }
    }
}

/// Property tests of admin scopes and the token strength check (case counts: see
/// `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::testing::proptest_cases::cases(256))]

        /// Any non-empty set of scopes reads back from its tokens-file form, and any text
        /// reads as a set only if every name in it is a scope.
        #[test]
        fn scopes_round_trip(bits in 1u8..16, raw in "(read|requests|sources|download|x|,|Read| ){0,5}") {
            let scopes = Scopes(bits);
            prop_assert!(Scopes::parse(&scopes.to_string()) == Ok(scopes));
            if let Ok(read) = Scopes::parse(&raw) {
                prop_assert!(raw.split(',').all(|name| Scope::parse(name).is_some()));
                prop_assert!(read.iter().all(|s| raw.split(',').any(|name| name == s.as_str())));
            }
        }

        /// Whatever is presented, the check never panics, accepts only long visible ASCII, and
        /// its refusal never quotes the token (it goes to logs and the terminal).
        #[test]
        fn strength_is_checked_without_quoting_the_token(token in prop_oneof!["[!-~]{0,64}", "[a-c]{30,40}", any::<String>()]) {
            match check_strength(&token) {
                Ok(()) => prop_assert!(token.len() >= MIN_TOKEN_CHARS && token.bytes().all(|b| b.is_ascii_graphic())),
                Err(weak) => {
                    let message = weak.to_string();
                    prop_assert!(token.len() < 4 || !message.contains(&token), "{}", message);
                }
            }
        }
    }
}
