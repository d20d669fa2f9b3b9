use std::fmt;

use super::Error;

/// A syntactically valid email address, as the subject gave it (trimmed). Its `Debug` hides
/// the address so that a stray `{:?}` cannot put personal data in a log.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectEmail(String);

impl SubjectEmail {
    /// RFC 5321's limit on a forward path.
    pub const MAX_LEN: usize = 254;

    /// Accepts what privacyd can actually send mail to, so that an address cannot pass here,
    /// fail at send time and then hold back a new request as a duplicate. Errors name the field
    /// `subject.email`. The rules:
    /// - it parses as a lettre `Mailbox` (the parser the mailer uses) and comes out unchanged,
    ///   which refuses quoted local parts (`"john doe"@example.com`, RFC 5321 §4.1.2): lettre
    ///   cannot build a message to most of them, and relays widely refuse the rest;
    /// - the domain is a name, not an address literal (`jane@[127.0.0.1]`, RFC 5321 §4.1.3) or
    ///   a bare IP address: a literal skips the MX lookup, so no organisation's relay delivers
    ///   it, and lettre cannot build the message either;
    /// - internationalised domains (RFC 5890) are kept as given, for data sources to match, and
    ///   sent in their ASCII form (see [`SubjectEmail::mailbox`]).
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid("subject.email", "is required"));
        }
        if trimmed.len() > Self::MAX_LEN {
            return Err(Error::invalid("subject.email", "is longer than 254 characters"));
        }
        let invalid = || Error::invalid("subject.email", "is not a valid email address");
        let (_, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        if domain.starts_with('[') || domain.parse::<std::net::IpAddr>().is_ok() {
            return Err(Error::invalid("subject.email", "must end in a domain name, not an IP address"));
        }
        let email = SubjectEmail(trimmed.to_owned());
        let mailbox = email.mailbox().map_err(|_| invalid())?;
        if mailbox.name.is_some() || mailbox.email.user() != email.local_part() {
            // lettre read it differently from what was written (a quoted local part unquoted,
            // say): mail would go to another address than the one the subject gave.
            return Err(Error::invalid("subject.email", "must not use quotes or comments; give the plain address"));
        }
        Ok(email)
    }

    /// The address with the local part hidden but its first character (`j…@example.com`):
    /// enough for the subject to recognise their request on the confirmation page, while the
    /// page (which anyone the email was forwarded to can open) does not show the address.
    pub fn masked(&self) -> String {
        let local = self.local_part();
        let first = local.chars().next().map(String::from).unwrap_or_default();
        let domain = self.0.rsplit_once('@').map_or("", |(_, domain)| domain);
        format!("{first}…@{domain}")
    }

    /// The part before the last `@`.
    fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    /// The mailbox the mailer sends to: the address as given, with an internationalised domain
    /// in its ASCII (A-label, RFC 5891) form, which any relay accepts without SMTPUTF8.
    pub fn mailbox(&self) -> Result<lettre::message::Mailbox, lettre::address::AddressError> {
        let (local, domain) = self.0.rsplit_once('@').ok_or(lettre::address::AddressError::MissingParts)?;
        let domain = idna::domain_to_ascii(domain).map_err(|_| lettre::address::AddressError::InvalidDomain)?;
        format!("{local}@{domain}").parse()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form requests are matched by: mail systems treat addresses case-insensitively in
    /// practice, and "Jane@Example.com" asking twice is the same person asking twice.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// The one form data sources are given (`Subject.email` of the plugin protocol): the whole
    /// address lower-cased (Unicode lower case). Sources must still compare case-insensitively
    /// (the conformance kit checks it), but a source that does not, and stores addresses
    /// lower-cased as most systems do on sign-up, then finds the subject whatever case they
    /// typed: "Jane@Example.com" finds "jane@example.com".
    pub fn canonical(&self) -> String {
        self.key()
    }

    /// Every form an erasure's verification exports with, canonical first: the canonical form,
    /// the address as the subject typed it, and that with only the domain lower-cased (the
    /// domain is case-insensitive, RFC 5321 §2.4, so that form is how a system that keeps the
    /// local part as typed stores it). A case-sensitive source that holds the subject under
    /// one of these forms and erased under another still exports the data, and the erasure
    /// fails verification instead of being certified. Distinct forms only.
    pub fn verification_forms(&self) -> Vec<String> {
        let mut forms = vec![self.canonical(), self.0.clone()];
        if let Some((local, domain)) = self.0.rsplit_once('@') {
            forms.push(format!("{local}@{}", domain.to_lowercase()));
        }
        let mut distinct: Vec<String> = Vec::with_capacity(forms.len());
        for form in forms {
            if !distinct.contains(&form) {
                distinct.push(form);
            }
        }
        distinct
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
    fn refuses_what_the_mailer_cannot_send_and_keeps_what_it_can() {
        for bad in [
            "\"john doe\"@example.com",
            "\"jane\"@example.com",
            "\"a@b\"@example.com",
            "jane@[127.0.0.1]",
            "jane@[IPv6:::1]",
            "jane@127.0.0.1",
            "jane@::1",
            "Jane <jane@example.com>",
            "jane@example.com (Jane)",
        ] {
            assert!(SubjectEmail::parse(bad).is_err(), "{bad:?} was accepted");
        }
        for good in
            ["jane+gdpr@example.com", "jane.doe@mail.example.co.uk", "jane@bücher.example", "o'brien@example.com"]
        {
            let email = SubjectEmail::parse(good).unwrap_or_else(|e| panic!("{good:?}: {e}"));
            assert_eq!(email.as_str(), good);
            assert!(email.mailbox().unwrap().email.to_string().is_ascii() || !good.is_ascii());
        }
        assert_eq!(
            SubjectEmail::parse("jane@bücher.example").unwrap().mailbox().unwrap().email.to_string(),
            "jane@xn--bcher-kva.example"
        );
    }

    #[test]
    fn sources_get_one_canonical_form_and_verification_tries_the_others() {
        let typed = SubjectEmail::parse("Jane@Example.COM").unwrap();
        assert_eq!(typed.canonical(), "jane@example.com");
        assert_eq!(typed.verification_forms(), vec!["jane@example.com", "Jane@Example.COM", "Jane@example.com"]);
        let lower = SubjectEmail::parse("jane@example.com").unwrap();
        assert_eq!(lower.verification_forms(), vec!["jane@example.com"]);
    }

    #[test]
    fn masked_shows_only_the_first_character_of_the_local_part() {
        assert_eq!(SubjectEmail::parse("jane.doe@example.com").unwrap().masked(), "j…@example.com");
        assert_eq!(SubjectEmail::parse("über@example.com").unwrap().masked(), "ü…@example.com");
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
