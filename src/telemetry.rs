//! Logging. privacyd logs ids, states and errors, never a subject's email address or a token:
//! those types redact themselves in `Debug`, and no log statement formats them.

use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::{config::LogFormat, traces};

/// Installs the logger (filtered by `--log`) and, given an exporter, the layer that sends
/// privacyd's spans to it (with its own filter: `--log warn` quiets the log, not the traces).
pub fn init(format: LogFormat, filter: &str, traces: Option<&traces::Exporter>) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter).map_err(|e| anyhow::anyhow!("--log: {e}"))?;
    // Colour only for a person at a terminal; a log file or collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let log = fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let log = match format {
        LogFormat::Text => log.boxed(),
        LogFormat::Json => log.json().flatten_event(true).boxed(),
    };
    tracing_subscriber::registry()
        .with(log.with_filter(filter))
        .with(traces.map(|exporter| exporter.layer()))
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the logger: {e}"))
}

/// Replaces the panic hook with one that logs where a panic happened and never what it says.
/// A panic's message is built from whatever the panicking code was handling, and privacyd's
/// jobs handle text from data sources (which may quote a subject's address): Rust's own
/// messages quote it (`byte index 5 is not a char boundary; it is inside 'İ' of `...``). The
/// location is enough to find the bug; the executor turns the panic into a failed attempt
/// (see `executor`). Call it once, early, in each binary.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
        let location = location.as_deref().unwrap_or("an unknown location");
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed");
        const WHAT: &str =
            "a bug: privacyd panicked (its message is not logged, since it may quote data from a data source)";
        if tracing::dispatcher::has_been_set() {
            tracing::error!(target: "panic", location, thread, "{WHAT}");
        } else {
            // A command line tool without a logger: the person running it reads stderr.
            eprintln!("{WHAT}, at {location} (thread {thread})");
        }
    }));
}

#[cfg(test)]
mod tests {
    /// Set in the child process that [`a_panic_logs_its_location_and_not_its_message`] starts.
    const CHILD: &str = "PRIVACYD_TEST_PANIC_HOOK_CHILD";

    #[test]
    fn panic_hook_child() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).init();
        super::install_panic_hook();
        let text = String::from("İİjane.doe@example.com\u{212A}account locked");
        // The kind of panic issue 9 reported: a slice that is not on a char boundary.
        let _ = &text[..3];
    }

    /// Issue 9, item 7: the panic message held the subject's address. The hook is process-wide,
    /// so the panic happens in a child process (this test binary, running only
    /// [`panic_hook_child`]).
    #[test]
    fn a_panic_logs_its_location_and_not_its_message() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "telemetry::tests::panic_hook_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "the child must panic: {stderr}");
        assert!(stderr.contains("src/telemetry.rs:"), "the location is logged: {stderr}");
        assert!(stderr.contains("privacyd panicked"), "{stderr}");
        assert!(!stderr.contains("jane.doe"), "the message is not: {stderr}");
        assert!(!stderr.contains("char boundary"), "{stderr}");
    }
}
