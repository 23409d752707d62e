//! Files at rest that only the server's own user may read: the data directory (0700), the
//! SQLite database (0600, and so its `-wal` and `-shm` files, which SQLite creates with the
//! database file's permissions), `master.key` and `demo.json` (0600).
//!
//! The modes and the writing are `nextauth-private-files`' (shared with the SDK): each file
//! gets its mode in the call that creates it, and a file written whole appears complete or not
//! at all. Here the server adds a warning: directories and files that already exist are not
//! changed (the data directory may be one an operator made on purpose), but are reported when
//! they are open to other users.

use std::path::Path;

pub use nextauth_private_files::{DIR_MODE, FILE_MODE};

/// Creates `dir` (and missing parents) with mode 0700. An existing directory is left as it
/// is, with a warning when group or others may enter it.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let existed = dir.is_dir();
    nextauth_private_files::create_dir(dir)?;
    if existed {
        warn_if_shared(dir);
    }
    Ok(())
}

/// Creates the empty file `path` with mode 0600 unless it exists (then it is left as it is,
/// with a warning when others may read it). For files another library fills in, such as the
/// SQLite database before sqlx opens it.
pub fn precreate_file(path: &Path) -> std::io::Result<()> {
    let existed = path.exists();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    nextauth_private_files::precreate_file(path)?;
    if existed {
        warn_if_shared(path);
    }
    Ok(())
}

/// Creates `path` with mode 0600 holding `bytes`; fails if it exists.
pub fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    nextauth_private_files::create_private(path, bytes)
}

/// Replaces `path` with `bytes` in one step; the file is 0600 even if an older version of it
/// was not.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    nextauth_private_files::replace_private(path, bytes)
}

/// Logs a warning when group or others have any permission on `path`.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{mode:o}"),
                    "other local users may read this; it should be private to the server's user"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("nextauth-private-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn new_directories_and_files_are_private_from_their_creation() {
        let root = scratch("new");
        let dir = root.join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&root.join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("x.db");
        precreate_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
        create_new(&dir.join("key"), b"k").unwrap();
        assert_eq!(mode(&dir.join("key")), 0o600);
        assert!(create_new(&dir.join("key"), b"again").is_err());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn existing_files_keep_their_content_and_replace_makes_them_private() {
        let root = scratch("existing");
        create_dir(&root).unwrap();
        let file = root.join("demo.json");
        std::fs::write(&file, b"old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        precreate_file(&file).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"old", "not truncated");
        replace(&file, b"new").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        assert_eq!(mode(&file), 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        let _ = std::fs::remove_dir_all(root);
    }
}
