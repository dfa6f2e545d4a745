//! Backups (备份) with SQLite's online backup API: a consistent copy even while the app has the
//! database open, checked after writing. Taken before every risky step (an import commit).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// Copies the open database to `dest` and verifies the copy with `PRAGMA integrity_check`.
pub fn backup_to(conn: &Connection, dest: &Path) -> Result<()> {
    copy_to(conn, dest)?;
    verify(dest)
}

/// Copies the open database to `dest`, unverified: call [`verify`] before relying on it.
pub fn copy_to(conn: &Connection, dest: &Path) -> Result<()> {
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let mut target = Connection::open(dest).map_err(|source| Error::Open {
        path: dest.to_path_buf(),
        source,
    })?;
    {
        let b = rusqlite::backup::Backup::new(conn, &mut target)?;
        b.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
    }
    drop(target);
    Ok(())
}

/// Opens a backup read-only and runs `PRAGMA integrity_check` on it.
pub fn verify(path: &Path) -> Result<()> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            Error::Open {
                path: path.to_path_buf(),
                source,
            }
        })?;
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if result == "ok" {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "备份文件“{}”写入后校验不通过（{result}）。原数据库没有被改动；请检查磁盘空间后重试。",
            path.display()
        )))
    }
}

/// The path of a new backup in `dir`, named by time and reason, e.g.
/// `huce-20261129-101500-导入前.db`; never overwrites an existing file.
pub fn new_backup_path(dir: &Path, stamp: &str, reason: &str) -> PathBuf {
    let base = format!("huce-{stamp}-{reason}");
    let mut path = dir.join(format!("{base}.db"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{base}-{n}.db"));
        n += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_is_a_verified_identical_copy() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("a.db")).unwrap();
        crate::households::add_village(&conn, "石鱼村", 1).unwrap();
        let dest = new_backup_path(&dir.path().join("备份"), "20261129-101500", "导入前");
        backup_to(&conn, &dest).unwrap();
        let copy = Connection::open(&dest).unwrap();
        let name: String = copy
            .query_row("SELECT name FROM villages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "石鱼村");
        let second = new_backup_path(&dir.path().join("备份"), "20261129-101500", "导入前");
        assert_ne!(
            second, dest,
            "a second backup in the same second gets its own name"
        );
    }
}
