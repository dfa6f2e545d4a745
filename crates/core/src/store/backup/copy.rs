//! Verified copies of the open database: written under the `.part` name, checked, recorded, then
//! renamed.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use rusqlite::{Connection, OpenFlags};

use super::names::part_path;
use crate::error::{is_disk_full, Error, Result};

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes a half-written copy, best effort (a pulled-out stick cannot be written to; the
/// `.part` name then stays as the mark of an incomplete backup).
pub(super) fn discard(part: &Path) {
    let _ = std::fs::remove_file(part);
    for ext in ["-wal", "-shm", "-journal"] {
        let mut side = part.as_os_str().to_os_string();
        side.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
}

/// A full database target turns into a [`Error::DiskFull`] naming the place.
pub(super) fn full_here(e: Error, place: &Path) -> Error {
    match e {
        Error::DiskFull { .. } => Error::DiskFull {
            place: place.display().to_string(),
        },
        Error::Sqlite(ref s) if s.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) => {
            Error::DiskFull {
                place: place.display().to_string(),
            }
        }
        Error::Io { ref source, .. } if is_disk_full(source) => Error::DiskFull {
            place: place.display().to_string(),
        },
        e => e,
    }
}

/// Writes a checked copy of the database to `dest`: first under the `.part` name, renamed only
/// once complete, checked and recorded. The audit entry (`record`) is committed before the
/// rename, so a backup that looks whole has always been recorded: a program killed between the
/// two leaves a recorded `.part`, never a whole file nobody recorded. (Renaming inside the
/// entry's transaction left a window, between the rename and the commit, that the crash test
/// found.) A rename that fails leaves the entry, and the error says the backup was not made.
/// With `objects`, the copy's schema objects must be exactly this program's ([`verify`]);
/// without, only its integrity is checked (the 恢复前 copy of a file about to be replaced,
/// kept as it was for the administrator).
pub(super) fn write_checked(
    conn: &Connection,
    dest: &Path,
    objects: bool,
    progress: &mut dyn FnMut(Copying),
    record: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let part = part_path(dest);
    let written = copy_with_progress(conn, &part, progress).and_then(|()| {
        progress(Copying::Verifying);
        let of = conn.path().filter(|p| !p.is_empty()).map(Path::new);
        let copy = verify_integrity(&part)?;
        if objects {
            check_copy_objects(&copy, &part, of)?;
        }
        Ok(())
    });
    if let Err(e) = written {
        discard(&part);
        return Err(full_here(e, dest.parent().unwrap_or(dest)));
    }
    let named = crate::store::conn::atomically(conn, |_| record())
        .and_then(|()| std::fs::rename(&part, dest).map_err(io_err(dest)));
    if named.is_err() {
        discard(&part);
    }
    named
}

/// The local time as the anchors file writes it.
pub(super) fn anchor_time(now: NaiveDateTime) -> String {
    now.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Records `head` (what a backup holds, or the log after a restore) beside the database (when
/// the connection is a file).
pub(super) fn anchor(
    conn: &Connection,
    head: Option<(i64, String)>,
    now: NaiveDateTime,
    source: &str,
) {
    if let Some(db) = conn.path().filter(|p| !p.is_empty()) {
        // A second copy of what the log already holds: a failure here loses nothing.
        let _ = crate::store::anchors::record_head(
            conn,
            Path::new(db),
            head,
            &anchor_time(now),
            source,
        );
    }
}

/// Copies the open database to `dest` and verifies the copy with `PRAGMA integrity_check`.
pub fn backup_to(conn: &Connection, dest: &Path) -> Result<()> {
    write_checked(conn, dest, true, &mut |_| {}, || Ok(()))
}

/// How far a backup has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copying {
    /// Pages copied of the database's pages.
    Pages { done: u64, total: u64 },
    /// The copy is being checked (`integrity_check`).
    Verifying,
}

/// Copies the open database to `dest`, unverified: call [`verify`] before relying on it.
pub fn copy_to(conn: &Connection, dest: &Path) -> Result<()> {
    copy_with_progress(conn, dest, &mut |_| {})
}

fn copy_with_progress(
    conn: &Connection,
    dest: &Path,
    progress: &mut dyn FnMut(Copying),
) -> Result<()> {
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let mut target = Connection::open(dest).map_err(|source| Error::Open {
        path: dest.to_path_buf(),
        source,
    })?;
    // One read transaction over all the steps: every step copies the same snapshot, and the
    // other connections' writes (which WAL lets go on meanwhile) do not restart the copy.
    let own_read = conn.is_autocommit();
    if own_read {
        conn.execute_batch("BEGIN DEFERRED; SELECT count(*) FROM sqlite_schema;")?;
    }
    let copied = (|| -> Result<()> {
        use rusqlite::backup::StepResult;
        let b = rusqlite::backup::Backup::new(conn, &mut target)?;
        // 4 MB a step (at the usual 4 kB pages): a step holds the source's read lock only
        // that long, and the bar moves often enough.
        loop {
            let step = b.step(1024)?;
            let p = b.progress();
            progress(Copying::Pages {
                done: (p.pagecount - p.remaining).max(0) as u64,
                total: p.pagecount.max(0) as u64,
            });
            match step {
                StepResult::Done => break,
                StepResult::More => {}
                _ => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        Ok(())
    })();
    if own_read {
        let _ = conn.execute_batch("COMMIT");
    }
    copied?;
    // The copy carries the source's WAL flag; a backup is one self-contained file.
    let _: String = target.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    drop(target);
    Ok(())
}

/// Opens a backup read-only and checks it: `PRAGMA integrity_check`, and for a copy at this
/// program's schema version that its schema objects are exactly this program's (a copy of a
/// file someone added a trigger to is no good backup).
pub fn verify(path: &Path) -> Result<()> {
    let copy = verify_integrity(path)?;
    check_copy_objects(&copy, path, None)
}

/// The copy at `path` (of the database `of`) has exactly this program's schema objects; a copy
/// of an older schema version (the 升级前 backup) is not compared.
fn check_copy_objects(copy: &Connection, path: &Path, of: Option<&Path>) -> Result<()> {
    if crate::store::schema::schema_version(copy)? != crate::store::schema::SCHEMA_VERSION {
        return Ok(());
    }
    let Some(what) = crate::store::identity::unexpected_object(copy)? else {
        return Ok(());
    };
    let file = match of {
        Some(db) => format!("数据库“{}”", db.display()),
        None => format!("刚复制的备份“{}”", path.display()),
    };
    Err(Error::Tampered(format!(
        "{file}里{}，数据库文件可能被别的程序或别人改动过。这次备份没有做成（不留下可能被改动过的备份），原数据库没有被改动。请把数据库文件交给管理员检查；查明之前不要再导入或修改数据。",
        what.describe()
    )))
}

/// Opens a backup read-only and runs `PRAGMA integrity_check` on it; the connection, for more
/// checks.
pub(super) fn verify_integrity(path: &Path) -> Result<Connection> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            Error::Open {
                path: path.to_path_buf(),
                source,
            }
        })?;
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| {
            Error::Invalid(format!(
                "“{}”不是完好的数据库文件（{e}）。请选择其他备份。",
                path.display()
            ))
        })?;
    if result == "ok" {
        Ok(conn)
    } else {
        Err(Error::Invalid(format!(
            "备份文件“{}”校验不通过（{result}）。原数据库没有被改动；请检查磁盘空间后重试，或选择其他备份。",
            path.display()
        )))
    }
}
