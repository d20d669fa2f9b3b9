//! Folders and files only privacyd's own user can read: 0700 and 0600, whatever the umask.
//! The database, the outbox's `.eml` files (which hold live confirmation and download links),
//! export spools and archives are personal data; on a shared host every other local user could
//! read them under the usual umask of 022 (issue 10, item 11).
//!
//! Two layers, since privacyd is also a library that tests and the benchmark run in-process,
//! where the binary's umask does not apply: the `privacyd` binary sets its umask to 077 at start
//! ([`restrict_umask`]), and every place privacyd creates a folder or file does so through this
//! module with an explicit mode. An existing folder or file that allows more is tightened at
//! start, and the caller logs that it was.

use std::{fs, io, path::Path};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// rwx for the owner only.
pub const DIR_MODE: u32 = 0o700;
/// rw for the owner only.
pub const FILE_MODE: u32 = 0o600;

/// Sets the process umask to 077, so that whatever privacyd or a library it uses (SQLite's
/// temporary files, say) creates is private. For the binary; a library must not change its
/// host's umask.
pub fn restrict_umask() {
    #[cfg(unix)]
    // SAFETY: umask only swaps a process-wide integer; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` and any missing parents with mode 0700. If `dir` already existed with a
/// wider mode it is tightened to 0700: returns `true` then, for the caller to log.
pub fn create_dir(dir: &Path) -> io::Result<bool> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(DIR_MODE);
    builder.create(dir)?;
    tighten(dir, DIR_MODE)
}

/// Creates (or truncates) a file for writing, mode 0600.
pub fn create_file(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    let file = options.open(path)?;
    // The mode applies only when the file is created; one that existed keeps its own.
    tighten(path, FILE_MODE)?;
    Ok(file)
}

/// Creates `path` as an empty file, mode 0600, unless it exists (left as it is).
pub fn create_new_file(path: &Path) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

/// Writes `contents` to a new file at `path`, mode 0600, flushed to disk; fails if the file
/// exists, so two replicas starting together never overwrite each other's fresh key or token.
pub fn write_new_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Writes `contents` to `path` whole, mode 0600: written to a temporary name beside it and
/// renamed, so a reader (an operator, a script reading the outbox) never sees half a file.
pub fn write_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = std::path::PathBuf::from(temporary);
    let mut file = create_file(&temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}

/// Sets `path` to `mode` if it grants anything to group or others. Returns whether it did.
pub fn tighten(path: &Path, mode: u32) -> io::Result<bool> {
    #[cfg(unix)]
    {
        let current = fs::metadata(path)?.permissions().mode() & 0o777;
        if current & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
            return Ok(true);
        }
    }
    let _ = (path, mode);
    Ok(false)
}

/// [`tighten`] for a file that may not exist (SQLite's `-wal` and `-shm`).
pub fn tighten_if_present(path: &Path, mode: u32) -> io::Result<bool> {
    match tighten(path, mode) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        other => other,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_private_and_wide_ones_are_tightened() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("a/b");
        assert!(!create_dir(&nested).unwrap());
        assert_eq!((mode(&root.path().join("a")), mode(&nested)), (0o700, 0o700));
        fs::set_permissions(&nested, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(create_dir(&nested).unwrap(), "an existing wide folder is tightened");
        assert_eq!(mode(&nested), 0o700);

        let file = nested.join("f");
        fs::write(&file, b"old").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        drop(create_file(&file).unwrap());
        assert_eq!(mode(&file), 0o600);
        write_file(&nested.join("g.eml"), b"hello").unwrap();
        assert_eq!(mode(&nested.join("g.eml")), 0o600);
        assert_eq!(fs::read(nested.join("g.eml")).unwrap(), b"hello");
        assert!(!tighten_if_present(&nested.join("missing"), FILE_MODE).unwrap());
    }
}
