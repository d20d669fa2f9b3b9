//! A throwaway PostgreSQL server, for the test suite and the benchmark: Debian's PostgreSQL
//! binaries, a fresh cluster in a temporary folder, a free port on loopback; and a process's
//! peak memory; a throwaway S3-compatible server (s3s-fs). Nothing here is used by the server
//! itself. [`mariadb`] and [`wordpress`] bring up a real WordPress on a throwaway MariaDB.

pub mod mariadb;
#[cfg(test)]
pub(crate) mod proptest_cases;
pub mod stored_requests;
pub mod wordpress;

use std::{net::TcpListener, path::PathBuf, process::Command};

use anyhow::{Context, bail};

/// A running PostgreSQL cluster, stopped and removed on drop.
pub struct ThrowawayPostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
    stopped: bool,
    /// `pg_ctl -o`: the port, socket folder and settings, so a restart comes back the same.
    options: String,
}

impl ThrowawayPostgres {
    /// Starts a cluster. `fsync` off makes it fast and is only for tests; benchmarks that claim
    /// production figures pass `true`.
    pub fn start(fsync: bool) -> anyhow::Result<Self> {
        let bin = find_bin_dir()?;
        let dir = std::env::temp_dir().join(format!("privacyd-pg-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        // initdb refuses to run as root; Debian's package made a `postgres` user for this.
        let as_postgres_user = is_root();
        if as_postgres_user {
            run(Command::new("chown").arg("postgres").arg(&dir))?;
        }
        let port = free_port()?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=200",
            dir.display(),
            if fsync { "on" } else { "off" },
        );
        let pg = ThrowawayPostgres { bin, dir, port, as_postgres_user, stopped: false, options };
        let data = pg.dir.join("data");
        run(pg.command("initdb").arg("-D").arg(&data).args(["-A", "trust", "-U", "postgres", "--no-sync"]))
            .context("initdb")?;
        pg.start_server()?;
        Ok(pg)
    }

    fn start_server(&self) -> anyhow::Result<()> {
        // -w: pg_ctl itself polls until the server accepts connections.
        run(self.command("pg_ctl").arg("-D").arg(self.dir.join("data")).arg("-l").arg(self.dir.join("log")).args([
            "-w",
            "-o",
            &self.options,
            "start",
        ]))
        .with_context(|| format!("pg_ctl start (log: {})", self.dir.join("log").display()))
    }

    /// Stops the server and starts it again on the same port and data, as an operator's
    /// restart or a crash does: `immediate` stops it like a crash (no checkpoint; every
    /// connection cut at once, recovery from the WAL at start), otherwise `fast` (connections
    /// cut, a clean checkpoint). Returns once it accepts connections again (pg_ctl -w polls);
    /// clients see their connections fail in between. For the chaos driver (issue 14).
    pub fn restart(&self, immediate: bool) -> anyhow::Result<()> {
        let mode = if immediate { "immediate" } else { "fast" };
        run(self.command("pg_ctl").arg("-D").arg(self.dir.join("data")).args(["-w", "-m", mode, "stop"]))
            .with_context(|| format!("pg_ctl stop -m {mode}"))?;
        self.start_server()
    }

    /// The superuser URL of the `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Keeps the server running after this value is gone, until the current process exits;
    /// for test binaries, whose statics are never dropped.
    pub fn stop_when_process_exits(mut self) -> String {
        let url = self.url();
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {prefix}{bin}/pg_ctl -D {dir}/data -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            prefix = if self.as_postgres_user { "runuser -u postgres -- " } else { "" },
            bin = self.bin.display(),
            dir = self.dir.display(),
        );
        let _ = Command::new("sh").arg("-c").arg(stop).spawn();
        self.stopped = true;
        url
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        let data = self.dir.join("data");
        let _ = self.command("pg_ctl").arg("-D").arg(&data).args(["-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("PRIVACYD_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (no /usr/lib/postgresql); apt-get install postgresql")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().context("no PostgreSQL version with initdb under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// Peak resident memory of a process (Linux's VmHWM in `/proc/<pid>/status`), in bytes: what
/// the memory tests and the benchmark measure.
pub fn peak_rss(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).context("no VmHWM line")?;
    let kib: u64 = line.split_whitespace().nth(1).context("an empty VmHWM line")?.parse()?;
    Ok(kib * 1024)
}

/// A port nobody is listening on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command.output().with_context(|| format!("running {:?}", command.get_program()))?;
    if !output.status.success() {
        bail!(
            "{:?} failed: {}{}",
            command.get_program(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// A running s3s-fs (an S3 REST API over a folder that checks SigV4 signatures, and so refuses
/// forged and expired presigned URLs), on a free loopback port, with one bucket; killed and
/// its folder removed on drop. The binary comes from `PRIVACYD_S3S_FS_BIN`, which
/// `scripts/test.sh` sets after installing it (or from where test.sh caches it); missing, this
/// fails, saying so.
pub struct ThrowawayS3 {
    child: std::process::Child,
    dir: PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    pub bucket: String,
}

impl ThrowawayS3 {
    pub const ACCESS_KEY: &'static str = "privacyd-test";
    pub const SECRET_KEY: &'static str = "privacyd-test-secret-key";

    pub fn start() -> anyhow::Result<Self> {
        let cached = std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".cache/privacyd/s3s-fs/bin/s3s-fs"))
            .filter(|path| path.exists());
        let bin = std::env::var_os("PRIVACYD_S3S_FS_BIN")
            .map(PathBuf::from)
            .or(cached)
            .context("s3s-fs is not installed: run scripts/test.sh, which installs it and sets PRIVACYD_S3S_FS_BIN")?;
        let dir = std::env::temp_dir().join(format!("privacyd-s3-{}", uuid::Uuid::now_v7()));
        let bucket = "privacyd-test".to_owned();
        // s3s-fs keeps a bucket as a folder of its root.
        std::fs::create_dir_all(dir.join(&bucket))?;
        let port = free_port()?;
        let child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", Self::ACCESS_KEY, "--secret-key", Self::SECRET_KEY])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut s3 = ThrowawayS3 { child, dir, endpoint: format!("http://127.0.0.1:{port}"), bucket };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = s3.child.try_wait()? {
                bail!("s3s-fs exited at start: {status}");
            }
            if std::time::Instant::now() > deadline {
                bail!("s3s-fs did not answer on port {port} within 10 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Ok(s3)
    }

    /// The server's root folder (its buckets, and its multipart uploads in progress).
    pub fn root(&self) -> &std::path::Path {
        &self.dir
    }

    /// `--archive-store` for the bucket, under `prefix`.
    pub fn location(&self, prefix: &str) -> crate::objects::StoreLocation {
        crate::objects::StoreLocation::S3 { bucket: self.bucket.clone(), prefix: prefix.to_owned() }
    }

    /// `--archive-store-option`s that reach this server with its keys.
    pub fn options(&self) -> Vec<String> {
        vec![
            format!("endpoint={}", self.endpoint),
            "allow_http=true".into(),
            "region=us-east-1".into(),
            format!("access_key_id={}", Self::ACCESS_KEY),
            format!("secret_access_key={}", Self::SECRET_KEY),
        ]
    }

    /// Every object file in the bucket's folder, relative to it (s3s-fs keeps its own
    /// bookkeeping beside them in dot-files, which are left out).
    pub fn objects(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                if path.is_dir() {
                    walk(&path, root, found);
                } else {
                    found.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let root = self.dir.join(&self.bucket);
        let mut found = Vec::new();
        walk(&root, &root, &mut found);
        found.sort();
        found
    }
}

impl Drop for ThrowawayS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::ThrowawayPostgres;

    /// A restart (either way) comes back on the same port with what was committed, and cuts
    /// the connections open before it.
    #[tokio::test]
    async fn a_restart_keeps_the_port_and_the_data_and_cuts_connections() {
        let pg = ThrowawayPostgres::start(false).unwrap();
        let mut before = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
        sqlx::query("CREATE TABLE kept (n INT)").execute(&mut before).await.unwrap();
        sqlx::query("INSERT INTO kept VALUES (1)").execute(&mut before).await.unwrap();
        for immediate in [true, false] {
            pg.restart(immediate).unwrap();
            assert!(sqlx::query("SELECT 1").execute(&mut before).await.is_err(), "the old connection survived");
            let mut after = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
            let (n,): (i32,) = sqlx::query_as("SELECT n FROM kept").fetch_one(&mut after).await.unwrap();
            assert_eq!(n, 1);
            before = after;
        }
    }
}
