//! AIP-158 page tokens, as any caller of a List method can send them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privacyd::page_token::{decode, encode, filter_digest};

fuzz_target!(|raw: &str| {
    let digest = filter_digest(&["EXPORT", "", "created"]);
    if let Ok(Some(position)) = decode::<(i64, String)>(raw, &digest) {
        // What the server reads it makes again, and reads the same way.
        let again = encode(&position, &digest);
        assert_eq!(decode::<(i64, String)>(&again, &digest).unwrap(), Some(position));
        assert!(decode::<(i64, String)>(raw, &filter_digest(&["ERASE", "", "created"])).is_err());
    }
    let _ = decode::<i64>(raw, &digest);
    let _ = decode::<String>(raw, &filter_digest(&[]));
});
