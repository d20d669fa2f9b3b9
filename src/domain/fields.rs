//! Small validated values that arrive from callers.
use super::Error;

/// A human-written reason (for a denial, a cancellation, a deadline extension): trimmed, at
/// most 2000 characters. It is shown to the subject and kept in the audit log, so it must not
/// be empty where the law asks for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX_CHARS: usize = 2000;

    /// A required reason.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Error> {
        match Self::parse_optional(field, raw)? {
            Some(reason) => Ok(reason),
            None => Err(Error::invalid(field, "is required")),
        }
    }

    /// An optional reason: empty means none.
    pub fn parse_optional(field: &'static str, raw: &str) -> Result<Option<Self>, Error> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(Error::invalid(field, format!("is longer than {} characters", Self::MAX_CHARS)));
        }
        if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(Error::invalid(field, "contains control characters"));
        }
        Ok(Some(Reason(trimmed.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An AIP-155 request id: 1 to 128 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, Error> {
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.len() > 128 {
            return Err(Error::invalid("request_id", "is longer than 128 characters"));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid("request_id", "must be printable ASCII without spaces"));
        }
        Ok(Some(IdempotencyKey(raw.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// AIP-158 page size: 0 means the default, larger values are clamped, negatives are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub const MAX: u32 = 1000;

    pub fn parse(raw: i32, default: u32) -> Result<Self, Error> {
        match raw {
            n if n < 0 => Err(Error::invalid("page_size", "must not be negative")),
            0 => Ok(PageSize(default)),
            n => Ok(PageSize((n as u32).min(Self::MAX))),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_rules() {
        assert!(Reason::parse("reason", "  ").is_err());
        assert_eq!(Reason::parse("reason", " fraud ").unwrap().as_str(), "fraud");
        assert!(Reason::parse("reason", &"x".repeat(2001)).is_err());
        assert!(Reason::parse("reason", "a\u{0}b").is_err());
        assert_eq!(Reason::parse_optional("reason", "").unwrap(), None);
    }

    #[test]
    fn idempotency_key_rules() {
        assert_eq!(IdempotencyKey::parse_optional("").unwrap(), None);
        assert!(IdempotencyKey::parse_optional("has space").is_err());
        assert!(IdempotencyKey::parse_optional(&"k".repeat(129)).is_err());
        assert!(IdempotencyKey::parse_optional("0b7c-1").unwrap().is_some());
    }

    #[test]
    fn page_size_rules() {
        assert_eq!(PageSize::parse(0, 50).unwrap().get(), 50);
        assert_eq!(PageSize::parse(5000, 50).unwrap().get(), 1000);
        assert!(PageSize::parse(-1, 50).is_err());
    }
}

/// Property tests of the small values callers send (case counts: see
/// `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::RequestId;

    proptest! {
        #![proptest_config(crate::testing::proptest_cases::cases(256))]

        /// A reason is kept trimmed, 1 to 2000 characters, with no control character but line
        /// breaks and tabs; anything else is refused (or is no reason, when blank).
        #[test]
        fn reasons_are_bounded_and_printable(raw in prop_oneof!["\\PC{0,40}", "[a\n\t\r\u{0}\u{7f} ]{0,10}", "x{1999,2002}", any::<String>()]) {
            match Reason::parse_optional("reason", &raw) {
                Ok(None) => prop_assert!(raw.trim().is_empty()),
                Ok(Some(reason)) => {
                    let kept = reason.as_str();
                    prop_assert_eq!(kept, raw.trim());
                    prop_assert!(kept.chars().count() <= Reason::MAX_CHARS);
                    prop_assert!(!kept.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
                }
                Err(_) => prop_assert!(
                    raw.trim().chars().count() > Reason::MAX_CHARS
                        || raw.trim().chars().any(|c| c.is_control() && c != '\n' && c != '\t')
                ),
            }
        }

        /// An AIP-155 request id is 1 to 128 visible ASCII characters, kept as given.
        #[test]
        fn idempotency_keys_are_visible_ascii(raw in prop_oneof!["[!-~ ]{0,130}", any::<String>()]) {
            let valid = raw.len() <= 128 && raw.bytes().all(|b| b.is_ascii_graphic());
            match IdempotencyKey::parse_optional(&raw) {
                Ok(None) => prop_assert!(raw.is_empty()),
                Ok(Some(key)) => prop_assert!(valid && key.as_str() == raw),
                Err(_) => prop_assert!(!valid),
            }
        }

        /// A page size is the default for 0, at most the maximum, and refused when negative.
        #[test]
        fn page_sizes_are_clamped(raw in any::<i32>(), default in 1..=PageSize::MAX) {
            match PageSize::parse(raw, default) {
                Ok(size) if raw == 0 => prop_assert_eq!(size.get(), default),
                Ok(size) => prop_assert_eq!(size.get(), (raw as u32).min(PageSize::MAX)),
                Err(_) => prop_assert!(raw < 0),
            }
        }

        /// A request id reads back from its own text, and any text that reads as one names the
        /// same id in its canonical spelling.
        #[test]
        fn request_ids_round_trip(bytes in any::<[u8; 16]>(), raw in prop_oneof!["[0-9a-fA-F-]{30,38}", "\\PC{0,40}"]) {
            let id = RequestId::parse("id", &uuid::Uuid::from_bytes(bytes).to_string()).unwrap();
            prop_assert_eq!(RequestId::parse("id", &id.to_string()).unwrap(), id);
            if let Ok(read) = RequestId::parse("id", &raw) {
                prop_assert_eq!(RequestId::parse("id", &read.to_string()).unwrap(), read);
            }
        }
    }
}
