//! A throwaway MariaDB server, for the WordPress comparison test and the benchmark: Debian's
//! `mariadb-install-db` into a temporary folder, then `mariadbd --no-defaults` on a free
//! loopback port and a socket in that folder, as root with an empty password. No system
//! service and no configuration file of the machine is used; the server is killed and its
//! folder removed on drop. (The recipe is /work/shared/RECIPES.md's "WordPress with MariaDB".)

use std::{
    net::{Ipv4Addr, SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

/// How long a fresh server may take to answer (install and start on a busy 2-core machine).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running MariaDB server.
pub struct ThrowawayMariaDb {
    dir: PathBuf,
    child: Child,
    port: u16,
}

impl ThrowawayMariaDb {
    /// Installs and starts a server; fails with the server's error log if it does not answer
    /// within 90 seconds. `durable` off (`innodb_flush_log_at_trx_commit=0`) is for tests;
    /// benchmark figures say which they used.
    pub fn start(durable: bool) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("privacyd-mariadb-{}", uuid::Uuid::now_v7()));
        let started = Self::start_in(dir.clone(), durable);
        if started.is_err() {
            // Before the server exists nothing else would remove its folder.
            let _ = std::fs::remove_dir_all(&dir);
        }
        started
    }

    fn start_in(dir: PathBuf, durable: bool) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir.join("run"))?;
        // Its own temporary folder: a MariaDB starting up removes the `#sql*` files it finds
        // in its tmpdir as leftovers of a crash, and with the shared /tmp that is another
        // server's live temporary tables (two installs at once then fail with "Unknown table
        // 'mysql.tmp_user_sys'").
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        let install = Command::new(tool("mariadb-install-db"))
            .args(["--no-defaults", "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"])
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .stdout(Stdio::null())
            .output()
            .context("mariadb-install-db (apt-get install mariadb-server)")?;
        if !install.status.success() {
            bail!("mariadb-install-db failed: {}", String::from_utf8_lossy(&install.stderr));
        }
        let port = super::free_port()?;
        let child = Command::new(tool("mariadbd"))
            .arg("--no-defaults")
            .arg("--user=root")
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--socket={}", dir.join("run/mysql.sock").display()))
            .arg(format!("--pid-file={}", dir.join("run/mysql.pid").display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .arg(format!("--log-error={}", dir.join("error.log").display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--innodb-flush-log-at-trx-commit={}", if durable { 1 } else { 0 }))
            .arg("--skip-log-bin")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("mariadbd (apt-get install mariadb-server)")?;
        let mut db = ThrowawayMariaDb { dir, child, port };
        db.wait_until_answering()?;
        Ok(db)
    }

    fn wait_until_answering(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("mariadbd exited ({status}) before answering: {}", self.error_log());
            }
            let listening =
                TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)), Duration::from_secs(1))
                    .is_ok();
            if listening && self.client("mariadb-admin").arg("ping").output().is_ok_and(|o| o.status.success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("MariaDB did not answer within {START_TIMEOUT:?}: {}", self.error_log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's process id (for its peak memory).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder the server's data, socket and temporary files live in; removed on drop.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The Unix socket (PHP's mysqli takes `localhost:<socket>`).
    pub fn socket(&self) -> PathBuf {
        self.dir.join("run/mysql.sock")
    }

    /// `mysql://root@127.0.0.1:<port>/<database>` (sqlx's MySQL URL; MariaDB speaks it).
    pub fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty utf8mb4 database.
    pub fn create_database(&self, name: &str) -> anyhow::Result<()> {
        check_name(name)?;
        self.sql(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))?;
        Ok(())
    }

    /// Copies database `from` into a new database `to` (mysqldump piped into the client):
    /// two identical copies, one for WordPress's own eraser and one for privacyd's.
    pub fn copy_database(&self, from: &str, to: &str) -> anyhow::Result<()> {
        check_name(from)?;
        self.create_database(to)?;
        let socket = self.socket();
        let script = format!(
            "set -o pipefail; mysqldump --no-defaults -uroot --socket='{s}' --single-transaction '{from}' | mariadb --no-defaults -uroot --socket='{s}' '{to}'",
            s = socket.display()
        );
        let out = Command::new("bash").arg("-c").arg(script).output()?;
        if !out.status.success() {
            bail!("copying database {from} to {to}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }

    /// Runs SQL with the `mariadb` client as root; returns its tab-separated output (no
    /// column names, NULL printed as `NULL`, tabs/newlines in values escaped as \t and \n).
    pub fn sql(&self, statements: &str) -> anyhow::Result<String> {
        let out = self.client("mariadb").args(["--batch", "--skip-column-names", "-e", statements]).output()?;
        if !out.status.success() {
            bail!("mariadb: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn client(&self, name: &str) -> Command {
        let mut c = Command::new(tool(name));
        c.args(["--no-defaults", "-uroot"]).arg(format!("--socket={}", self.socket().display()));
        c.stdin(Stdio::null());
        c
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for ThrowawayMariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("plain database names only (letters, digits, _): {name:?}");
    }
    Ok(())
}

/// Debian puts mariadbd in /usr/sbin, which a non-login PATH may lack.
fn tool(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    PathBuf::from(name)
}
