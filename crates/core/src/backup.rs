//! Backups (备份) with SQLite's online backup API: a consistent copy even while the app has the
//! database open, checked after writing. Taken before every risky step (an import commit).

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::error::{Error, Result};

/// Why a backup was taken; the word is part of its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The first start of a day.
    Daily,
    BeforeImport,
    BeforeMigration,
    BeforeRestore,
    /// 立即备份 by a person; never rotated away.
    Manual,
}

impl Reason {
    pub const ALL: &'static [Reason] = &[
        Reason::Daily,
        Reason::BeforeImport,
        Reason::BeforeMigration,
        Reason::BeforeRestore,
        Reason::Manual,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Reason::Daily => "每日",
            Reason::BeforeImport => "导入前",
            Reason::BeforeMigration => "升级前",
            Reason::BeforeRestore => "恢复前",
            Reason::Manual => "手动",
        }
    }
}

/// Daily backups kept: the newest of each of the last 7 days with one …
pub const KEEP_DAILY: usize = 7;
/// … and the newest of each of 4 earlier weeks.
pub const KEEP_WEEKLY: usize = 4;
/// Backups taken before an import, a migration or a restore: the newest 10 of each.
pub const KEEP_EVENTS: usize = 10;

/// A backup file in the backup folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupFile {
    pub path: String,
    pub name: String,
    /// `YYYY-MM-DD HH:MM:SS`
    pub taken_at: String,
    pub reason: Reason,
    pub reason_label: &'static str,
    pub bytes: u64,
}

fn parse_name(name: &str) -> Option<(NaiveDateTime, Reason)> {
    let rest = name.strip_prefix("huce-")?.strip_suffix(".db")?;
    let stamp = rest.get(..15)?;
    let at = NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").ok()?;
    let label = rest.get(16..)?;
    let reason = Reason::ALL
        .iter()
        .copied()
        .find(|r| label == r.label() || label.starts_with(&format!("{}-", r.label())))?;
    Some((at, reason))
}

/// The backups in `dir`, newest first (files not named by this program are left out).
pub fn list(dir: &Path) -> Result<Vec<BackupFile>> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in read.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((at, reason)) = parse_name(&name) else {
            continue;
        };
        out.push(BackupFile {
            path: entry.path().display().to_string(),
            name,
            taken_at: at.format("%Y-%m-%d %H:%M:%S").to_string(),
            reason,
            reason_label: reason.label(),
            bytes: entry.metadata().map(|m| m.len()).unwrap_or(0),
        });
    }
    out.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(out)
}

/// Takes a verified backup into `dir` and records it in the audit log.
pub fn take(conn: &Connection, dir: &Path, reason: Reason, now: NaiveDateTime) -> Result<PathBuf> {
    let dest = new_backup_path(
        dir,
        &now.format("%Y%m%d-%H%M%S").to_string(),
        reason.label(),
    );
    backup_to(conn, &dest)?;
    crate::audit::append_now(
        conn,
        "backup",
        "database",
        reason.label(),
        &format!("{}备份：{}", reason.label(), dest.display()),
        serde_json::json!({ "path": dest.display().to_string() }),
    )?;
    rotate(dir, now.date())?;
    Ok(dest)
}

/// The day's backup, once a day (at the first start of the day).
pub fn daily_if_due(conn: &Connection, dir: &Path, now: NaiveDateTime) -> Result<Option<PathBuf>> {
    let today = now.date();
    let done = list(dir)?.iter().any(|b| {
        b.reason == Reason::Daily && parse_name(&b.name).is_some_and(|(at, _)| at.date() == today)
    });
    if done {
        return Ok(None);
    }
    take(conn, dir, Reason::Daily, now).map(Some)
}

/// Deletes the backups the rotation no longer keeps: daily ones beyond the newest of each of
/// the last 7 days and of 4 earlier weeks; event backups beyond the newest 10 of each reason.
/// Manual backups are never deleted.
pub fn rotate(dir: &Path, today: NaiveDate) -> Result<Vec<String>> {
    let all = list(dir)?;
    let mut keep = std::collections::HashSet::new();
    let mut days = std::collections::BTreeSet::new();
    let mut weeks = std::collections::BTreeSet::new();
    for b in all.iter().filter(|b| b.reason == Reason::Daily) {
        let Some((at, _)) = parse_name(&b.name) else {
            continue;
        };
        let day = at.date();
        if day > today {
            keep.insert(b.name.clone());
            continue;
        }
        if days.len() < KEEP_DAILY && !days.contains(&day) {
            days.insert(day);
            keep.insert(b.name.clone());
            continue;
        }
        let week = (day.iso_week().year(), day.iso_week().week());
        if days.contains(&day) {
            continue; // an older backup of a kept day
        }
        if weeks.len() < KEEP_WEEKLY && !weeks.contains(&week) {
            weeks.insert(week);
            keep.insert(b.name.clone());
        }
    }
    for reason in [
        Reason::BeforeImport,
        Reason::BeforeMigration,
        Reason::BeforeRestore,
    ] {
        for b in all.iter().filter(|b| b.reason == reason).take(KEEP_EVENTS) {
            keep.insert(b.name.clone());
        }
    }
    let mut removed = Vec::new();
    for b in &all {
        if b.reason == Reason::Manual || keep.contains(&b.name) {
            continue;
        }
        std::fs::remove_file(&b.path).map_err(|source| Error::Io {
            path: PathBuf::from(&b.path),
            source,
        })?;
        removed.push(b.name.clone());
    }
    Ok(removed)
}

/// 备份到…: a verified copy of the database, and the photos, into a folder the user picked
/// (a USB stick). Photos already there are not copied again.
pub fn to_folder(
    conn: &Connection,
    photo_dir: &Path,
    dest_dir: &Path,
    now: NaiveDateTime,
) -> Result<PathBuf> {
    let dest = new_backup_path(
        dest_dir,
        &now.format("%Y%m%d-%H%M%S").to_string(),
        Reason::Manual.label(),
    );
    backup_to(conn, &dest)?;
    let photos = dest_dir.join("huce-photos");
    let mut copied = 0;
    if let Ok(read) = std::fs::read_dir(photo_dir) {
        std::fs::create_dir_all(&photos).map_err(|source| Error::Io {
            path: photos.clone(),
            source,
        })?;
        for entry in read.flatten() {
            let target = photos.join(entry.file_name());
            if !target.exists() {
                std::fs::copy(entry.path(), &target).map_err(|source| Error::Io {
                    path: target.clone(),
                    source,
                })?;
                copied += 1;
            }
        }
    }
    crate::audit::append_now(
        conn,
        "backup",
        "database",
        "folder",
        &format!("备份到 {}（另复制照片 {copied} 张）", dest.display()),
        serde_json::json!({ "path": dest.display().to_string(), "photos": copied }),
    )?;
    Ok(dest)
}

/// Replaces the open database's content with a backup: the backup is verified first, the
/// current state is backed up (恢复前), then SQLite's backup API copies the backup in, and the
/// result is checked. Returns the path of the 恢复前 backup.
pub fn restore(
    conn: &mut Connection,
    from: &Path,
    dir: &Path,
    now: NaiveDateTime,
) -> Result<PathBuf> {
    verify(from)?;
    let safety = take(conn, dir, Reason::BeforeRestore, now)?;
    conn.restore(
        rusqlite::MAIN_DB,
        from,
        None::<fn(rusqlite::backup::Progress)>,
    )?;
    crate::db::check_integrity(conn)?;
    crate::db::configure(conn)?;
    crate::db::migrate(conn)?;
    crate::audit::append_now(
        conn,
        "restore",
        "database",
        "main",
        &format!(
            "从备份 {} 恢复数据库；恢复前的数据已另存为 {}",
            from.display(),
            safety.display()
        ),
        serde_json::json!({ "from": from.display().to_string(), "safety": safety.display().to_string() }),
    )?;
    Ok(safety)
}

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
    // The copy carries the source's WAL flag; a backup is one self-contained file.
    let _: String = target.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
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

/// A damaged database file: it is moved aside (with its -wal/-shm) as
/// `<name>.damaged-<stamp>`, and the newest backup in `dir` that passes the integrity check is
/// copied into its place. Returns (the backup used, where the damaged file was kept).
pub fn recover(db_path: &Path, dir: &Path, now: NaiveDateTime) -> Result<(PathBuf, PathBuf)> {
    let good = list(dir)?
        .into_iter()
        .map(|b| PathBuf::from(b.path))
        .find(|p| verify(p).is_ok())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "在“{}”中没有找到完好的备份。损坏的数据库没有被改动；请把它和备份文件夹交给管理员处理。",
                dir.display()
            ))
        })?;
    let stamp = now.format("%Y%m%d-%H%M%S");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let name = db_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "huce.db".into());
    let kept = db_path.with_file_name(format!("{name}.damaged-{stamp}"));
    std::fs::rename(db_path, &kept).map_err(io(db_path))?;
    for ext in ["-wal", "-shm"] {
        let side = db_path.with_file_name(format!("{name}{ext}"));
        if side.exists() {
            let aside = db_path.with_file_name(format!("{name}.damaged-{stamp}{ext}"));
            std::fs::rename(&side, &aside).map_err(io(&side))?;
        }
    }
    std::fs::copy(&good, db_path).map_err(io(db_path))?;
    let conn = crate::db::open(db_path)?;
    crate::db::check_integrity(&conn)?;
    crate::audit::append_now(
        &conn,
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
    Ok((good, kept))
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
