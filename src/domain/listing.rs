//! What a list of requests may be filtered and sorted by, parsed from callers (the gRPC API
//! and the console's query string alike), and the period statistics are counted over.

use chrono::{Datelike, TimeZone};

use super::{Action, Error, State, SubjectEmail, Timestamp};

/// The order of a list (AIP-132 `order_by`). Each has an index the pages walk in order
/// (migrations 0001 and 0018), with the id breaking ties so that the order is total and a
/// keyset position exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Newest first: "create_time desc", and the default.
    #[default]
    CreateTimeDesc,
    /// Nearest deadline first: "due_time" or "due_time asc" (Fides's "days left" sort).
    DueTimeAsc,
    /// Furthest deadline first: "due_time desc".
    DueTimeDesc,
}

impl ListOrder {
    /// Parses AIP-132 syntax: a field name and an optional `asc`/`desc`, any amount of
    /// white space. Only the orders an index serves are accepted.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let words: Vec<String> = raw.split_whitespace().map(str::to_ascii_lowercase).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            [] | ["create_time", "desc"] => Ok(ListOrder::CreateTimeDesc),
            ["due_time"] | ["due_time", "asc"] => Ok(ListOrder::DueTimeAsc),
            ["due_time", "desc"] => Ok(ListOrder::DueTimeDesc),
            _ => Err(Error::invalid(
                "order_by",
                "must be one of \"create_time desc\" (the default), \"due_time\", \"due_time asc\" or \"due_time desc\"",
            )),
        }
    }

    /// The canonical AIP-132 spelling, as [`ListOrder::parse`] reads it back.
    pub fn as_str(self) -> &'static str {
        match self {
            ListOrder::CreateTimeDesc => "create_time desc",
            ListOrder::DueTimeAsc => "due_time",
            ListOrder::DueTimeDesc => "due_time desc",
        }
    }
}

/// A case-insensitive substring of subject email addresses: lower-cased as
/// [`SubjectEmail::key`] lower-cases the stored addresses, 1 to 254 characters (no address is
/// longer), without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSearch(String);

impl EmailSearch {
    /// `None` for an empty (or all-blank) search: no filter.
    pub fn parse_optional(field: &'static str, raw: &str) -> Result<Option<Self>, Error> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > SubjectEmail::MAX_LEN {
            return Err(Error::invalid(field, format!("is longer than {} characters", SubjectEmail::MAX_LEN)));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Error::invalid(field, "contains control characters"));
        }
        Ok(Some(EmailSearch(trimmed.to_lowercase())))
    }

    /// A SQL `LIKE` pattern matching any text that contains the search, with `\` as the
    /// escape character: `%` and `_` in the search match only themselves.
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }

    /// A SQLite `GLOB` pattern for the trigram index (migration 0020) that matches every key
    /// containing the search, and perhaps a few more (`*`, `?` and `[` in the search match any
    /// one character: a GLOB has no escape character), so the `LIKE` of [`Self::like_pattern`]
    /// is still what decides. `None` when the search holds no run of three characters without
    /// those: a trigram index can only be searched by such a run (SQLite, "The Trigram
    /// Tokenizer", fts5.html 4.3.3), and without one it would read every address.
    pub fn trigram_glob(&self) -> Option<String> {
        let literal: String = self.0.chars().map(|c| if matches!(c, '*' | '?' | '[') { '?' } else { c }).collect();
        let longest_run = literal.split('?').map(|run| run.chars().count()).max().unwrap_or(0);
        (longest_run >= 3).then(|| format!("*{literal}*"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A half-open time range `[after, before)`; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub after: Option<Timestamp>,
    pub before: Option<Timestamp>,
}

impl TimeRange {
    /// Refuses a range that ends before it starts (it could match nothing, which is almost
    /// certainly a mistake worth saying); `field` names the end.
    pub fn new(after: Option<Timestamp>, before: Option<Timestamp>, field: &'static str) -> Result<Self, Error> {
        if let (Some(a), Some(b)) = (after, before)
            && b <= a
        {
            return Err(Error::invalid(field, "must be later than the start of the range"));
        }
        Ok(TimeRange { after, before })
    }
}

/// Filters for listing and counting requests.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub action: Option<Action>,
    /// Ignored by counts, which count every state.
    pub state: Option<State>,
    /// Compared with the stored lower-cased key.
    pub subject_email_key: Option<String>,
    /// A substring of the lower-cased key.
    pub subject_email_search: Option<EmailSearch>,
    /// On `create_time`.
    pub created: TimeRange,
    /// `due_time` before this.
    pub due_before: Option<Timestamp>,
}

impl ListFilter {
    /// The parts that must stay the same across the pages of one list (see
    /// `page_token::filter_digest`), in a fixed order.
    pub fn digest_parts(&self, order: ListOrder) -> Vec<String> {
        let time = |t: Option<Timestamp>| t.map(|t| t.timestamp_micros().to_string()).unwrap_or_default();
        vec![
            self.action.map(Action::as_str).unwrap_or("").to_owned(),
            self.state.map(State::as_str).unwrap_or("").to_owned(),
            self.subject_email_key.clone().unwrap_or_default(),
            self.subject_email_search.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            time(self.created.after),
            time(self.created.before),
            time(self.due_before),
            order.as_str().to_owned(),
        ]
    }
}

/// The period statistics are counted over: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatisticsPeriod {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl StatisticsPeriod {
    /// `start` defaults to 1 January 00:00 UTC of `now`'s year, `end` to one calendar year
    /// after `start`; the end must be after the start.
    pub fn new(start: Option<Timestamp>, end: Option<Timestamp>, now: Timestamp) -> Result<Self, Error> {
        let start = start.unwrap_or_else(|| year_start(now.year()));
        let end = match end {
            Some(end) => end,
            None => start.with_year(start.year() + 1).unwrap_or_else(|| year_start(start.year() + 1)),
        };
        if end <= start {
            return Err(Error::invalid("end_time", "must be later than start_time"));
        }
        Ok(StatisticsPeriod { start, end })
    }

    /// The calendar year `year`, UTC.
    pub fn year(year: i32) -> Result<Self, Error> {
        if !(1970..=9998).contains(&year) {
            return Err(Error::invalid("year", "must be a year from 1970 to 9998"));
        }
        Ok(StatisticsPeriod { start: year_start(year), end: year_start(year + 1) })
    }
}

fn year_start(year: i32) -> Timestamp {
    chrono::Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().unwrap_or_default()
}

/// The figures of one action in a [`StatisticsPeriod`]; see `GetRequestStatistics`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ActionStatistics {
    pub action: Option<Action>,
    pub received: i64,
    pub completed: i64,
    pub denied: i64,
    pub cancelled: i64,
    pub expired: i64,
    pub open: i64,
    /// COMPLETED or DENIED: what the days are measured over.
    pub answered: i64,
    /// Fractional days; 0 when none was answered.
    pub mean_days: f64,
    pub median_days: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_accepts_what_an_index_serves() {
        assert_eq!(ListOrder::parse("").unwrap(), ListOrder::CreateTimeDesc);
        assert_eq!(ListOrder::parse(" create_time   DESC ").unwrap(), ListOrder::CreateTimeDesc);
        assert_eq!(ListOrder::parse("due_time").unwrap(), ListOrder::DueTimeAsc);
        assert_eq!(ListOrder::parse("due_time asc").unwrap(), ListOrder::DueTimeAsc);
        assert_eq!(ListOrder::parse("due_time desc").unwrap(), ListOrder::DueTimeDesc);
        for bad in ["create_time", "create_time asc", "email", "due_time desc, id", "due_time sideways"] {
            assert!(matches!(ListOrder::parse(bad), Err(Error::InvalidField { field: "order_by", .. })), "{bad}");
        }
        for order in [ListOrder::CreateTimeDesc, ListOrder::DueTimeAsc, ListOrder::DueTimeDesc] {
            assert_eq!(ListOrder::parse(order.as_str()).unwrap(), order);
        }
    }

    #[test]
    fn email_search_escapes_like_wildcards() {
        let search = EmailSearch::parse_optional("q", " A_B%c\\@Example ").unwrap().unwrap();
        assert_eq!(search.as_str(), "a_b%c\\@example");
        assert_eq!(search.like_pattern(), "%a\\_b\\%c\\\\@example%");
        assert_eq!(EmailSearch::parse_optional("q", "  ").unwrap(), None);
        assert!(EmailSearch::parse_optional("q", &"a".repeat(255)).is_err());
        assert!(EmailSearch::parse_optional("q", "a\u{7}").is_err());
    }

    #[test]
    fn periods_default_to_the_calendar_year() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 19, 0, 0).unwrap();
        let p = StatisticsPeriod::new(None, None, now).unwrap();
        assert_eq!(p, StatisticsPeriod::year(2026).unwrap());
        assert_eq!(p.start.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(p.end.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        let start = chrono::Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap();
        assert_eq!(
            StatisticsPeriod::new(Some(start), None, now).unwrap().end.to_rfc3339(),
            "2026-07-01T00:00:00+00:00"
        );
        assert!(StatisticsPeriod::new(Some(start), Some(start), now).is_err());
        assert!(TimeRange::new(Some(start), Some(start), "created_before").is_err());
    }
}

/// Property tests of the list parameters a caller gives (case counts: see
/// `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    /// SQL `LIKE` with `\` as the escape character, as both databases read it (case-sensitive,
    /// as on PostgreSQL; the search and the stored keys are both lower case): the oracle.
    fn like(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('%', rest)) => (0..=text.len()).any(|skip| like(rest, &text[skip..])),
            Some(('_', rest)) => !text.is_empty() && like(rest, &text[1..]),
            Some(('\\', rest)) => match rest.split_first() {
                Some((c, rest)) => text.first() == Some(c) && like(rest, &text[1..]),
                None => false,
            },
            Some((c, rest)) => text.first() == Some(c) && like(rest, &text[1..]),
        }
    }

    /// SQLite's `GLOB` for patterns of literal characters, `*` and `?` (what
    /// [`EmailSearch::trigram_glob`] writes): the oracle.
    fn glob(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) => (0..=text.len()).any(|skip| glob(rest, &text[skip..])),
            Some(('?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
            Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
        }
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    proptest! {
        #![proptest_config(crate::testing::proptest_cases::cases(256))]

        /// The search's LIKE pattern matches a stored key exactly when the key contains the
        /// search: `%`, `_` and `\` in the search match only themselves.
        #[test]
        fn a_search_matches_exactly_the_keys_that_contain_it(
            search in "[a-c%_\\\\]{1,4}",
            key in "[a-c%_\\\\@.]{0,10}",
        ) {
            let search = EmailSearch::parse_optional("subject_email_search", &search).unwrap().unwrap();
            prop_assert_eq!(like(&chars(&search.like_pattern()), &chars(&key)), key.contains(search.as_str()));
        }

        /// The trigram index's GLOB matches every key the search's LIKE matches (it may match
        /// more: the LIKE decides), and is offered only with a run of three plain characters.
        #[test]
        fn the_trigram_glob_matches_whatever_the_search_matches(
            search in "[a-c*?\\[%_]{1,6}",
            key in "[a-c*?\\[%_@.]{0,12}",
        ) {
            let search = EmailSearch::parse_optional("subject_email_search", &search).unwrap().unwrap();
            match search.trigram_glob() {
                Some(pattern) => {
                    if key.contains(search.as_str()) {
                        prop_assert!(glob(&chars(&pattern), &chars(&key)), "{:?} misses {:?}", pattern, key);
                    }
                    let plain = |c: char| !matches!(c, '*' | '?' | '[');
                    prop_assert!(search.as_str().chars().collect::<Vec<_>>().windows(3).any(|w| w.iter().all(|c| plain(*c))));
                }
                None => {
                    let plain = |c: &char| !matches!(c, '*' | '?' | '[');
                    prop_assert!(!search.as_str().chars().collect::<Vec<_>>().windows(3).any(|w| w.iter().all(plain)));
                }
            }
        }

        /// Any text is refused with the field named, means no filter, or is a search of 1 to
        /// 254 characters without control characters, in lower case.
        #[test]
        fn searches_are_bounded_and_lower_case(raw in prop_oneof!["\\PC{0,300}", any::<String>()]) {
            match EmailSearch::parse_optional("subject_email_search", &raw) {
                Ok(None) => prop_assert!(raw.trim().is_empty()),
                Ok(Some(search)) => {
                    prop_assert_eq!(search.as_str(), raw.trim().to_lowercase());
                    prop_assert!(raw.trim().chars().count() <= SubjectEmail::MAX_LEN);
                    prop_assert!(!search.as_str().chars().any(char::is_control));
                }
                Err(Error::InvalidField { field, .. }) => prop_assert_eq!(field, "subject_email_search"),
                Err(other) => prop_assert!(false, "{:?}", other),
            }
        }

        /// An order reads back from its own spelling, in any case and spacing, and any text
        /// is an order or refused.
        #[test]
        fn orders_round_trip(order in prop::sample::select(vec![ListOrder::CreateTimeDesc, ListOrder::DueTimeAsc, ListOrder::DueTimeDesc]), upper in any::<bool>(), space in "[ \t]{1,3}", raw in "\\PC{0,24}") {
            let spelled = order.as_str().replace(' ', &space);
            let spelled = if upper { spelled.to_uppercase() } else { spelled };
            prop_assert_eq!(ListOrder::parse(&format!("{space}{spelled}{space}")).unwrap(), order);
            if let Ok(read) = ListOrder::parse(&raw) {
                prop_assert_eq!(ListOrder::parse(read.as_str()).unwrap(), read);
            }
        }
    }
}
