//! `privacy-bench latency`: sequential unary calls from a Go client, p50/p99.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use anyhow::Context;
use privacyd::{config::Config, shutdown, startup::Application};

use super::LatencyArgs;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the Go program against `addr` and returns its JSON lines.
fn go_client(
    program: &std::path::Path,
    addr: &str,
    calls: usize,
    token: Option<&str>,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut command = Command::new(program);
    command.args(["-addr", addr, "-calls", &calls.to_string()]).env_remove("PRIVACYD_ADMIN_TOKEN");
    if let Some(token) = token {
        // Through the environment: a token on a command line shows in `ps`.
        command.env("PRIVACYD_ADMIN_TOKEN", token);
    }
    let output = command.stderr(Stdio::inherit()).output()?;
    anyhow::ensure!(output.status.success(), "the Go client failed against {addr}");
    String::from_utf8(output.stdout)?.lines().map(|line| Ok(serde_json::from_str(line)?)).collect()
}

pub async fn run(args: LatencyArgs) -> anyhow::Result<()> {
    let dir = super::tempfile_dir()?;
    let program = dir.join("latency");
    let built = Command::new(&args.go)
        .current_dir(&args.go_module)
        .args(["build", "-o"])
        .arg(&program)
        .arg("./cmd/latency")
        .env("CGO_ENABLED", "0")
        .status()
        .with_context(|| format!("running {} (the Go toolchain)", args.go))?;
    anyhow::ensure!(built.success(), "building clients/go/cmd/latency failed");

    // Generated: privacyd refuses weak admin tokens (a UUID is mostly timestamp).
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse()?;
    config.data_dir = dir.join("privacyd");
    config.admin_tokens = vec![token.clone()];
    config.log = "warn".into();
    let (trigger, shutdown) = shutdown::channel();
    let app = Application::build(config, shutdown).await?;
    let privacyd = app.local_addr().to_string();
    let server = tokio::spawn(app.run());

    let port = privacyd::testing::free_port()?;
    let mut source = Killed(
        Command::new(std::env::current_exe()?.with_file_name("example-datasource"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--database"])
            .arg(dir.join("example.db"))
            .stdout(Stdio::piped())
            .spawn()
            .context("starting example-datasource (build it with cargo build --bins)")?,
    );
    // It prints where it listens once it does.
    let mut line = String::new();
    BufReader::new(source.0.stdout.take().expect("piped")).read_line(&mut line)?;
    anyhow::ensure!(line.contains("listening"), "example-datasource did not start: {line:?}");

    let calls = args.calls;
    let program2 = program.clone();
    let (to_privacyd, to_source) = tokio::task::spawn_blocking(move || {
        let to_privacyd = go_client(&program2, &privacyd, calls, Some(&token));
        let to_source = go_client(&program2, &format!("127.0.0.1:{port}"), calls, None);
        (to_privacyd, to_source)
    })
    .await?;
    drop(source);
    trigger.trigger();
    server.await??;
    let _ = std::fs::remove_dir_all(&dir);

    let mut slow = Vec::new();
    for (server, lines) in [("privacyd", to_privacyd?), ("example-datasource", to_source?)] {
        for result in lines {
            let p50 = result["p50_ms"].as_f64().unwrap_or(f64::NAN);
            let mut line = serde_json::json!({ "bench": "latency", "client": "go", "server": server });
            if let (Some(line), Some(result)) = (line.as_object_mut(), result.as_object()) {
                line.extend(result.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            println!("{line}");
            // A p50 that is NaN (no calls) is slow too.
            if args.max_p50_ms > 0.0 && p50.partial_cmp(&args.max_p50_ms).is_none_or(|o| o.is_gt()) {
                slow.push(format!("{server} {}: p50 {p50} ms", result["call"]));
            }
        }
    }
    anyhow::ensure!(slow.is_empty(), "over --max-p50-ms {}: {}", args.max_p50_ms, slow.join(", "));
    Ok(())
}
