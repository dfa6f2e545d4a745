//! Backup file names (time and reason), listing the backups of a folder, and the `.part` name of a
//! copy being written.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::error::Result;

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

pub(super) fn parse_name(name: &str) -> Option<(NaiveDateTime, Reason)> {
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
