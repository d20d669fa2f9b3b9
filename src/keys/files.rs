//! Reading and creating key files.

use std::{io::Write, path::Path};

use anyhow::Context;

/// Creates `path` with `contents`, readable and writable by its owner only (0600, whatever the
/// umask), failing if it exists: two replicas starting together must not overwrite each
/// other's fresh key.
pub fn create_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating the key file {}", path.display()))?;
    file.write_all(contents.as_bytes()).with_context(|| format!("writing the key file {}", path.display()))?;
    file.sync_all().with_context(|| format!("writing the key file {}", path.display()))?;
    Ok(())
}

/// The file's text, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading the key file {}", path.display())),
    }
}

/// Warns when a key file can be read by other local users: the key is only as safe as it.
pub fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(file = %path.display(), mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "a key file is readable by other local users; chmod 600 it");
        }
    }
}
