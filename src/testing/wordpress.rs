//! A real WordPress site for the comparison test and the benchmark: Debian's `wordpress`
//! package (6.1) copied into a temporary folder with its own `wp-config.php`, on a database of
//! a [`ThrowawayMariaDb`], installed and filled through WordPress's own PHP (the CLI scripts in
//! `tests/support/wordpress/`), and WordPress's own exporters and erasers run the way its
//! Tools screens page them. Needs `php-cli`, `php-mysql`, `php-xml`, `php-mbstring`, `php-zip`
//! and `wordpress` (scripts/test.sh installs them when missing).

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use serde::Deserialize;

use super::mariadb::ThrowawayMariaDb;

/// Where Debian's package puts WordPress.
const DEBIAN_WORDPRESS: &str = "/usr/share/wordpress";

/// The longest one PHP script may run: the benchmark's 100,000-comment export and erasure
/// take minutes in WordPress; the test's take a second.
const PHP_TIMEOUT: Duration = Duration::from_secs(3600);

/// A WordPress site: its files (removed on drop) and the database it uses.
pub struct WordPressSite {
    root: PathBuf,
    scripts: PathBuf,
    db_host: String,
    database: String,
    owns_files: bool,
}

/// What `fixture.php` made (its JSON).
#[derive(Debug, Clone, Deserialize)]
pub struct Fixture {
    /// The subject: user id and address.
    pub subject_id: u64,
    pub subject_email: String,
    /// Another user, whose data must never appear in the subject's export or be erased.
    pub other_id: u64,
    pub other_email: String,
    /// The post the comments are on.
    pub post_id: u64,
    /// The subject's comments (approved, pending, spam, trash), not the bulk ones.
    pub comment_ids: Vec<u64>,
    /// The subject's attachments.
    pub media_ids: Vec<u64>,
    /// The uploads folder (`wp_get_upload_dir()['basedir']`).
    pub uploads: PathBuf,
}

impl WordPressSite {
    /// Copies WordPress, creates `database` on `db`, and installs the site into it with
    /// `wp_install()`. `scripts` is the folder of the PHP CLI scripts
    /// (`<checkout>/tests/support/wordpress`).
    pub fn install(db: &ThrowawayMariaDb, database: &str, scripts: &Path) -> anyhow::Result<Self> {
        let root = std::env::temp_dir().join(format!("privacyd-wordpress-{}", uuid::Uuid::now_v7()));
        let copy = Command::new("cp").arg("-r").arg(DEBIAN_WORDPRESS).arg(&root).output()?;
        if !copy.status.success() {
            bail!("copying {DEBIAN_WORDPRESS} (apt-get install wordpress): {}", String::from_utf8_lossy(&copy.stderr));
        }
        let site = WordPressSite {
            root,
            scripts: scripts.to_owned(),
            db_host: format!("localhost:{}", db.socket().display()),
            database: database.to_owned(),
            owns_files: true,
        };
        // Debian's wp-config.php reads /etc/wordpress; ours reads the environment.
        std::fs::copy(scripts.join("wp-config.php"), site.root.join("wp-config.php"))?;
        let mu_plugins = site.root.join("wp-content/mu-plugins");
        std::fs::create_dir_all(&mu_plugins)?;
        std::fs::copy(scripts.join("no-mail.php"), mu_plugins.join("no-mail.php"))?;
        db.create_database(database)?;
        site.php("install.php", &[]).context("installing WordPress")?;
        Ok(site)
    }

    /// The same files on another database (a copy made with
    /// [`ThrowawayMariaDb::copy_database`]); the files stay with `self`.
    pub fn on_database(&self, database: &str) -> WordPressSite {
        WordPressSite {
            root: self.root.clone(),
            scripts: self.scripts.clone(),
            db_host: self.db_host.clone(),
            database: database.to_owned(),
            owns_files: false,
        }
    }

    /// The database this site uses.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The site's uploads folder (attachments' files, relative paths in `_wp_attached_file`).
    pub fn uploads(&self) -> PathBuf {
        self.root.join("wp-content/uploads")
    }

    /// Fills the site (users, sessions, comments, media; see `fixture.php`) with
    /// `extra_comments` more approved comments by the subject.
    pub fn fill(&self, extra_comments: u64) -> anyhow::Result<Fixture> {
        let n = extra_comments.to_string();
        let out = self.php("fixture.php", &["--comments", &n]).context("filling WordPress")?;
        serde_json::from_str(&out).with_context(|| format!("fixture.php printed {out:?}"))
    }

    /// WordPress's own export for `email` (export.php): every exporter's pages and the
    /// export.json from the file WordPress wrote; with `summary`, only the counts.
    pub fn export(&self, email: &str, summary: bool) -> anyhow::Result<serde_json::Value> {
        let mut args = vec![email];
        if summary {
            args.push("--summary");
        }
        let out = self.php("export.php", &args).context("WordPress's export")?;
        serde_json::from_str(&out).with_context(|| format!("export.php printed {:?}", truncate(&out)))
    }

    /// WordPress's own erasure for `email` (erase.php): every eraser's pages.
    pub fn erase(&self, email: &str) -> anyhow::Result<serde_json::Value> {
        let out = self.php("erase.php", &[email]).context("WordPress's erasure")?;
        serde_json::from_str(&out).with_context(|| format!("erase.php printed {:?}", truncate(&out)))
    }

    /// Runs one of the PHP scripts against this site; returns what it printed. Fails on a
    /// non-zero exit (with its error output) or after [`PHP_TIMEOUT`].
    pub fn php(&self, script: &str, args: &[&str]) -> anyhow::Result<String> {
        self.php_measured(script, args).map(|(out, _)| out)
    }

    /// As [`WordPressSite::php`], also giving PHP's peak resident memory in bytes (its VmHWM,
    /// read every time the process is polled; VmHWM only grows, so the last reading before it
    /// exits is its peak up to within one 10 ms poll).
    pub fn php_measured(&self, script: &str, args: &[&str]) -> anyhow::Result<(String, u64)> {
        let id = uuid::Uuid::now_v7();
        let stdout_path = std::env::temp_dir().join(format!("privacyd-php-{id}.out"));
        let stderr_path = std::env::temp_dir().join(format!("privacyd-php-{id}.err"));
        let result = (|| {
            // Output to files, not pipes: an export prints megabytes, and a full pipe would
            // stall PHP while this waits for it to end.
            let mut child = Command::new("php")
                .args(["-d", "memory_limit=-1", "-d", "max_execution_time=0"])
                .arg(self.scripts.join(script))
                .args(args)
                .env("WP_ROOT", &self.root)
                .env("WP_TEST_DB_HOST", &self.db_host)
                .env("WP_TEST_DB_NAME", &self.database)
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(&stdout_path)?)
                .stderr(std::fs::File::create(&stderr_path)?)
                .spawn()
                .context("php (apt-get install php-cli php-mysql php-xml php-mbstring php-zip)")?;
            let deadline = Instant::now() + PHP_TIMEOUT;
            let mut peak = 0;
            let status = loop {
                if let Ok(now) = super::peak_rss(child.id()) {
                    peak = peak.max(now);
                }
                if let Some(status) = child.try_wait()? {
                    break status;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!("php {script} did not finish within {PHP_TIMEOUT:?}");
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            let out = std::fs::read_to_string(&stdout_path)?;
            if !status.success() {
                bail!(
                    "php {script} failed ({status}): {}{}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default(),
                    truncate(&out)
                );
            }
            Ok((out, peak))
        })();
        let _ = std::fs::remove_file(&stdout_path);
        let _ = std::fs::remove_file(&stderr_path);
        result
    }
}

impl Drop for WordPressSite {
    fn drop(&mut self) {
        if self.owns_files {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(2000) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
