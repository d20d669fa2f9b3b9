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

/// A short digest of the parts of a list request that must stay the same across pages.
pub fn filter_digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
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
}
