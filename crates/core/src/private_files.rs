//! Files only their owner may read: the data directory (`0700`, its files `0600`) and the
//! files the user keeps (key exports, the recovery key). The stores are encrypted, but their
//! sizes and dates, and the index of accounts, are nobody else's business on a shared machine.
//!
//! On other systems than Unix the folders' own access rules apply and these set nothing.

use std::{
    io::{self, Write},
    path::Path,
};

/// Creates `path` and its missing parents as folders only their owner can open, and makes an
/// existing `path` so.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)?;
    restrict(path, &std::fs::symlink_metadata(path)?)
}

/// Makes every folder under `root` (itself included) `0700` and every file `0600`; symbolic
/// links are left alone, never followed. For files that others create there (the SDK's
/// SQLite stores), whose journals then take the same mode.
pub fn restrict_tree(root: &Path) -> io::Result<()> {
    let metadata = std::fs::symlink_metadata(root)?;
    restrict(root, &metadata)?;
    if metadata.is_dir() {
        for entry in std::fs::read_dir(root)? {
            restrict_tree(&entry?.path())?;
        }
    }
    Ok(())
}

fn restrict(path: &Path, metadata: &std::fs::Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if metadata.is_dir() {
            0o700
        } else if metadata.is_file() {
            0o600
        } else {
            return Ok(());
        };
        if metadata.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, metadata);
    Ok(())
}

/// Creates the file at `path`, which must not exist (a symbolic link there counts as existing
/// and is not followed), readable by its owner only, and writes `contents` into it.
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = open_new(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// `contents` replace the file at `path` at once: they are written to a new private file
/// beside it, then renamed onto it, so a crash never leaves it half written.
pub fn replace(path: &Path, contents: &[u8]) -> io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = folder.join(format!(
        ".{name}.{}.tmp",
        hex::encode(rand::random::<[u8; 6]>())
    ));
    if let Err(error) = write_new(&temporary, contents) {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

fn open_new(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    // `create_new` is O_CREAT | O_EXCL: it fails on anything already there, a link included.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn folders_are_made_private_even_when_they_already_exist() {
        let root = tempfile::tempdir().expect("a folder");
        let nested = root.path().join("a/b");
        create_dir_all(&nested).expect("created");
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        create_dir_all(&nested).expect("again");
        assert_eq!(mode(&nested), 0o700);
    }

    #[test]
    fn a_tree_is_restricted_without_following_links() {
        let root = tempfile::tempdir().expect("a folder");
        let outside = tempfile::NamedTempFile::new().expect("a file elsewhere");
        std::fs::set_permissions(outside.path(), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let store = root.path().join("store");
        std::fs::create_dir(&store).expect("store");
        std::fs::write(store.join("db.sqlite3"), b"x").expect("db");
        std::fs::set_permissions(
            store.join("db.sqlite3"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        symlink(outside.path(), store.join("link")).expect("link");
        restrict_tree(root.path()).expect("restricted");
        assert_eq!(mode(&store), 0o700);
        assert_eq!(mode(&store.join("db.sqlite3")), 0o600);
        assert_eq!(
            mode(outside.path()),
            0o644,
            "the link's target is not ours to change"
        );
    }

    #[test]
    fn a_new_file_is_private_and_never_written_through_a_link_or_over_a_file() {
        let root = tempfile::tempdir().expect("a folder");
        let path = root.path().join("keys.txt");
        write_new(&path, b"sealed").expect("written");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).expect("read"), b"sealed");
        assert!(
            write_new(&path, b"other").is_err(),
            "an existing file is kept"
        );
        assert_eq!(std::fs::read(&path).expect("read"), b"sealed");

        let victim = root.path().join("victim");
        std::fs::write(&victim, b"mine").expect("victim");
        let trap = root.path().join("trap.txt");
        symlink(&victim, &trap).expect("link");
        assert!(
            write_new(&trap, b"sealed").is_err(),
            "a link is not followed"
        );
        assert_eq!(std::fs::read(&victim).expect("read"), b"mine");
    }

    #[test]
    fn a_replaced_file_is_private_and_whole() {
        let root = tempfile::tempdir().expect("a folder");
        let path = root.path().join("accounts.json");
        std::fs::write(&path, b"old").expect("old");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        replace(&path, b"new").expect("replaced");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        assert_eq!(mode(&path), 0o600);
        let names: Vec<_> = std::fs::read_dir(root.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["accounts.json"], "no temporary file is left");
    }
}
