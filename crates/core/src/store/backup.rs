//! Backups (备份) with SQLite's online backup API: a consistent copy even while the app has the
//! database open, checked after writing. Taken before every risky step (an import commit, a
//! migration, a restore), at the first start of each day, and by hand.
//!
//! A backup is written under a `.part` name and gets its real name only when it is complete and
//! checked, so a copy that stopped half way (a full disk, a USB stick pulled out) never looks
//! whole. A restore reads from a checked copy of the chosen backup, refuses files that are not
//! this program's, are newer than it, belong to another town (unless the user confirms that
//! town by name) or would leave nobody able to log in as administrator — all before anything
//! changes — and never lets the rotation touch the file being restored.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{is_disk_full, Error, Result};

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

/// The suffix of a backup that is still being written (or stopped half way).
pub const PART: &str = ".part";

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

/// The complete backups in `dir`, newest first (files not named by this program, and copies
/// still marked `.part`, are left out).
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

/// The `.part` name a backup is written under until it is complete.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut p = dest.as_os_str().to_os_string();
    p.push(PART);
    PathBuf::from(p)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes a half-written copy, best effort (a pulled-out stick cannot be written to; the
/// `.part` name then stays as the mark of an incomplete backup).
fn discard(part: &Path) {
    let _ = std::fs::remove_file(part);
    for ext in ["-wal", "-shm", "-journal"] {
        let mut side = part.as_os_str().to_os_string();
        side.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
}

/// A full database target turns into a [`Error::DiskFull`] naming the place.
fn full_here(e: Error, place: &Path) -> Error {
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
/// once complete and checked. `record` (the audit entry) and the rename are one unit, so a
/// backup that looks whole has always been recorded, and one that could not be named was not.
fn write_checked(
    conn: &Connection,
    dest: &Path,
    record: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let part = part_path(dest);
    let written = copy_to(conn, &part).and_then(|()| verify(&part));
    if let Err(e) = written {
        discard(&part);
        return Err(full_here(e, dest.parent().unwrap_or(dest)));
    }
    let named = crate::store::conn::atomically(conn, |_| {
        record()?;
        std::fs::rename(&part, dest).map_err(io_err(dest))
    });
    if named.is_err() {
        discard(&part);
    }
    named
}

/// The local time as the anchors file writes it.
fn anchor_time(now: NaiveDateTime) -> String {
    now.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Records `head` (what a backup holds, or the log after a restore) beside the database (when
/// the connection is a file).
fn anchor(conn: &Connection, head: Option<(i64, String)>, now: NaiveDateTime, source: &str) {
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

/// Takes a verified backup into `dir` and records it in the audit log.
pub fn take(conn: &Connection, dir: &Path, reason: Reason, now: NaiveDateTime) -> Result<PathBuf> {
    take_keeping(conn, dir, reason, now, &[])
}

/// [`take`], and the rotation that follows never removes the files in `keep`.
fn take_keeping(
    conn: &Connection,
    dir: &Path,
    reason: Reason,
    now: NaiveDateTime,
    keep: &[&Path],
) -> Result<PathBuf> {
    let dest = new_backup_path(
        dir,
        &now.format("%Y%m%d-%H%M%S").to_string(),
        reason.label(),
    );
    // The backup holds the log up to here (its own entry comes after the copy).
    let held = crate::store::audit::head(conn)?;
    write_checked(conn, &dest, || {
        crate::store::audit::append_now(
            conn,
            "backup",
            "database",
            reason.label(),
            &format!("{}备份：{}", reason.label(), dest.display()),
            serde_json::json!({ "path": dest.display().to_string() }),
        )
        .map(|_| ())
    })?;
    anchor(
        conn,
        held,
        now,
        &format!(
            "{}备份 {}",
            reason.label(),
            dest.file_name().unwrap_or_default().to_string_lossy()
        ),
    );
    rotate_keeping(dir, now.date(), keep)?;
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
    rotate_keeping(dir, today, &[])
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
}

/// [`rotate`], never removing the files in `keep` (the backup being restored).
fn rotate_keeping(dir: &Path, today: NaiveDate, keep_files: &[&Path]) -> Result<Vec<String>> {
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
    // Copies cut short by a crash (a `.part` no longer being written to) are not backups.
    if let Ok(read) = std::fs::read_dir(dir) {
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(3600));
            if name.starts_with("huce-") && name.ends_with(PART) && stale {
                let _ = std::fs::remove_file(entry.path());
                removed.push(name);
            }
        }
    }
    for b in &all {
        if b.reason == Reason::Manual
            || keep.contains(&b.name)
            || keep_files.iter().any(|k| same_file(k, Path::new(&b.path)))
        {
            continue;
        }
        std::fs::remove_file(&b.path).map_err(io_err(Path::new(&b.path)))?;
        removed.push(b.name.clone());
    }
    Ok(removed)
}

/// What 备份到… did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FolderBackup {
    /// The database copy.
    pub path: PathBuf,
    /// The photo folder on the target.
    pub photo_dir: PathBuf,
    /// Photos copied now (each checked against its SHA-256 name).
    pub photos_copied: usize,
    /// Photos already on the target (same name and size) and left as they were.
    pub photos_present: usize,
}

/// True for a stored photo's file name: 64 hex digits, a dot, a short extension.
pub(crate) fn is_photo_name(name: &str) -> bool {
    let Some((hash, ext)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && (1..=5).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// Copies one photo: under a `.part` name, checked against the hash its name carries, then
/// renamed. Returns false when the target already held it.
fn copy_photo(from: &Path, to: &Path) -> Result<bool> {
    if let (Ok(a), Ok(b)) = (std::fs::metadata(from), std::fs::metadata(to)) {
        if a.len() == b.len() {
            return Ok(false);
        }
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let part = part_path(to);
    // Flushed to the device before it counts (Windows flushes only a handle opened for writing).
    let copied = std::fs::copy(from, &part)
        .and_then(|_| {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&part)?
                .sync_all()
        })
        .map_err(io_err(to));
    if let Err(e) = copied {
        discard(&part);
        return Err(full_here(e, to.parent().unwrap_or(to)));
    }
    let name = to.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(name) = name.filter(|n| is_photo_name(n)) {
        let want = name.split('.').next().unwrap_or("").to_ascii_lowercase();
        let got = sha256_file(&part).map_err(io_err(to))?;
        if got != want {
            discard(&part);
            let source_ok = sha256_file(from).map(|h| h == want).unwrap_or(false);
            return Err(Error::Invalid(if source_ok {
                format!(
                    "照片“{}”复制到“{}”后校验不符，目标盘可能有坏块。已复制的数据库备份没有被标为完成；请换一个 U 盘重试。",
                    from.display(),
                    to.display()
                )
            } else {
                format!(
                    "照片文件“{}”已损坏（内容与它的校验名不符），备份没有完成。请把照片文件夹交给管理员检查；从旧备份中找回这张照片后再备份。",
                    from.display()
                )
            }));
        }
    }
    std::fs::rename(&part, to).map_err(io_err(to))?;
    Ok(true)
}

/// Every file under `dir` (recursively), relative to it; `.part` leftovers are skipped.
fn photo_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        let read = match std::fs::read_dir(&here) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&here)(e)),
        };
        for entry in read {
            let entry = entry.map_err(io_err(&here))?;
            let name = entry.file_name();
            let kind = entry.file_type().map_err(io_err(&here))?;
            if kind.is_dir() {
                stack.push(rel.join(&name));
            } else if kind.is_file() && !name.to_string_lossy().ends_with(PART) {
                out.push(rel.join(&name));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The photos copied into a backup folder (the first half of 备份到…).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoCopy {
    /// The photo folder on the target.
    pub dir: PathBuf,
    /// Photos copied now (each checked against its SHA-256 name).
    pub copied: usize,
    /// Photos already on the target (same name and size) and left as they were.
    pub present: usize,
}

/// 备份到…, first half: the whole photo tree into `dest_dir` (every photo checked against its
/// SHA-256 name; photos already there with the same size are kept). Needs no database, so the
/// app copies photos without holding the database meanwhile.
pub fn copy_photos(photo_dir: &Path, dest_dir: &Path) -> Result<PhotoCopy> {
    if !dest_dir.is_dir() {
        return Err(Error::Invalid(format!(
            "文件夹“{}”不存在。请插好 U 盘后重新选择。",
            dest_dir.display()
        )));
    }
    let photo_name = photo_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "huce-photos".into());
    let dir = dest_dir.join(photo_name);
    let (mut copied, mut present) = (0, 0);
    for rel in photo_files(photo_dir)? {
        if copy_photo(&photo_dir.join(&rel), &dir.join(&rel))? {
            copied += 1;
        } else {
            present += 1;
        }
    }
    Ok(PhotoCopy {
        dir,
        copied,
        present,
    })
}

/// 备份到…, second half: a verified copy of the database into `dest_dir`, named last (after its
/// audit entry, which counts the photos copied), so a copy that stopped half way stays `.part`.
pub fn database_to_folder(
    conn: &Connection,
    dest_dir: &Path,
    photos: PhotoCopy,
    now: NaiveDateTime,
) -> Result<FolderBackup> {
    let dest = new_backup_path(
        dest_dir,
        &now.format("%Y%m%d-%H%M%S").to_string(),
        Reason::Manual.label(),
    );
    let held = crate::store::audit::head(conn)?;
    let (copied, present) = (photos.copied, photos.present);
    write_checked(conn, &dest, || {
        crate::store::audit::append_now(
            conn,
            "backup",
            "database",
            "folder",
            &format!(
                "备份到 {}（照片：新复制 {copied} 张，已有 {present} 张，均已校验）",
                dest.display()
            ),
            serde_json::json!({
                "path": dest.display().to_string(),
                "photos_copied": copied,
                "photos_present": present,
            }),
        )
        .map(|_| ())
    })?;
    anchor(conn, held, now, &format!("备份到 {}", dest.display()));
    Ok(FolderBackup {
        path: dest,
        photo_dir: photos.dir,
        photos_copied: copied,
        photos_present: present,
    })
}

/// 备份到…: the photos, then a verified copy of the database, into a folder the user picked (a
/// USB stick); see [`copy_photos`] and [`database_to_folder`].
pub fn to_folder(
    conn: &Connection,
    photo_dir: &Path,
    dest_dir: &Path,
    now: NaiveDateTime,
) -> Result<FolderBackup> {
    let photos = copy_photos(photo_dir, dest_dir)?;
    database_to_folder(conn, dest_dir, photos, now)
}

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
fn open_scratch(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch("PRAGMA foreign_keys = ON;")?;
    crate::store::conn::register_functions(&conn)?;
    Ok(conn)
}

fn not_ours(from: &Path) -> Error {
    Error::Invalid(format!(
        "“{}”不是本程序的数据库备份，不能用来恢复。现在的数据库没有被改动；请在备份文件夹中选择名为“huce-日期-时间-….db”的备份。",
        from.display()
    ))
}

/// Checks a scratch copy of a backup and brings it to this program's schema: it must be this
/// program's database, not newer than the program, and have an active administrator after
/// migration. Nothing outside the scratch copy changes.
fn check_and_migrate(scratch: &Connection, from: &Path) -> Result<BackupInfo> {
    let app_id: i64 = scratch.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version = crate::store::schema::schema_version(scratch)?;
    let has = |t: &str| -> Result<bool> {
        Ok(scratch.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
            [t],
            |r| r.get(0),
        )?)
    };
    let shaped = has("settings")? && has("villages")? && has("households")? && has("toilets")?;
    let ours = match app_id {
        crate::store::schema::APPLICATION_ID => true,
        0 => shaped && version >= 1,
        _ => false,
    };
    if !ours {
        return Err(not_ours(from));
    }
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
    let objects = |c: &Connection| -> Result<std::collections::BTreeSet<(String, String, String)>> {
        Ok(c.prepare(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?)
    };
    let expected = objects(&crate::store::schema::open_in_memory()?)?;
    let found = objects(scratch)?;
    if let Some((kind, name, _)) = found.difference(&expected).next() {
        return Err(Error::Invalid(format!(
            "备份“{}”里有本程序没有的数据库对象（{kind} {name}），可能被改动过，不能用来恢复。现在的数据库没有被改动；请选择其他备份，并把这个文件交给管理员检查。",
            from.display()
        )));
    }
    if let Some((kind, name, _)) = expected.difference(&found).next() {
        return Err(Error::Invalid(format!(
            "备份“{}”缺少本程序的数据库对象（{kind} {name}），可能被改动过，不能用来恢复。现在的数据库没有被改动；请选择其他备份。",
            from.display()
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
struct Scratch {
    path: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        discard(&self.path);
    }
}

fn scratch_copy(from: &Path, dir: &Path, now: NaiveDateTime) -> Result<Scratch> {
    verify(from)?;
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
    verify(&scratch.path)?;
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
    let current = crate::store::settings::TownSettings::load(conn)?;
    let current_town =
        crate::store::settings::get(conn, crate::store::settings::KEY_TOWN)?.unwrap_or_default();
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
    let replaced = crate::store::audit::head(conn)?;
    let safety = take_keeping(conn, dir, Reason::BeforeRestore, now, &[from])?;
    crate::store::audit::set_actor(&copy, &crate::store::audit::actor(conn)?)?;
    crate::store::audit::append_now(
        &copy,
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
    anchor(conn, crate::store::audit::head(conn)?, now, "恢复备份后");
    Ok(safety)
}

/// Copies the open database to `dest` and verifies the copy with `PRAGMA integrity_check`.
pub fn backup_to(conn: &Connection, dest: &Path) -> Result<()> {
    write_checked(conn, dest, || Ok(()))
}

/// Copies the open database to `dest`, unverified: call [`verify`] before relying on it.
pub fn copy_to(conn: &Connection, dest: &Path) -> Result<()> {
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
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
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| {
            Error::Invalid(format!(
                "“{}”不是完好的数据库文件（{e}）。请选择其他备份。",
                path.display()
            ))
        })?;
    if result == "ok" {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "备份文件“{}”校验不通过（{result}）。原数据库没有被改动；请检查磁盘空间后重试，或选择其他备份。",
            path.display()
        )))
    }
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
    crate::store::audit::append_now(
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
    anchor(
        &conn,
        crate::store::audit::head(&conn)?,
        now,
        "损坏后从备份恢复",
    );
    Ok((good, kept))
}

/// The path of a new backup in `dir`, named by time and reason, e.g.
/// `huce-20261129-101500-导入前.db`; never overwrites an existing file (nor a `.part` one).
pub fn new_backup_path(dir: &Path, stamp: &str, reason: &str) -> PathBuf {
    let base = format!("huce-{stamp}-{reason}");
    let mut path = dir.join(format!("{base}.db"));
    let mut n = 2;
    while path.exists() || part_path(&path).exists() {
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
        let conn = crate::store::db::open(&dir.path().join("a.db")).unwrap();
        crate::places::households::add_village(&conn, "石鱼村", 1).unwrap();
        let dest = new_backup_path(&dir.path().join("备份"), "20261129-101500", "导入前");
        backup_to(&conn, &dest).unwrap();
        assert!(!part_path(&dest).exists(), "the .part name is gone");
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

    #[test]
    fn photo_names_are_recognised() {
        let h = "a".repeat(64);
        assert!(is_photo_name(&format!("{h}.jpg")));
        assert!(!is_photo_name("ab.jpg"));
        assert!(!is_photo_name(&format!("{h}.jpg.part")));
        assert!(!is_photo_name(&format!("{}.jpg", "g".repeat(64))));
        assert!(!is_photo_name("../../etc/passwd"));
    }
}
