//! Taking backups (by hand, before risky steps, daily) and the rotation that keeps the last days,
//! weeks and events.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rusqlite::Connection;

use super::copy::{anchor, io_err, write_checked, Copying};
use super::names::{
    list, new_backup_path, parse_name, Reason, KEEP_DAILY, KEEP_EVENTS, KEEP_WEEKLY, PART,
};
use crate::error::Result;

/// Takes a verified backup into `dir` and records it in the audit log.
pub fn take(conn: &Connection, dir: &Path, reason: Reason, now: NaiveDateTime) -> Result<PathBuf> {
    take_keeping(conn, dir, reason, now, &[], &mut |_| {})
}

/// [`take`], telling `progress` how far the copy has got.
pub fn take_with_progress(
    conn: &Connection,
    dir: &Path,
    reason: Reason,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(Copying),
) -> Result<PathBuf> {
    take_keeping(conn, dir, reason, now, &[], progress)
}

/// [`take`], and the rotation that follows never removes the files in `keep`.
pub(super) fn take_keeping(
    conn: &Connection,
    dir: &Path,
    reason: Reason,
    now: NaiveDateTime,
    keep: &[&Path],
    progress: &mut dyn FnMut(Copying),
) -> Result<PathBuf> {
    let dest = new_backup_path(
        dir,
        &now.format("%Y%m%d-%H%M%S").to_string(),
        reason.label(),
    );
    // The backup holds the log up to here (its own entry comes after the copy).
    let held = crate::store::audit::head(conn)?;
    // The 恢复前 copy keeps the file about to be replaced as it was, also one someone changed
    // (a restore is how a tampered file is put right); every other backup must be whole.
    let objects = reason != Reason::BeforeRestore;
    write_checked(conn, &dest, objects, progress, || {
        crate::store::audit::append(
            conn,
            &crate::store::audit::at_text(now),
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
    if !daily_due(dir, now.date())? {
        return Ok(None);
    }
    take(conn, dir, Reason::Daily, now).map(Some)
}

/// Whether `dir` has no daily backup of `today` yet.
pub fn daily_due(dir: &Path, today: NaiveDate) -> Result<bool> {
    Ok(!list(dir)?.iter().any(|b| {
        b.reason == Reason::Daily && parse_name(&b.name).is_some_and(|(at, _)| at.date() == today)
    }))
}

/// Deletes the backups the rotation no longer keeps: daily ones beyond the newest of each of
/// the last 7 days and of 4 earlier weeks; event backups beyond the newest 10 of each reason.
/// Manual backups are never deleted.
pub fn rotate(dir: &Path, today: NaiveDate) -> Result<Vec<String>> {
    rotate_keeping(dir, today, &[])
}

pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
}

/// [`rotate`], never removing the files in `keep` (the backup being restored).
pub(super) fn rotate_keeping(
    dir: &Path,
    today: NaiveDate,
    keep_files: &[&Path],
) -> Result<Vec<String>> {
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
