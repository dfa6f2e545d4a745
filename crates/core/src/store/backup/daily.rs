//! What a PC does with its database file after the window shows (#21): `PRAGMA quick_check`
//! and the schema objects compared with this program's, the full `integrity_check`, then the
//! day's first backup, each on a connection of its own, so the window and the login are usable
//! meanwhile. The caller lets nothing write to the file before the quick check has passed, and
//! stops using it when a check finds damage or an object that is not this program's.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::copy::Copying;
use super::names::Reason;
use super::rotation::{daily_due, take_with_progress};
use crate::error::{Error, Result};

/// How long the day's backup waits to write its audit entry while another connection writes.
const BACKUP_WAITS: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Who the daily backup's audit entry names.
pub const DAILY_ACTOR: &str = "系统（每日自动备份）";

/// The step under way, for the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum AfterStart {
    /// `quick_check`: nothing may write to the file before it passes.
    QuickCheck,
    /// The full `integrity_check` (the quick one passed).
    FullCheck,
    /// The day's first backup: pages copied of all.
    Backup { done: u64, total: u64 },
    /// The backup is being checked.
    VerifyBackup,
}

/// The database's own pages as a reader sees them; a small page cache (the checks and copies
/// read every page once, and the app's own connection keeps the large one).
pub(crate) fn reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch("PRAGMA cache_size = -2000")?;
    Ok(conn)
}

/// `PRAGMA quick_check` or `integrity_check`: anything but "ok" is damage.
fn check(conn: &Connection, pragma: &str) -> Result<()> {
    let result: String = conn
        .query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))
        .map_err(|e| Error::Damaged(e.to_string()))?;
    if result == "ok" {
        Ok(())
    } else {
        Err(Error::Damaged(result))
    }
}

/// Checks the file at `path` (quick and its schema objects against this program's, then full)
/// and takes the day's first backup into `dir` when there is none yet; `report` is told each
/// step as it starts. Damage is [`Error::Damaged`], an object that is not this program's
/// [`Error::Tampered`]; the backup's own failures are its errors. The backup, when one was taken.
pub fn check_then_back_up(
    path: &Path,
    dir: &Path,
    now: NaiveDateTime,
    report: &mut dyn FnMut(AfterStart),
) -> Result<Option<PathBuf>> {
    report(AfterStart::QuickCheck);
    let conn = reader(path)?;
    check(&conn, "quick_check")?;
    // A trigger, view, table or index someone added (one that renames every imported household)
    // is named before anything writes to the file or backs it up; it reads only the schema.
    crate::store::identity::check_objects(&conn, path, "程序没有再使用它，也没有备份它。")?;
    report(AfterStart::FullCheck);
    check(&conn, "integrity_check")?;
    drop(conn);
    if !daily_due(dir, now.date())? {
        return Ok(None);
    }
    let conn = crate::store::conn::open_file(path)?;
    conn.execute_batch("PRAGMA cache_size = -2000")?;
    // Nobody waits for this backup: its audit entry waits for a long import to end rather than
    // failing after the 5 s a window's save waits.
    conn.busy_timeout(BACKUP_WAITS)?;
    crate::store::audit::set_actor(&conn, DAILY_ACTOR)?;
    take_with_progress(&conn, dir, Reason::Daily, now, &mut |p| {
        report(match p {
            Copying::Pages { done, total } => AfterStart::Backup { done, total },
            Copying::Verifying => AfterStart::VerifyBackup,
        })
    })
    .map(Some)
}
