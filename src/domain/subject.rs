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
///
/// Works on any Unicode text and never panics. Both strings are compared in a folded form
/// (each character lower-cased, upper-cased and lower-cased again with Unicode's full case
/// mappings, so that every case of a letter comes to one form: `ẞ`, `ß` and `SS` to `ss`, `ς`
/// and `Σ` to `σ`; close to Unicode's full case folding), and each match is mapped back to
/// whole characters of `haystack`. Folding changes lengths (`İ` becomes `i̇`, three bytes
/// from two; the Kelvin sign `K`, three bytes, becomes `k`; `ß` becomes `ss`), so positions
/// in the folded text are never used to slice `haystack` directly. A match that starts or ends
/// inside a character's folded form takes the whole character: redacting a character too many
/// is safe, one too few is not.
pub fn redact(haystack: &str, needle: &str) -> String {
    let needle = fold(needle);
    if needle.is_empty() {
        return haystack.to_owned();
    }
    let (folded, origin) = fold_with_origin(haystack);
    let mut out = String::with_capacity(haystack.len());
    // `copied`: how much of `haystack` is in `out`; `from`: where the next search starts in
    // `folded`.
    let (mut copied, mut from) = (0, 0);
    while let Some(found) = folded[from..].find(&needle) {
        let (start, end) = (from + found, from + found + needle.len());
        let first = origin[start].0.max(copied);
        let last = origin[end - 1].1;
        out.push_str(&haystack[copied..first]);
        out.push_str("<redacted>");
        copied = last.max(copied);
        from = end;
    }
    out.push_str(&haystack[copied..]);
    out
}

/// The case-folded form of `text` (see [`redact`]).
fn fold(text: &str) -> String {
    fold_with_origin(text).0
}

/// The case-folded form of `text`, and for each of its bytes the byte range of the character of
/// `text` it came from.
fn fold_with_origin(text: &str) -> (String, Vec<(usize, usize)>) {
    let mut folded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let span = (at, at + c.len_utf8());
        for lower in c.to_lowercase() {
            for upper in lower.to_uppercase() {
                for folded_char in upper.to_lowercase() {
                    folded.push(folded_char);
                    origin.extend(std::iter::repeat_n(span, folded_char.len_utf8()));
                }
            }
        }
    }
    (folded, origin)
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
    fn redacts_whatever_lower_casing_does_to_lengths() {
        // Issue 9, item 7: `İ` lower-cases to three bytes from two, which made the match
        // positions wrong (the address leaked) or not a char boundary (the job panicked).
        assert_eq!(redact("İ Adv-Erase@Example.COM is locked", "adv-erase@example.com"), "İ <redacted> is locked");
        assert_eq!(redact("İ ADV@EXAMPLE.COM", "adv@example.com"), "İ <redacted>");
        let address = "adv-erase@example.com";
        assert_eq!(
            redact(&format!("İİ{address}\u{212A}account locked"), address),
            "İİ<redacted>\u{212A}account locked"
        );
        // The Kelvin sign is a capital K; `ß`, `ẞ` and `SS` are one letter in different cases.
        assert_eq!(redact("user \u{212A}ate@example.com", "kate@example.com"), "user <redacted>");
        assert_eq!(redact("STRASSE@EXAMPLE.COM!", "straße@example.com"), "<redacted>!");
        assert_eq!(redact("\u{1E9E}t@x.example", "ßt@x.example"), "<redacted>");
        assert_eq!(redact("ΣΟΦΙΑ@EXAMPLE.COM", "σοφιας@example.com"), "ΣΟΦΙΑ@EXAMPLE.COM");
        assert_eq!(redact("ΣΟΦΙΑΣ@EXAMPLE.COM", "σοφιας@example.com"), "<redacted>");
        assert_eq!(redact("nothing here", "jane@example.com"), "nothing here");
        assert_eq!(redact("jane@example.com", ""), "jane@example.com");
    }

    /// Characters whose case mappings change lengths or are not one-to-one, and some that are
    /// plain: what a generated corpus is made of.
    const TRICKY: &[char] = &[
        'a', 'Z', 'i', 'I', 'k', 's', '.', '-', '+', '0', 'İ', 'ı', '\u{212A}', '\u{212B}', 'ß', 'ẞ', 'Σ', 'σ', 'ς',
        'ǅ', 'ǆ', 'Ǆ', 'ΐ', 'ﬃ', 'ŉ', 'ſ', 'é', '\u{301}', '\u{307}', 'Ω', '\u{2126}', 'ẚ', '😀', '字', 'Ⱥ', 'ⱥ', 'ꭰ',
        'Ꭰ',
    ];

    fn random_text(rng: &mut impl rand::Rng, max: usize) -> String {
        let len = rng.random_range(0..=max);
        (0..len).map(|_| TRICKY[rng.random_range(0..TRICKY.len())]).collect()
    }

    /// Upper-cases, lower-cases or keeps each character, or the whole text.
    fn random_case(rng: &mut impl rand::Rng, text: &str) -> String {
        match rng.random_range(0..4) {
            0 => text.to_uppercase(),
            1 => text.to_lowercase(),
            _ => text
                .chars()
                .map(|c| match rng.random_range(0..3) {
                    0 => c.to_uppercase().collect::<String>(),
                    1 => c.to_lowercase().collect(),
                    _ => c.to_string(),
                })
                .collect(),
        }
    }

    /// A generated corpus (seeded, so a failure is reproducible): an address written in any
    /// mix of cases, between any text, is always replaced, exactly, and nothing panics.
    #[test]
    fn redacts_an_address_in_any_case_in_any_text() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for round in 0..20_000 {
            let needle = format!("{}@{}", random_text(&mut rng, 6), random_text(&mut rng, 6));
            let (before, after) = (random_text(&mut rng, 8), random_text(&mut rng, 8));
            let written = random_case(&mut rng, &needle);
            let text = format!("{before} {written} {after}");
            let redacted = redact(&text, &needle);
            assert_eq!(
                redacted,
                format!("{before} <redacted> {after}"),
                "round {round}: needle {needle:?}, text {text:?}"
            );
            // Text that does not hold it comes back unchanged; any text at all is safe to pass.
            assert_eq!(redact(&format!("{before} {after}"), &needle), format!("{before} {after}"));
            let noise = random_text(&mut rng, 12);
            let _ = redact(&noise, &random_text(&mut rng, 3));
            let _ = redact(&written, &noise);
        }
    }

    #[test]
    fn user_id_rules() {
        assert_eq!(UserId::parse_optional(" ").unwrap(), None);
        assert!(UserId::parse_optional(&"u".repeat(257)).is_err());
        assert!(UserId::parse_optional("a\nb").is_err());
        assert_eq!(UserId::parse_optional("u-42").unwrap().unwrap().as_str(), "u-42");
    }
}

/// Property tests: what any text does to the parsers of the subject's identifiers (see
/// `crate::testing::proptest_cases` for the case counts).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::proptest_cases::cases;

    /// Addresses as people type them: dot-atom local parts (RFC 5322 §3.2.3) with the
    /// characters mail systems use, and domains of ASCII or Unicode labels (RFC 5890); one in
    /// five with long labels (up to DNS's 63 bytes), some of those over 254 bytes in all.
    fn address() -> impl Strategy<Value = String> {
        prop_oneof![4 => short_address(), 1 => (local_part(), long_domain()).prop_map(|(l, d)| format!("{l}@{d}"))]
    }

    /// Addresses as [`address`] makes them, with short domains: never over 254 bytes.
    fn short_address() -> impl Strategy<Value = String> {
        (local_part(), short_domain()).prop_map(|(local, domain)| format!("{local}@{domain}"))
    }

    fn local_part() -> impl Strategy<Value = String> {
        prop::collection::vec("[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,12}", 1..4).prop_map(|atoms| atoms.join("."))
    }

    fn short_domain() -> impl Strategy<Value = String> {
        // One hyphen at most: `xn--` starts an A-label, which must be valid Punycode.
        let label = prop_oneof![4 => "[a-z0-9]([a-z0-9]{0,8}(-[a-z0-9]{1,4})?)?", 1 => "[a-z]{0,3}[äöüéß][a-z]{1,4}"];
        (prop::collection::vec(label, 1..4), "[a-z]{2,6}")
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
    }

    fn long_domain() -> impl Strategy<Value = String> {
        (prop::collection::vec("[a-z0-9]{40,63}", 1..6), "[a-z]{2,6}")
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
    }

    /// Text near an address: addresses with pieces that make trouble spliced in.
    fn near_address() -> impl Strategy<Value = String> {
        let trouble = prop_oneof![
            Just(" "),
            Just("\""),
            Just("@"),
            Just("["),
            Just("]"),
            Just("<"),
            Just("("),
            Just(".."),
            Just("\n"),
            Just("\u{0}"),
            Just("127.0.0.1"),
            Just("::1"),
            Just("İ"),
        ];
        let spliced = (address(), any::<prop::sample::Index>(), trouble).prop_map(|(address, at, piece)| {
            let mut at = at.index(address.len() + 1);
            while !address.is_char_boundary(at) {
                at -= 1;
            }
            format!("{}{piece}{}", &address[..at], &address[at..])
        });
        // Address literals and bare IP addresses as the domain (RFC 5321 §4.1.3).
        let literal = prop_oneof![
            Just("127.0.0.1"),
            Just("[127.0.0.1]"),
            Just("[IPv6:::1]"),
            Just("::1"),
            Just("10.0.0.255"),
            Just("[10.0.0.1]")
        ];
        let at_literal = ("[a-z]{1,8}", literal).prop_map(|(local, domain)| format!("{local}@{domain}"));
        prop_oneof![3 => spliced, 1 => at_literal]
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// Every plain address is accepted as typed (trimmed), under 255 bytes.
        #[test]
        fn accepts_plain_addresses_as_typed(address in address(), pad in "[ \t]{0,2}") {
            let parsed = SubjectEmail::parse(&format!("{pad}{address}{pad}"));
            if address.len() <= SubjectEmail::MAX_LEN {
                let email = parsed.map_err(|e| TestCaseError::fail(format!("{address:?}: {e}")))?;
                prop_assert_eq!(email.as_str(), address.as_str());
                prop_assert_eq!(email.key(), address.to_lowercase());
            } else {
                prop_assert!(parsed.is_err());
            }
        }

        /// Whatever is accepted is what the mailer sends to, unchanged, bounded, not a literal
        /// address, and parses again to itself; nothing panics.
        #[test]
        fn accepts_only_sendable_addresses(raw in prop_oneof![near_address(), "\\PC{0,40}", any::<String>()]) {
            if let Ok(email) = SubjectEmail::parse(&raw) {
                let kept = email.as_str();
                prop_assert_eq!(kept, raw.trim());
                prop_assert!(kept.len() <= SubjectEmail::MAX_LEN);
                let mailbox = email.mailbox().map_err(|e| TestCaseError::fail(format!("{raw:?}: {e}")))?;
                prop_assert!(mailbox.name.is_none());
                prop_assert_eq!(mailbox.email.user(), email.local_part());
                let domain = kept.rsplit_once('@').unwrap().1;
                prop_assert!(!domain.starts_with('[') && domain.parse::<std::net::IpAddr>().is_err());
                prop_assert!(SubjectEmail::parse(kept).is_ok_and(|again| again == email));
                let debug = format!("{email:?}");
                prop_assert!(!debug.contains(kept));
                let forms = email.verification_forms();
                prop_assert_eq!(&forms[0], &email.canonical());
                prop_assert!(forms.iter().all(|f| f.to_lowercase() == email.key()));
            }
        }

        /// A user id is accepted exactly when, trimmed, it is 1 to 256 bytes without control
        /// characters, and is kept trimmed.
        #[test]
        fn user_ids_are_bounded_and_printable(raw in prop_oneof!["\\PC{0,300}", any::<String>()]) {
            let trimmed = raw.trim();
            let expected_ok = trimmed.len() <= UserId::MAX_LEN && !trimmed.chars().any(char::is_control);
            match UserId::parse_optional(&raw) {
                Ok(None) => prop_assert!(trimmed.is_empty()),
                Ok(Some(id)) => prop_assert!(expected_ok && !trimmed.is_empty() && id.as_str() == trimmed),
                Err(_) => prop_assert!(!expected_ok),
            }
        }

        /// The subject's address, written in any case inside any text, is always replaced.
        #[test]
        fn redacts_the_address_in_any_case_anywhere(
            address in short_address(),
            before in "\\PC{0,12}",
            after in "\\PC{0,12}",
            upper in any::<bool>(),
        ) {
            let email = SubjectEmail::parse(&address).unwrap();
            let subject = Subject { email, user_id: None };
            let written = if upper { address.to_uppercase() } else { address.clone() };
            let redacted = subject.redact(&format!("{before}{written}{after}"));
            prop_assert!(!redacted.to_lowercase().contains(&address.to_lowercase()), "{redacted:?}");
            prop_assert!(redacted.contains("<redacted>"));
        }
    }
}
