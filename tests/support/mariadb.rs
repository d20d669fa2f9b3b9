//! A throwaway MariaDB server for tests: `mariadb-install-db` into a temporary folder, then
//! `mariadbd --no-defaults` on a free loopback port and a socket in that folder, as root with
//! an empty password. No system service, no config file of the machine is read. The server
//! is killed and its folder removed when the value drops.
//!
//! Needs Debian's `mariadb-server` (scripts/test.sh installs it when missing).
//!
//! ```ignore
//! #[path = "../support/mariadb.rs"]
//! mod mariadb;
//! let db = mariadb::MariaDb::start();
//! let url = db.create_database("shop"); // mysql://root@127.0.0.1:<port>/shop
//! ```

#![allow(dead_code)]

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long a fresh server may take to answer (install + start on a busy 2-core machine).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running MariaDB server owned by the test.
pub struct MariaDb {
    // Kept for its Drop: removes the data folder after the server is killed.
    dir: tempfile::TempDir,
    child: Child,
    port: u16,
}

impl MariaDb {
    /// Installs and starts a server; panics (the test fails) if it does not answer within
    /// 90 seconds, with the server's error log in the message.
    pub fn start() -> MariaDb {
        let dir = tempfile::tempdir().expect("temporary folder for MariaDB");
        let data = dir.path().join("data");
        std::fs::create_dir_all(dir.path().join("run")).expect("run folder");
        let install = Command::new(tool("mariadb-install-db"))
            .args(["--no-defaults", "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"])
            .arg(format!("--datadir={}", data.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("mariadb-install-db must be installed (apt-get install mariadb-server)");
        assert!(install.status.success(), "mariadb-install-db failed: {}", String::from_utf8_lossy(&install.stderr));

        let port = free_port();
        let child = Command::new(tool("mariadbd"))
            .arg("--no-defaults")
            .arg("--user=root")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.path().join("run/mysql.sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("run/mysql.pid").display()))
            .arg(format!("--log-error={}", dir.path().join("error.log").display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            // Tests only: durability is not what they check, and fsync dominates on a busy disk.
            .arg("--innodb-flush-log-at-trx-commit=0")
            .arg("--skip-log-bin")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd must be installed (apt-get install mariadb-server)");
        let mut db = MariaDb { dir, child, port };
        db.wait_until_answering();
        db
    }

    fn wait_until_answering(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mariadbd exited ({status}) before answering: {}", self.error_log());
            }
            if TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)), Duration::from_secs(1))
                .is_ok()
            {
                let ping = Command::new(tool("mariadb-admin"))
                    .args(["--no-defaults", "-uroot"])
                    .arg(format!("--socket={}", self.socket().display()))
                    .arg("ping")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                if ping.map(|s| s.success()).unwrap_or(false) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "MariaDB did not answer within {START_TIMEOUT:?}: {}", self.error_log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's Unix socket (PHP's mysqli can use `localhost:<socket>`).
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("run/mysql.sock")
    }

    /// The server's folder (data, socket, error log); files a test writes here go with it.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `mysql://root@127.0.0.1:<port>/<database>` (sqlx's MySQL URL; MariaDB speaks it).
    pub fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database (utf8mb4) and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "plain database names only: {name}");
        self.sql(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"));
        self.url(name)
    }

    /// Runs SQL statements with the `mariadb` client as root; panics with the client's error.
    pub fn sql(&self, statements: &str) -> String {
        let out = Command::new(tool("mariadb"))
            .args(["--no-defaults", "-uroot", "--batch", "--skip-column-names"])
            .arg(format!("--socket={}", self.socket().display()))
            .arg("-e")
            .arg(statements)
            .output()
            .expect("the mariadb client");
        assert!(out.status.success(), "mariadb: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port").local_addr().expect("its address").port()
}
