//! Restoring a backup and recovering a damaged database: the copy is checked aside first, and the
//! live file is replaced only when everything passed.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use super::copy::{anchor, copy_to, discard, full_here, io_err, verify_integrity};
use super::names::{list, Reason};
use super::rotation::take_keeping;
use crate::error::{Error, Result};

/// What a backup file holds, read before restoring it (for the question to the user).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupInfo {
    pub schema_version: i64,
    pub district_name: String,
    pub town_name: String,
    pub households: i64,
    /// Active administrators after migration to this program's schema.
    pub administrators: i64,
    /// When its newest audit entry was written, if it has a log.
    pub last_change: Option<String>,
}

/// Opens a scratch copy for checking and migrating (not the live database: no WAL, no backup
/// before migration).
pub(super) fn open_scratch(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch("PRAGMA foreign_keys = ON;")?;
    crate::store::conn::register_functions(&conn)?;
    Ok(conn)
}

pub(super) fn not_ours(from: &Path) -> Error {
    Error::Invalid(format!(
        "“{}”不是本程序的数据库备份，不能用来恢复。现在的数据库没有被改动；请在备份文件夹中选择名为“huce-日期-时间-….db”的备份。",
        from.display()
    ))
}

/// Checks a scratch copy of a backup and brings it to this program's schema: it must be this
/// program's database, not newer than the program, and have an active administrator after
/// migration. Nothing outside the scratch copy changes.
pub(super) fn check_and_migrate(scratch: &Connection, from: &Path) -> Result<BackupInfo> {
    use crate::store::identity::{owner, unexpected_object, Owner};
    if owner(scratch)? != Owner::Ours {
        return Err(not_ours(from));
    }
    let version = crate::store::schema::schema_version(scratch)?;
    if version > crate::store::schema::SCHEMA_VERSION {
        return Err(Error::Invalid(format!(
            "备份“{}”是更新版本的程序写的（数据库结构第 {version} 版，本程序只到第 {} 版），不能用本程序恢复。现在的数据库没有被改动；请先安装最新版本的程序。",
            from.display(),
            crate::store::schema::SCHEMA_VERSION
        )));
    }
    crate::store::schema::migrate(scratch)?;
    // Exactly this program's tables, indexes and triggers: a crafted file could carry a trigger
    // that changes later records behind the audit log's back.
    if let Some(what) = unexpected_object(scratch)? {
        return Err(Error::Invalid(format!(
            "备份“{}”里{}，可能被改动过，不能用来恢复。现在的数据库没有被改动；请选择其他备份，并把这个文件交给管理员检查。",
            from.display(),
            what.describe()
        )));
    }
    let get = |key: &str| -> Result<String> {
        Ok(crate::store::settings::get(scratch, key)?.unwrap_or_default())
    };
    let administrators: i64 = scratch.query_row(
        "SELECT count(*) FROM accounts WHERE role = 'admin' AND active = 1",
        [],
        |r| r.get(0),
    )?;
    let info = BackupInfo {
        schema_version: version,
        district_name: get(crate::store::settings::KEY_DISTRICT)?,
        town_name: get(crate::store::settings::KEY_TOWN)?,
        households: scratch.query_row("SELECT count(*) FROM households", [], |r| r.get(0))?,
        administrators,
        last_change: scratch
            .query_row(
                "SELECT at FROM audit_log ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?,
    };
    if administrators == 0 {
        return Err(Error::Invalid(format!(
            "备份“{}”里没有可以登录的管理员账户（它可能是启用登录账户之前的备份）。恢复后将没有人能登录管理，所以没有恢复；现在的数据库没有被改动。请选择较新的备份。",
            from.display()
        )));
    }
    Ok(info)
}

/// A checked, migrated scratch copy of `from` in `dir`; removed when dropped.
pub(super) struct Scratch {
    pub(super) path: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        discard(&self.path);
    }
}

pub(super) fn scratch_copy(from: &Path, dir: &Path, now: NaiveDateTime) -> Result<Scratch> {
    verify_integrity(from)?;
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    // Its own name, also for two checks of one file at once (a double click).
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let scratch = Scratch {
        path: dir.join(format!(
            "恢复检查-{}-{}-{}.tmp",
            now.format("%Y%m%d-%H%M%S"),
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )),
    };
    discard(&scratch.path);
    let source =
        Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            Error::Open {
                path: from.to_path_buf(),
                source,
            }
        })?;
    copy_to(&source, &scratch.path).map_err(|e| full_here(e, dir))?;
    verify_integrity(&scratch.path)?;
    Ok(scratch)
}

/// Reads a backup without restoring it: what it holds, or why it cannot be restored.
pub fn inspect(from: &Path, dir: &Path, now: NaiveDateTime) -> Result<BackupInfo> {
    let scratch = scratch_copy(from, dir, now)?;
    let conn = open_scratch(&scratch.path)?;
    check_and_migrate(&conn, from)
}

/// Replaces the open database's content with a backup. Before anything changes: the backup is
/// checked and copied, the copy is checked (this program's file, not newer, of this town unless
/// `confirm_town` names the backup's town, an administrator after migration) and migrated.
/// Then the current state is backed up (恢复前; the rotation never removes `from`), the restore
/// is recorded in the copy's own log, and SQLite's backup API puts the copy in place in one
/// step. Returns the path of the 恢复前 backup.
pub fn restore(
    conn: &mut Connection,
    from: &Path,
    dir: &Path,
    confirm_town: Option<&str>,
    now: NaiveDateTime,
) -> Result<PathBuf> {
    let scratch = scratch_copy(from, dir, now)?;
    let copy = open_scratch(&scratch.path)?;
    let info = check_and_migrate(&copy, from)?;
    let current = crate::store::settings::TownSettings::load(&*conn)?;
    let current_town =
        crate::store::settings::get(&*conn, crate::store::settings::KEY_TOWN)?.unwrap_or_default();
    if !current_town.is_empty() && !info.town_name.is_empty() && current_town != info.town_name {
        let confirmed = confirm_town.map(str::trim) == Some(info.town_name.as_str());
        if !confirmed {
            return Err(Error::Invalid(format!(
                "这个备份是“{}{}”的数据，现在打开的是“{}{}”的数据库。恢复会用{}的数据替换本镇的全部数据。确实要这样做，请在确认框中输入备份的镇名“{}”；否则请选择本镇的备份。现在的数据库没有被改动。",
                info.district_name,
                info.town_name,
                current.district_name,
                current.town_name,
                info.town_name,
                info.town_name
            )));
        }
    }
    let replaced = crate::store::audit::head(&*conn)?;
    let safety = take_keeping(conn, dir, Reason::BeforeRestore, now, &[from], &mut |_| {})?;
    crate::store::audit::set_actor(&copy, &crate::store::audit::actor(&*conn)?)?;
    crate::store::audit::append(
        &copy,
        &crate::store::audit::at_text(now),
        "restore",
        "database",
        "main",
        &format!(
            "从备份 {} 恢复数据库（{}{}）；恢复前的数据已另存为 {}",
            from.display(),
            info.district_name,
            info.town_name,
            safety.display()
        ),
        serde_json::json!({
            "from": from.display().to_string(),
            "safety": safety.display().to_string(),
            "replaced_head": replaced,
            "town": info.town_name,
        }),
    )?;
    drop(copy);
    conn.restore(
        rusqlite::MAIN_DB,
        &scratch.path,
        None::<fn(rusqlite::backup::Progress)>,
    )?;
    crate::store::conn::check_integrity(conn)?;
    crate::store::conn::configure(conn)?;
    crate::store::schema::migrate(conn)?;
    anchor(conn, crate::store::audit::head(&*conn)?, now, "恢复备份后");
    Ok(safety)
}

/// A damaged database file: it is moved aside (with its -wal/-shm) as
/// `<name>.damaged-<stamp>`, and the newest backup in `dir` that passes the integrity check
/// and the restore checks (this program's, not newer, with an administrator) is copied into its
/// place. Returns (the backup used, where the damaged file was kept).
pub fn recover(db_path: &Path, dir: &Path, now: NaiveDateTime) -> Result<(PathBuf, PathBuf)> {
    let good = list(dir)?
        .into_iter()
        .map(|b| PathBuf::from(b.path))
        .find(|p| inspect(p, dir, now).is_ok())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "在“{}”中没有找到完好的备份。损坏的数据库没有被改动；请把它和备份文件夹交给管理员处理。",
                dir.display()
            ))
        })?;
    let stamp = now.format("%Y%m%d-%H%M%S");
    let name = db_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "huce.db".into());
    let kept = db_path.with_file_name(format!("{name}.damaged-{stamp}"));
    std::fs::rename(db_path, &kept).map_err(io_err(db_path))?;
    for ext in ["-wal", "-shm"] {
        let side = db_path.with_file_name(format!("{name}{ext}"));
        if side.exists() {
            let aside = db_path.with_file_name(format!("{name}.damaged-{stamp}{ext}"));
            std::fs::rename(&side, &aside).map_err(io_err(&side))?;
        }
    }
    std::fs::copy(&good, db_path).map_err(io_err(db_path))?;
    // The backup put in place is brought to this program's schema (it was checked on a copy
    // above; the backup itself stays in `dir` as it was).
    let conn = crate::store::conn::open_file(db_path)?;
    crate::store::schema::migrate(&conn)?;
    crate::store::conn::check_integrity(&conn)?;
    crate::store::audit::append(
        &conn,
        &crate::store::audit::at_text(now),
        "restore",
        "database",
        "main",
        &format!(
            "数据库损坏，已从备份 {} 恢复；损坏的文件另存为 {}",
            good.display(),
            kept.display()
        ),
        serde_json::json!({ "from": good.display().to_string(), "damaged": kept.display().to_string() }),
    )?;
    anchor(
        &conn,
        crate::store::audit::head(&conn)?,
        now,
        "损坏后从备份恢复",
    );
    Ok((good, kept))
}
