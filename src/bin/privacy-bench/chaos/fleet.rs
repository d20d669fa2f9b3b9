//! The chaos driver's processes: privacyd replicas (the real binary), the SMTP sink
//! (tests/support/smtp_sink.py) and the Go, Python and Java reference sources, each of which
//! can be stopped with SIGKILL and started again on the same port and files.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::time::Instant;
use tonic::transport::Channel;

/// How long a process may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A child process killed (SIGKILL) on drop.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    /// SIGKILL, and wait for it to be gone.
    pub fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and waits for its `listening on HOST:PORT` line on stdout (the reference
/// sources print one); returns the process and HOST:PORT. Its stderr goes to `log`.
pub fn start_listening(name: &str, mut command: Command, log: &Path) -> anyhow::Result<(Process, String)> {
    let stderr = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {name}: {command:?}"))?;
    let stdout = child.stdout.take().expect("piped");
    let process = Process(child);
    let (tx, rx) = mpsc::channel();
    // Read stdout for as long as the process lives, so it never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + START_TIMEOUT;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let addr = rest.split_whitespace().next().context("an address after `listening on`")?;
                    return Ok((process, addr.to_owned()));
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("{name} exited before listening; see {}", log.display()),
        }
        if std::time::Instant::now() > deadline {
            bail!("{name} printed no `listening on` line within {START_TIMEOUT:?}; see {}", log.display());
        }
    }
}

/// Where the reference sources' builds are (what scripts/polyglot.sh builds).
pub struct ReferenceBuilds {
    pub go_source: PathBuf,
    pub python_source: PathBuf,
    pub java_jar: PathBuf,
}

/// A reference source's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Go,
    Python,
    Java,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Go => "go",
            Lang::Python => "python",
            Lang::Java => "java",
        }
    }
}

/// A running reference source: its name, endpoint and SQLite file (whose `erasures` table
/// holds one row per erasure applied, keyed by privacy request id).
pub struct ReferenceSource {
    pub name: String,
    pub endpoint: String,
    pub db: PathBuf,
    _process: Process,
}

impl ReferenceSource {
    /// Starts one, seeded with every subject of the run (each gets the seed's profile, two
    /// orders and three comments; an erasure keeps the orders).
    pub fn start(
        builds: &ReferenceBuilds,
        lang: Lang,
        index: usize,
        dir: &Path,
        subjects: &[String],
    ) -> anyhow::Result<Self> {
        let name = format!("{}-shop-{index}", lang.name());
        let mut command = match lang {
            Lang::Go => Command::new(&builds.go_source),
            Lang::Python => Command::new(&builds.python_source),
            Lang::Java => {
                let mut c = Command::new("java");
                // Small heaps: three JVMs share a 2-core machine with everything else.
                c.args(["-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar"]).arg(&builds.java_jar);
                c
            }
        };
        let db = dir.join(format!("{name}.db"));
        command.args(["--listen", "127.0.0.1:0", "--name", &name]).arg("--db").arg(&db);
        for subject in subjects {
            command.args(["--seed", subject]);
        }
        command.env_remove("REFERENCE_SOURCE_TOKEN").env("PYTHONDONTWRITEBYTECODE", "1");
        let (process, addr) = start_listening(&name, command, &dir.join(format!("{name}.log")))?;
        Ok(ReferenceSource { name, endpoint: format!("http://{addr}"), db, _process: process })
    }

    /// The request ids of the erasures it applied, one row each (the table's primary key).
    pub async fn erasures(&self) -> anyhow::Result<Vec<String>> {
        use sqlx::Connection;
        let url = format!("sqlite://{}?mode=ro", self.db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.with_context(|| format!("opening {url}"))?;
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT privacy_request_id FROM erasures").fetch_all(&mut conn).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

/// The real SMTP server of the test suite, on a fixed port so it can be stopped and started
/// again; its messages (one `.eml` file each) stay in `dir` across restarts.
pub struct Smtp {
    pub port: u16,
    pub dir: PathBuf,
    process: Option<Process>,
}

impl Smtp {
    pub fn start(dir: PathBuf) -> anyhow::Result<Self> {
        let mut smtp = Smtp { port: privacyd::testing::free_port()?, dir, process: None };
        smtp.up()?;
        Ok(smtp)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn is_up(&self) -> bool {
        self.process.is_some()
    }

    /// Starts it (again); returns once it accepts connections (it prints `ready`).
    pub fn up(&mut self) -> anyhow::Result<()> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            // The sink exits when its stdin closes, i.e. when this process goes.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting tests/support/smtp_sink.py with python3")?;
        let mut ready = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut ready)?;
        let process = Process(child);
        anyhow::ensure!(ready.trim() == "ready", "the SMTP sink did not start (pip install aiosmtpd)");
        self.process = Some(process);
        Ok(())
    }

    /// SIGKILL: connections in flight are cut, new ones refused.
    pub fn down(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
    }

    /// Every message received so far: (envelope recipients, Subject header).
    pub fn messages(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_none_or(|x| x != "eml") {
                continue;
            }
            let raw = std::fs::read_to_string(&path)?;
            let to = raw.lines().next().unwrap_or("").trim_start_matches("X-Envelope-To: ").to_owned();
            // Headers end at the first empty line; a long one is folded onto lines that start
            // with white space (RFC 5322, 2.2.3).
            let head = raw.split("\r\n\r\n").next().unwrap_or("").replace("\r\n ", " ").replace("\r\n\t", " ");
            let subject = head.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or("").to_owned();
            found.push((to, subject));
        }
        Ok(found)
    }
}

/// One privacyd replica: the real binary with its own data folder, started again on the same
/// port after a kill.
pub struct Replica {
    pub name: String,
    pub addr: String,
    command: Vec<std::ffi::OsString>,
    env: Vec<(String, String)>,
    log: PathBuf,
    process: Option<Process>,
}

impl Replica {
    pub fn new(
        name: String,
        bin: &Path,
        args: Vec<std::ffi::OsString>,
        env: Vec<(String, String)>,
        log: PathBuf,
    ) -> Self {
        let addr = args
            .iter()
            .position(|a| a == "--listen")
            .and_then(|i| args.get(i + 1))
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut command = vec![bin.as_os_str().to_owned()];
        command.extend(args);
        Replica { name, addr, command, env, log, process: None }
    }

    pub fn is_up(&self) -> bool {
        self.process.is_some()
    }

    /// Starts it and waits until it answers gRPC (the health check) or exits.
    pub async fn up(&mut self) -> anyhow::Result<()> {
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        let mut command = Command::new(&self.command[0]);
        command.args(&self.command[1..]);
        // Nothing from the caller's environment may change the replica's settings.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PRIVACYD_") {
                command.env_remove(key);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v))).env("NO_COLOR", "1");
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", self.command[0].to_string_lossy()))?;
        let mut process = Process(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = process.0.try_wait()? {
                bail!("{} exited at start ({status}); see {}", self.name, self.log.display());
            }
            if let Ok(channel) = Channel::from_shared(format!("http://{}", self.addr))?.connect().await {
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                let check = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await;
                if check.is_ok_and(|r| r.into_inner().status == 1) {
                    break;
                }
            }
            if Instant::now() > deadline {
                bail!("{} did not answer within {START_TIMEOUT:?}; see {}", self.name, self.log.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.process = Some(process);
        Ok(())
    }

    /// kill -9.
    pub fn kill(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
    }
}

/// The confirmation link's (id, token) in the first confirmation email to `to`, if one
/// arrived.
pub fn confirmation_in(dir: &Path, to: &str) -> anyhow::Result<Option<(String, String)>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|x| x != "eml") {
            continue;
        }
        let raw = std::fs::read_to_string(&path)?;
        if !raw.lines().next().unwrap_or("").eq_ignore_ascii_case(&format!("X-Envelope-To: {to}")) {
            continue;
        }
        let Some(link) = raw.split_whitespace().find(|w| w.starts_with("http") && w.contains("/confirm?")) else {
            continue;
        };
        let query = link.split_once('?').map(|(_, q)| q).unwrap_or("");
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        if let (Some(id), Some(token)) = (get("id"), get("token")) {
            return Ok(Some((id, token)));
        }
    }
    Ok(None)
}
