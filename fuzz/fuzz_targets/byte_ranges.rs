//! `Range` and `If-Range` on a download link: any header values select the whole archive, one
//! range inside it, or nothing (416), and the answer's headers can always be written.
#![no_main]

use http::{HeaderMap, HeaderValue, header};
// The derive names `arbitrary::...`, which libfuzzer-sys re-exports.
use libfuzzer_sys::{
    arbitrary::{self, Arbitrary},
    fuzz_target,
};
use privacyd::byte_ranges::{Representation, Selection};

#[derive(Arbitrary, Debug)]
struct Input {
    size: u64,
    range: Vec<u8>,
    if_range: Option<Vec<u8>>,
}

fuzz_target!(|input: Input| {
    let archive = Representation {
        size: input.size,
        sha256: "ab".repeat(32),
        create_time: chrono::DateTime::UNIX_EPOCH,
        file_name: "privacy-export.zip".into(),
    };
    let mut headers = HeaderMap::new();
    let Ok(range) = HeaderValue::from_bytes(&input.range) else { return };
    headers.insert(header::RANGE, range);
    if let Some(if_range) = input.if_range.and_then(|v| HeaderValue::from_bytes(&v).ok()) {
        headers.insert(header::IF_RANGE, if_range);
    }
    let selection = Selection::of(&headers, &archive);
    let (first, len) = selection.span(&archive);
    match &selection {
        Selection::Part(range) => {
            assert!(range.start() <= range.end() && *range.end() < archive.size, "{range:?}");
            assert!(len >= 1 && first + len <= archive.size);
        }
        Selection::Whole => assert_eq!((first, len), (0, archive.size)),
        Selection::Unsatisfiable => assert_eq!(len, 0),
    }
    let _ = selection.headers(&archive);
    let _ = selection.status();
});
