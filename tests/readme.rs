//! README.md's grpcurl walkthrough, run exactly as written against the real binary with a
//! real grpcurl, so the documentation cannot drift from what privacyd does.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

/// The shell blocks between the walkthrough markers, in order.
fn walkthrough_blocks() -> Vec<String> {
    blocks_between("walkthrough")
}

/// The shell blocks between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, in order.
fn blocks_between(name: &str) -> Vec<String> {
    let readme = include_str!("../README.md");
    let (begin, end) = (format!("<!-- {name}:begin -->"), format!("<!-- {name}:end -->"));
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    let mut inside = false;
    for line in readme.lines() {
        match line.trim() {
            marker if marker == begin => inside = true,
            marker if marker == end => inside = false,
            _ => {}
        }
        if !inside {
            continue;
        }
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn grpcurl_path() -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{path}:{home}/go/bin")
}

/// Reads a program's start-up line, `<name> listening on <address>...`, and returns the address.
fn listening_address(out: &mut impl BufRead, name: &str) -> String {
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let prefix = format!("{name} listening on ");
    let rest = line.strip_prefix(&prefix).unwrap_or_else(|| panic!("{name} said {line:?}"));
    rest.split_whitespace().next().unwrap().to_owned()
}

#[test]
fn the_readme_walkthrough_works_as_written() {
    let path = grpcurl_path();
    assert!(
        Command::new("grpcurl").arg("-version").env("PATH", &path).output().is_ok_and(|o| o.status.success()),
        "grpcurl is needed: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4"
    );
    let dir = tempfile::tempdir().unwrap();
    // As README says: privacyd with no flags, in the folder the commands run in; only on a free
    // port, so that the suite runs beside a walkthrough's privacyd on the default one.
    let mut server = Command::new(env!("CARGO_BIN_EXE_privacyd"))
        .current_dir(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let privacyd = listening_address(&mut stdout, "privacyd");
    // Keep reading, as a terminal would.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));

    // The example data source, as README starts it (demo data for Jane), on a free port too.
    let source_dir = tempfile::tempdir().unwrap();
    let mut source = Command::new(env!("CARGO_BIN_EXE_example-datasource"))
        .current_dir(source_dir.path())
        .args(["--seed", "jane@example.com", "--listen", "127.0.0.1:0"])
        .arg("--database")
        .arg(source_dir.path().join("example.db"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut source_out = BufReader::new(source.stdout.take().unwrap());
    let example = listening_address(&mut source_out, "example-datasource");
    std::thread::spawn(move || std::io::copy(&mut source_out, &mut std::io::sink()));

    let blocks = walkthrough_blocks();
    assert!(blocks.len() >= 6, "found {} blocks", blocks.len());
    let mut script = String::from("set -euo pipefail\n");
    for block in &blocks {
        // The test is faster than a person: before reading the request's email, poll until the
        // mailer has written it.
        for link in ["/confirm?", "/download?"] {
            if block.contains(link) && block.contains("data/outbox") {
                script.push_str(&format!(
                    "for _ in $(seq 100); do grep -qa '{link}' data/outbox/\"$ID\"-*.eml 2>/dev/null && break; \
                     sleep 0.1; done\n"
                ));
            }
        }
        script.push_str(block);
    }
    let script =
        script.replace("127.0.0.1:50051", &privacyd).replace("http://127.0.0.1:7001", &format!("http://{example}"));
    // Twice in the same folder: every command must work again, on the requests it made itself
    // (the second run's confirmation must not pick up the first run's link). `mktemp -d` makes
    // the scratch folders in `scratch`, to check that nothing is written anywhere else.
    let scratch = tempfile::tempdir().unwrap();
    let run = || {
        Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("TMPDIR", scratch.path())
            .output()
            .unwrap()
    };
    let first = run();
    let second = run();
    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    let stopped = server.wait().unwrap();
    let _ = source.kill();
    let _ = source.wait();

    for (n, output) in [(1, &first), (2, &second)] {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "run {n} of the walkthrough failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        // The archive fetched with grpcurl is the one on record, in each run.
        let hashes: Vec<&str> = stdout
            .lines()
            .filter(|l| l.len() >= 64 && l[..64].bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|l| &l[..64])
            .collect();
        assert!(
            hashes.len() == 2 && hashes[0] == hashes[1],
            "run {n}: sha256sum and the recorded SHA-256 differ: {hashes:?}"
        );
    }
    assert!(stopped.success());
    // Nothing but privacyd's own folder is left where the commands ran.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["data"], "the walkthrough left files in its folder");
    // What the first run, on fresh data, shows.
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stopped.success());
    for expected in [
        "privacy.v1.PrivacyRequestService",
        "grpc.health.v1.Health",
        "\"status\": \"SERVING\"",
        "\"state\": \"STATE_PENDING\"",
        "\"state\": \"STATE_CONFIRMED\"",
        "\"state\": \"STATE_PROCESSING\"",
        "\"state\": \"STATE_COMPLETED\"",
        "AUDIT_EVENT_TYPE_EMAIL_SENT",
        "AUDIT_EVENT_TYPE_SOURCE_SUCCEEDED",
        "AUDIT_EVENT_TYPE_ARCHIVE_CREATED",
        "AUDIT_EVENT_TYPE_COMPLETED",
        "index.html",
        "export.json",
        "files/example/uploads/1-avatar.png",
        "/confirm?id=",
        "\"groupId\": \"account\"",
        "\"legalBasis\": \"LEGAL_BASIS_CONTRACT\"",
        "\"health\": \"HEALTH_STATUS_SERVING\"",
        "\"outcome\": \"ERASURE_OUTCOME_ALL_ERASED\"",
        "\"state\": \"VERIFICATION_STATE_PASSED\"",
        "\"auditChainIntact\": true",
        // The erasure's watch starts after it finished, and still shows its history (compact).
        "{\"type\":\"AUDIT_EVENT_TYPE_COMPLETED\"",
        "\"outcome\": \"ALL_ERASED\"",
        "\"email_hmac_sha256\":",
        "\"deadlineExtensionDays\": 30",
        "\"state\": \"STATE_CANCELLED\"",
        "\"state\": \"STATE_DENIED\"",
        "refused: the request is already complete",
        "\"enabled\": true",
        // An error's details decode through reflection: the reason is text, not base64.
        "\"reason\": \"DUPLICATE_REQUEST\"",
        "\"existing_id\":",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in\n{stdout}");
    }
    assert!(!stdout.contains("is not recognized"), "grpcurl could not decode an error's details:\n{stdout}");
    // The data source plugin protocol is for plugins; privacyd does not claim to serve it.
    assert!(!stdout.contains("privacy.datasource.v1.DataSourceService"), "{stdout}");
}

/// README's TLS form of the first commands, as written: a CA and a certificate made with
/// openssl, privacyd started with the flags the text names, then grpcurl with `-cacert` and
/// curl over HTTP/1.1.
#[test]
fn the_readme_tls_walkthrough_works_as_written() {
    let path = grpcurl_path();
    let blocks = blocks_between("tls-walkthrough");
    assert_eq!(blocks.len(), 2, "the certificate block and the commands block");
    let readme = include_str!("../README.md");
    let flags = "--tls-cert tls/server.pem --tls-key tls/server.key";
    assert!(readme.contains(&format!("start privacyd with `{flags}`")), "README names the flags the test uses");
    let dir = tempfile::tempdir().unwrap();
    let bash = |script: &str| {
        Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail\n{script}"))
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    let made = bash(&blocks[0]);
    assert!(made.status.success(), "making the certificates failed: {}", String::from_utf8_lossy(&made.stderr));

    let mut server = Command::new(env!("CARGO_BIN_EXE_privacyd"))
        .current_dir(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .args(flags.split(' '))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let privacyd = listening_address(&mut stdout, "privacyd");
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));

    let ran = bash(&blocks[1].replace("127.0.0.1:50051", &privacyd));
    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    let stopped = server.wait().unwrap();
    let out = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "the TLS commands failed\n--- stdout\n{out}\n--- stderr\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    for expected in ["privacy.v1.PrivacyRequestService", "\"status\": \"SERVING\"", "{\"keys\""] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(stopped.success());
}
