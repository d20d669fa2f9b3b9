use std::{fmt, str::FromStr};

use super::Error;

/// A syntactically valid email address, as the subject gave it (trimmed). Its `Debug` hides
/// the address so that a stray `{:?}` cannot put personal data in a log.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectEmail(String);

impl SubjectEmail {
    /// RFC 5321's limit on a forward path.
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Error> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid("subject.email", "is required"));
        }
        if trimmed.len() > Self::MAX_LEN {
            return Err(Error::invalid("subject.email", "is longer than 254 characters"));
        }
        // lettre implements the RFC 5322 addr-spec grammar; using it means every address we
        // accept is one we can also send mail to.
        lettre::Address::from_str(trimmed)
            .map_err(|_| Error::invalid("subject.email", "is not a valid email address"))?;
        Ok(SubjectEmail(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form requests are matched by: mail systems treat addresses case-insensitively in
    /// practice, and "Jane@Example.com" asking twice is the same person asking twice.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Debug for SubjectEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubjectEmail(<redacted>)")
    }
}

/// The subject's id in the organisation's systems: 1 to 256 printable characters.
#[derive(Clone, PartialEq, Eq)]
pub struct UserId(String);

impl UserId {
    pub const MAX_LEN: usize = 256;

    pub fn parse_optional(raw: &str) -> Result<Option<Self>, Error> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.len() > Self::MAX_LEN {
            return Err(Error::invalid("subject.user_id", "is longer than 256 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Error::invalid("subject.user_id", "contains control characters"));
        }
        Ok(Some(UserId(trimmed.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserId(<redacted>)")
    }
}

/// The person a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub email: SubjectEmail,
    pub user_id: Option<UserId>,
}

impl Subject {
    /// `text` (say, an error message from a data source, which may quote the subject) with
    /// the subject's identifiers replaced, so it can go to logs and the audit log.
    pub fn redact(&self, text: &str) -> String {
        let text = redact(text, self.email.as_str());
        match &self.user_id {
            Some(user_id) => redact(&text, user_id.as_str()),
            None => text,
        }
    }
}

/// `haystack` with every case-insensitive occurrence of `needle` replaced by "<redacted>".
pub fn redact(haystack: &str, needle: &str) -> String {
    if needle.is_empty() {
        return haystack.to_owned();
    }
    let lower = haystack.to_lowercase();
    let needle = needle.to_lowercase();
    // Lower-casing may change byte lengths outside ASCII; fall back to a plain replace then.
    if lower.len() != haystack.len() {
        return haystack.replace(&needle, "<redacted>");
    }
    let mut out = String::with_capacity(haystack.len());
    let mut rest = 0;
    while let Some(found) = lower[rest..].find(&needle) {
        let start = rest + found;
        out.push_str(&haystack[rest..start]);
        out.push_str("<redacted>");
        rest = start + needle.len();
    }
    out.push_str(&haystack[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_trims_valid_addresses() {
        let email = SubjectEmail::parse("  Jane.Doe+gdpr@Example.com ").unwrap();
        assert_eq!(email.as_str(), "Jane.Doe+gdpr@Example.com");
        assert_eq!(email.key(), "jane.doe+gdpr@example.com");
    }

    #[test]
    fn refuses_invalid_addresses() {
        for bad in ["", "   ", "jane", "jane@", "@example.com", "ja ne@example.com", "a@b@c"] {
            assert!(SubjectEmail::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(SubjectEmail::parse(&long).is_err());
    }

    #[test]
    fn debug_never_shows_the_address() {
        let email = SubjectEmail::parse("jane@example.com").unwrap();
        assert!(!format!("{email:?}").contains("jane"));
    }

    #[test]
    fn user_id_rules() {
        assert_eq!(UserId::parse_optional(" ").unwrap(), None);
        assert!(UserId::parse_optional(&"u".repeat(257)).is_err());
        assert!(UserId::parse_optional("a\nb").is_err());
        assert_eq!(UserId::parse_optional("u-42").unwrap().unwrap().as_str(), "u-42");
    }
}
