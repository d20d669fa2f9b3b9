//! How many cases each property test runs. Every `proptest!` block of the crate takes its
//! config from [`cases`], so one variable sets them all: `cargo test` runs each block's own
//! small default (the suite stays quick), and `PROPTEST_CASES=1000000` (what `scripts/props.sh`
//! sets) runs a million cases of every block. proptest itself reads the variable only for
//! blocks that keep its default config, not for those that give a count.

use proptest::test_runner::Config;

/// A config of `default` cases, or of `PROPTEST_CASES` cases when that is set to a number.
pub fn cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    // Failures are reported with their minimal input in the test's output (and kept in the
    // regression tests beside the property), not written to proptest-regressions files.
    Config { cases, failure_persistence: None, ..Config::default() }
}
