//! AIP-158 page tokens: opaque to callers, a keyset position to us. A token remembers a
//! digest of the filters it was made for, so reusing it with other filters is an error rather
//! than a silently wrong page.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

use crate::domain::Error;

#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope<T> {
    /// The keyset position.
    p: T,
    /// Digest of the filters.
    f: String,
}

/// A short digest (16 hex digits: 64 bits of SHA-256) of the parts of a list request that must
/// stay the same across pages. Each part goes in after its length, so that distinct lists
/// always hash distinct input: with a separator instead, `["a\0", ""]` and `["a", "\0"]`
/// (filters are caller text, and protobuf strings may hold NUL) would share a digest.
pub fn filter_digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(&hasher.finalize()[..8])
}

pub fn encode<T: Serialize>(position: &T, digest: &str) -> String {
    let json = serde_json::to_vec(&Envelope { p: position, f: digest.to_owned() }).expect("serialisable");
    URL_SAFE_NO_PAD.encode(json)
}

/// `None` for the first page (an empty token).
pub fn decode<T: DeserializeOwned>(token: &str, digest: &str) -> Result<Option<T>, Error> {
    if token.is_empty() {
        return Ok(None);
    }
    let bytes =
        URL_SAFE_NO_PAD.decode(token).map_err(|_| Error::InvalidPageToken("it is not a token this server issued"))?;
    let envelope: Envelope<T> =
        serde_json::from_slice(&bytes).map_err(|_| Error::InvalidPageToken("it is not a token this server issued"))?;
    if envelope.f != digest {
        return Err(Error::InvalidPageToken("it was issued for different filters"));
    }
    Ok(Some(envelope.p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks_filters() {
        let digest = filter_digest(&["EXPORT", ""]);
        let token = encode(&(42_i64, "id".to_owned()), &digest);
        let back: Option<(i64, String)> = decode(&token, &digest).unwrap();
        assert_eq!(back, Some((42, "id".to_owned())));
        let other = filter_digest(&["ERASE", ""]);
        assert!(matches!(decode::<(i64, String)>(&token, &other), Err(Error::InvalidPageToken(_))));
        assert!(matches!(decode::<(i64, String)>("!!!", &digest), Err(Error::InvalidPageToken(_))));
        assert_eq!(decode::<(i64, String)>("", &digest).unwrap(), None);
    }

    /// Found by `props::distinct_filters_have_distinct_digests`: parts were joined with NUL,
    /// so lists that split the same bytes differently shared a digest.
    #[test]
    fn filters_split_differently_have_different_digests() {
        assert_ne!(filter_digest(&["\0"]), filter_digest(&["", ""]));
        assert_ne!(filter_digest(&["a\0", ""]), filter_digest(&["a", "\0"]));
        assert_ne!(filter_digest(&[]), filter_digest(&[""]));
    }
}

/// Property tests (case counts: see `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::proptest_cases::cases;

    /// Filter values, with the separators and characters an encoding could stumble on.
    fn parts() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(prop_oneof!["[a-z0-9\\x00]{0,3}", "\\PC{0,6}"], 0..5)
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// A token reads back as the position it was made from, under the same filters.
        #[test]
        fn round_trips(key in any::<i64>(), id in "\\PC{0,40}", parts in parts()) {
            let digest = filter_digest(&parts.iter().map(String::as_str).collect::<Vec<_>>());
            let token = encode(&(key, id.clone()), &digest);
            prop_assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe");
            prop_assert_eq!(decode::<(i64, String)>(&token, &digest).unwrap(), Some((key, id)));
        }

        /// Distinct lists of filters have distinct digests: a token is never taken for
        /// another list's, however the values are split ("a", "" is not "a\\0").
        #[test]
        fn distinct_filters_have_distinct_digests(a in parts(), b in parts()) {
            let digest = |p: &[String]| filter_digest(&p.iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert_eq!(digest(&a) == digest(&b), a == b, "{:?} and {:?}", a, b);
        }

        /// Lists that hold the same characters split differently (what a separator cannot
        /// tell apart: `["\\0"]` and `["", ""]` both join to two NULs) have distinct digests:
        /// `a`, and the list its NUL-joined text reads as when other NULs are taken for the
        /// separators.
        #[test]
        fn resplit_filters_have_distinct_digests(a in prop::collection::vec("[a\\x00]{0,3}", 1..4), seps in any::<u64>()) {
            let joined: String = a.iter().map(|p| format!("{p}\0")).collect();
            let body = &joined[..joined.len() - 1];
            let mut b = vec![String::new()];
            for (i, c) in body.chars().enumerate() {
                if c == '\0' && seps >> (i % 64) & 1 == 1 {
                    b.push(String::new());
                } else {
                    b.last_mut().unwrap().push(c);
                }
            }
            let digest = |p: &[String]| filter_digest(&p.iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert_eq!(digest(&a) == digest(&b), a == b, "{:?} and {:?}", a, b);
        }

        /// A token changed anywhere (a character replaced, cut short, extended) is refused, or
        /// still reads as a position for the filters it was issued for: never a panic, never
        /// a token for other filters.
        #[test]
        fn tampered_tokens_are_refused_or_harmless(
            key in any::<i64>(),
            id in "[a-f0-9-]{0,36}",
            at in any::<prop::sample::Index>(),
            with in "[A-Za-z0-9_=+/!.-]",
            how in 0..3u8,
        ) {
            let digest = filter_digest(&["EXPORT", ""]);
            let token = encode(&(key, id), &digest);
            let at = at.index(token.len());
            let tampered = match how {
                0 => format!("{}{with}{}", &token[..at], &token[at + 1..]),
                1 => token[..at].to_owned(),
                _ => format!("{token}{with}"),
            };
            if let Ok(Some((_, id))) = decode::<(i64, String)>(&tampered, &digest) {
                // It read: then its filters are these, which only the digest could say.
                let bytes = URL_SAFE_NO_PAD.decode(&tampered).unwrap();
                let envelope: Envelope<(i64, String)> = serde_json::from_slice(&bytes).unwrap();
                prop_assert_eq!(envelope.f, digest.clone());
                prop_assert_eq!(envelope.p.1, id);
            }
            prop_assert!(decode::<(i64, String)>(&tampered, &filter_digest(&["ERASE", ""])).is_err_and(|e| matches!(e, Error::InvalidPageToken(_))) || tampered.is_empty());
        }

        /// Any text at all is refused with InvalidPageToken or read: never a panic.
        #[test]
        fn any_text_is_refused_or_read(raw in prop_oneof![any::<String>(), "[A-Za-z0-9_-]{0,80}"]) {
            let digest = filter_digest(&[]);
            match decode::<(i64, String)>(&raw, &digest) {
                Ok(None) => prop_assert!(raw.is_empty()),
                Ok(Some(_)) | Err(Error::InvalidPageToken(_)) => {}
                Err(other) => prop_assert!(false, "{:?}", other),
            }
            let _ = decode::<i64>(&raw, &digest);
        }
    }
}
