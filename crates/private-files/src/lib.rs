//! Files at rest private to the user running the program (the SDK's and the server's data
//! directories, databases and key files): a directory is created 0700, a file 0600, a database
//! 0600 before SQLite opens it (SQLite gives its `-wal` and `-shm` files the database file's
//! mode). Each gets its mode in the call that creates it, so no other local user can open it in between (no `chmod` after the
//! fact; `umask` is process-wide and needs `unsafe`). Existing directories and files are left
//! as they are.
//!
//! Files written whole (key files, the SDK's database id, the server's demo.json) go to a temporary file first, are
//! flushed to disk, then moved into place in one step and the directory flushed, so a crash
//! or a full disk leaves either no file or the complete one, never half of it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Mode of the data directory.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the database and key files.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and missing parents with mode 0700 (existing ones are not changed).
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)
}

/// Creates the empty file `path` with mode 0600 unless it exists, and its directory as
/// [`create_dir`] does.
pub fn precreate_file(path: &Path) -> std::io::Result<()> {
    match open_new(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

/// Creates `path` with `bytes` (0600), failing if it exists.
pub fn create_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temporary(path, bytes)?;
    // A hard link fails if `path` exists: an existing file is never replaced.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked?;
    sync_dir(path)
}

/// Replaces `path` with `bytes` (0600) in one step.
pub fn replace_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temporary(path, bytes)?;
    if let Err(err) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err);
    }
    sync_dir(path)
}

fn write_temporary(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = open_new(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(err) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err);
    }
    Ok(tmp)
}

/// Flushes the directory entry (where the platform allows opening a directory).
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn open_new(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options.open(path)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_never_replaces_and_replace_is_whole() {
        let dir = std::env::temp_dir().join(format!("nextauth-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("key");
        create_private(&path, b"first").unwrap();
        assert!(create_private(&path, b"second").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        replace_private(&path, b"third").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
