//! The subject's email address, user id and the console's email search: what the public
//! request form and `CreatePrivacyRequest` accept from anyone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privacyd::domain::{EmailSearch, SubjectEmail, UserId};

fuzz_target!(|raw: &str| {
    if let Ok(email) = SubjectEmail::parse(raw) {
        let kept = email.as_str();
        assert_eq!(kept, raw.trim(), "an accepted address is kept as given, trimmed");
        assert!(kept.len() <= SubjectEmail::MAX_LEN);
        let mailbox = email.mailbox().expect("an accepted address is one the mailer can send to");
        assert!(mailbox.name.is_none());
        assert_eq!(SubjectEmail::parse(kept).map(|e| e.as_str().to_owned()).ok().as_deref(), Some(kept));
        assert!(email.verification_forms().first() == Some(&email.canonical()));
        assert!(!format!("{email:?}").contains(kept));
    }
    if let Ok(Some(user_id)) = UserId::parse_optional(raw) {
        let kept = user_id.as_str();
        assert!(!kept.is_empty() && kept.len() <= UserId::MAX_LEN && !kept.chars().any(char::is_control));
    }
    if let Ok(Some(search)) = EmailSearch::parse_optional("search", raw) {
        let pattern = search.like_pattern();
        assert!(pattern.starts_with('%') && pattern.ends_with('%'));
    }
});
