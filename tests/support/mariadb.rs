//! The SQL connector tests' throwaway MariaDB: a face that panics on failure over
//! [`privacyd::testing::mariadb::ThrowawayMariaDb`], the one implementation the WordPress
//! comparison and `privacy-bench wordpress` use too (`mariadb-install-db` into a temporary
//! folder, `mariadbd --no-defaults` on a free loopback port with its own socket and tmpdir; no
//! system service; killed and removed on drop).
//!
//! Needs Debian's `mariadb-server` (scripts/test.sh installs it when missing).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use privacyd::testing::mariadb::ThrowawayMariaDb;

/// A running MariaDB server owned by the test.
pub struct MariaDb(ThrowawayMariaDb);

impl MariaDb {
    /// Installs and starts a server; panics with its error log if it does not answer.
    pub fn start() -> MariaDb {
        MariaDb(ThrowawayMariaDb::start(false).expect("a throwaway MariaDB starts (apt-get install mariadb-server)"))
    }

    pub fn port(&self) -> u16 {
        self.0.port()
    }

    pub fn socket(&self) -> PathBuf {
        self.0.socket()
    }

    /// The server's folder, removed when the value drops.
    pub fn dir(&self) -> &Path {
        self.0.dir()
    }

    /// `mysql://root@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        self.0.url(database)
    }

    /// Creates an empty database (utf8mb4) and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.0.create_database(name).expect("the database is created");
        self.url(name)
    }

    /// Runs SQL statements with the `mariadb` client as root; panics with the client's error.
    pub fn sql(&self, statements: &str) -> String {
        self.0.sql(statements).expect("the statements run")
    }
}
