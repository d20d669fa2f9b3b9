//! Range requests on an export archive (RFC 9110 §14): which bytes a `GET` or `HEAD` of the
//! download link asks for, and the headers that describe the answer.
//!
//! Download managers and browsers resume a broken download with `Range: bytes=N-`, guarded by
//! `If-Range` so they never splice two different files together. An archive never changes
//! once built, so its SHA-256 is a strong validator (the `ETag`, §8.8.3) and its creation
//! time the `Last-Modified` date (§8.8.2).
//!
//! Only single ranges are served. A request for several gets the whole archive with `200`,
//! which §14.2 allows ("a server MAY ignore the Range header field"): nobody downloads a zip
//! as `multipart/byteranges`, and serving many ranges at once only helps a client make the
//! server read more than it sends. Parsing is `http-range-header`'s (tower-http's parser),
//! strict and bounded.

use std::ops::RangeInclusive;

use http::{HeaderMap, HeaderValue, StatusCode, header};

/// One archive as the download link serves it.
#[derive(Debug, Clone)]
pub struct Representation {
    /// Bytes.
    pub size: u64,
    /// The archive's SHA-256 as lowercase hex: the entity tag.
    pub sha256: String,
    /// When the archive was built.
    pub create_time: chrono::DateTime<chrono::Utc>,
    /// The name the browser saves it under (privacyd's own, `privacy-export-<id>.zip`).
    pub file_name: String,
}

impl Representation {
    /// The strong entity tag: the quoted SHA-256 (RFC 9110 §8.8.3).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }

    /// `Last-Modified` in the IMF-fixdate form (RFC 9110 §5.6.7).
    pub fn last_modified(&self) -> String {
        self.create_time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    }
}

/// What a request selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The whole archive, `200 OK`: no `Range`, one that is ignored, or an `If-Range` that
    /// names another version.
    Whole,
    /// One range, `206 Partial Content`: first and last byte, inclusive, within the archive.
    Part(RangeInclusive<u64>),
    /// `416 Range Not Satisfiable`: every range asked for starts past the end.
    Unsatisfiable,
}

impl Selection {
    /// What `headers` (a GET's or HEAD's) select of `archive`.
    pub fn of(headers: &HeaderMap, archive: &Representation) -> Selection {
        let Some(range) = headers.get(header::RANGE) else {
            return Selection::Whole;
        };
        // §13.1.5: the range applies only if the client's copy is this archive; otherwise
        // it gets the whole new one. A weak tag or an unknown date never matches.
        if let Some(if_range) = headers.get(header::IF_RANGE) {
            let matches = if_range.to_str().is_ok_and(|v| v == archive.etag() || v == archive.last_modified());
            if !matches {
                return Selection::Whole;
            }
        }
        let Ok(range) = range.to_str() else {
            return Selection::Whole;
        };
        match http_range_header::parse_range_header(range).and_then(|ranges| ranges.validate(archive.size)) {
            Ok(ranges) => match ranges.as_slice() {
                [one] => Selection::Part(one.clone()),
                // None: an empty archive (never built, but harmless); several: see the module.
                _ => Selection::Whole,
            },
            Err(http_range_header::RangeUnsatisfiableError::Unsatisfiable) => Selection::Unsatisfiable,
            // A malformed range, another unit, too many or overlapping ranges: ignored (§14.2).
            Err(_) => Selection::Whole,
        }
    }

    /// The status a GET or HEAD answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Selection::Whole => StatusCode::OK,
            Selection::Part(_) => StatusCode::PARTIAL_CONTENT,
            Selection::Unsatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
        }
    }

    /// The first byte served and how many: what to read from the archive.
    pub fn span(&self, archive: &Representation) -> (u64, u64) {
        match self {
            Selection::Whole => (0, archive.size),
            Selection::Part(range) => (*range.start(), range.end() - range.start() + 1),
            Selection::Unsatisfiable => (0, 0),
        }
    }

    /// The headers of the answer, the same for GET and HEAD (§9.3.2).
    pub fn headers(&self, archive: &Representation) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut set = |name, value: String| {
            headers.insert(name, HeaderValue::from_str(&value).expect("ASCII without control characters"));
        };
        set(header::ACCEPT_RANGES, "bytes".to_owned());
        set(header::ETAG, archive.etag());
        set(header::LAST_MODIFIED, archive.last_modified());
        match self {
            Selection::Unsatisfiable => {
                set(header::CONTENT_RANGE, format!("bytes */{}", archive.size));
                set(header::CONTENT_LENGTH, "0".to_owned());
            }
            Selection::Whole | Selection::Part(_) => {
                let (_, length) = self.span(archive);
                set(header::CONTENT_TYPE, "application/zip".to_owned());
                set(header::CONTENT_LENGTH, length.to_string());
                set(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", archive.file_name));
                if let Selection::Part(range) = self {
                    set(header::CONTENT_RANGE, format!("bytes {}-{}/{}", range.start(), range.end(), archive.size));
                }
            }
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive() -> Representation {
        Representation {
            size: 1000,
            sha256: "ab".repeat(32),
            create_time: chrono::DateTime::parse_from_rfc3339("2026-11-30T10:20:30Z").unwrap().into(),
            file_name: "privacy-export-x.zip".into(),
        }
    }

    fn select(pairs: &[(&str, &str)]) -> Selection {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        Selection::of(&headers, &archive())
    }

    #[test]
    fn single_ranges_in_every_form_select_their_bytes() {
        assert_eq!(select(&[]), Selection::Whole);
        assert_eq!(select(&[("range", "bytes=0-99")]), Selection::Part(0..=99));
        assert_eq!(select(&[("range", "bytes=900-")]), Selection::Part(900..=999));
        assert_eq!(select(&[("range", "bytes=-10")]), Selection::Part(990..=999));
        // A last byte past the end is cut to the end; a suffix longer than the archive is all.
        assert_eq!(select(&[("range", "bytes=500-5000")]), Selection::Part(500..=999));
        assert_eq!(select(&[("range", "bytes=-5000")]), Selection::Part(0..=999));
    }

    #[test]
    fn a_range_past_the_end_is_not_satisfiable() {
        for range in ["bytes=1000-", "bytes=1000-1001", "bytes=5000-6000"] {
            assert_eq!(select(&[("range", range)]), Selection::Unsatisfiable, "{range}");
        }
        let headers = Selection::Unsatisfiable.headers(&archive());
        assert_eq!(headers[header::CONTENT_RANGE], "bytes */1000");
    }

    #[test]
    fn malformed_foreign_and_multiple_ranges_are_ignored() {
        for range in ["bytes=abc", "bytes=5-1", "items=0-5", "bytes=0-1,5-9", "bytes=0-5,3-9", "bytes="] {
            assert_eq!(select(&[("range", range)]), Selection::Whole, "{range}");
        }
    }

    #[test]
    fn if_range_honours_the_range_only_for_this_archive() {
        let etag = archive().etag();
        let date = archive().last_modified();
        assert_eq!(date, "Mon, 30 Nov 2026 10:20:30 GMT");
        assert_eq!(select(&[("range", "bytes=10-"), ("if-range", &etag)]), Selection::Part(10..=999));
        assert_eq!(select(&[("range", "bytes=10-"), ("if-range", &date)]), Selection::Part(10..=999));
        for other in ["\"0000\"", &format!("W/{etag}"), "Sun, 29 Nov 2026 10:20:30 GMT"] {
            assert_eq!(select(&[("range", "bytes=10-"), ("if-range", other)]), Selection::Whole, "{other}");
        }
    }

    #[test]
    fn a_part_is_described_by_its_content_range() {
        let part = Selection::Part(100..=199);
        let headers = part.headers(&archive());
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.span(&archive()), (100, 100));
        assert_eq!(headers[header::CONTENT_RANGE], "bytes 100-199/1000");
        assert_eq!(headers[header::CONTENT_LENGTH], "100");
        assert_eq!(headers[header::ACCEPT_RANGES], "bytes");
        assert_eq!(headers[header::ETAG], archive().etag());
    }
}

/// Property tests of Range requests (case counts: see `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    fn archive(size: u64) -> Representation {
        Representation {
            size,
            sha256: "ab".repeat(32),
            create_time: chrono::DateTime::UNIX_EPOCH,
            file_name: "privacy-export-x.zip".into(),
        }
    }

    fn select(range: &str, archive: &Representation) -> Option<Selection> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(range).ok()?);
        Some(Selection::of(&headers, archive))
    }

    /// The answer's headers agree with the bytes served.
    fn check_headers(selection: &Selection, archive: &Representation) -> Result<(), TestCaseError> {
        let (first, len) = selection.span(archive);
        let headers = selection.headers(archive);
        match selection {
            Selection::Part(range) => {
                prop_assert!(range.start() <= range.end() && *range.end() < archive.size);
                prop_assert_eq!((first, len), (*range.start(), range.end() - range.start() + 1));
                prop_assert_eq!(
                    headers[header::CONTENT_RANGE].to_str().unwrap(),
                    format!("bytes {}-{}/{}", range.start(), range.end(), archive.size)
                );
            }
            Selection::Whole => prop_assert_eq!((first, len), (0, archive.size)),
            Selection::Unsatisfiable => prop_assert_eq!(len, 0),
        }
        if let Some(length) = headers.get(header::CONTENT_LENGTH) {
            prop_assert_eq!(length.to_str().unwrap(), len.to_string());
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(crate::testing::proptest_cases::cases(256))]

        /// `bytes=A-B`, `bytes=A-` and `bytes=-N` select what RFC 9110 §14.1.2 says: from A
        /// to B (or the end), cut at the end; the last N bytes; 416 when A is past the end; the
        /// whole archive when the range is malformed (B before A).
        #[test]
        fn single_ranges_select_what_the_rfc_says(
            size in prop_oneof![1..2000u64, Just(u64::MAX)],
            a in prop_oneof![0..2500u64, any::<u64>()],
            b in prop_oneof![0..2500u64, any::<u64>()],
            form in 0..3u8,
        ) {
            let archive = archive(size);
            let last = size - 1;
            let (range, expected) = match form {
                0 if a > b => (format!("bytes={a}-{b}"), Selection::Whole),
                0 if a > last => (format!("bytes={a}-{b}"), Selection::Unsatisfiable),
                0 => (format!("bytes={a}-{b}"), Selection::Part(a..=b.min(last))),
                1 if a > last => (format!("bytes={a}-"), Selection::Unsatisfiable),
                1 => (format!("bytes={a}-"), Selection::Part(a..=last)),
                _ if b == 0 => return Ok(()),
                _ => (format!("bytes=-{b}"), Selection::Part(size.saturating_sub(b)..=last)),
            };
            let selection = select(&range, &archive).unwrap();
            prop_assert_eq!(&selection, &expected, "{}", range);
            check_headers(&selection, &archive)?;
        }

        /// Any header value at all: the whole archive, one range inside it, or 416, with
        /// headers that agree; never a panic.
        #[test]
        fn any_range_header_is_served_or_ignored(
            size in prop_oneof![0..2000u64, any::<u64>()],
            range in prop_oneof!["bytes=[0-9, -]{0,16}", "[ -~]{0,24}"],
        ) {
            let archive = archive(size);
            if let Some(selection) = select(&range, &archive) {
                check_headers(&selection, &archive)?;
            }
        }
    }
}
