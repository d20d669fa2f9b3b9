//! Confirmation and download tokens as presented in links, stored token hashes, the
//! `authorization` header's bearer token, and admin token scopes.
#![no_main]

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use libfuzzer_sys::fuzz_target;
use privacyd::{
    admin_tokens::bearer_token,
    domain::{Scopes, SecretToken, TokenHash, check_strength},
};

fuzz_target!(|raw: &str| {
    if let Some(token) = SecretToken::from_presented(raw) {
        let bytes = URL_SAFE_NO_PAD.decode(token.expose()).expect("accepted tokens decode");
        assert_eq!(bytes.len(), 32);
        assert_eq!(URL_SAFE_NO_PAD.encode(bytes), raw, "one spelling per token");
        assert!(token.hash().matches(&token));
    }
    if let Some(hash) = TokenHash::from_hex(raw) {
        assert_eq!(hash.to_hex(), raw.to_ascii_lowercase());
    }
    if let Some(token) = bearer_token(raw) {
        assert!(!token.is_empty() && token.trim() == token);
        assert!(raw.contains(token));
    }
    let _ = check_strength(raw);
    if let Ok(scopes) = Scopes::parse(raw) {
        let _ = scopes.iter().count();
    }
});
