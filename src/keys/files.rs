//! Reading and creating key files.

use std::path::Path;

use anyhow::Context;

use crate::private_files;

/// Creates the key file `path` with `contents`, 0600, failing if it exists (see
/// [`private_files::write_new_file`]).
pub fn create_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    private_files::write_new_file(path, contents.as_bytes())
        .with_context(|| format!("creating the key file {}", path.display()))
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
