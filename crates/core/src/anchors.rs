//! Audit-log anchors kept outside the database file. The log's own head (`audit_head` in the
//! settings) is inside the file, so someone who cuts entries off the end and edits the head as
//! well is not found by the chain alone. An anchor — the number and hash of the newest entry at
//! some moment — is therefore also kept elsewhere: every backup carries its log (its newest entry
//! is an anchor), every backup, restore and printed 签字背书表 appends a line to the anchors file
//! beside the database, and the printed sheet shows the number and the first 16 hex digits so a
//! person can check the paper against the database later. [`crate::audit::verify`] compares the
//! live log with every anchor it finds.

use std::io::Write;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::error::{Error, Result};

/// The newest entry of the log at a moment, kept outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anchor {
    /// When it was taken, `YYYY-MM-DD HH:MM:SS` (local time).
    pub at: String,
    pub id: i64,
    pub hash: String,
    /// Where it is kept, in words (e.g. "备份 huce-20261129-101500-手动.db").
    pub source: String,
}

/// How many of the newest backups are read for anchors.
const BACKUPS_READ: usize = 8;

/// Appends an anchor line to the anchors file beside the database (created when missing).
/// A failure to write it is returned, but the caller's change stands: the anchor is a second
/// copy, not the record itself.
pub fn record(db_path: &Path, anchor: &Anchor) -> Result<()> {
    let file = crate::paths::anchors_file(db_path);
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let line = format!(
        "{}\t{}\t{}\t{}\n",
        clean(&anchor.at),
        anchor.id,
        clean(&anchor.hash),
        clean(&anchor.source)
    );
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| f.write_all(line.as_bytes()).and_then(|()| f.sync_data()))
        .map_err(|source| Error::Io { path: file, source })
}

/// Records the current head of `conn`'s log as an anchor (nothing when the log is empty).
pub fn record_head(conn: &Connection, db_path: &Path, at: &str, source: &str) -> Result<()> {
    if let Some((id, hash)) = crate::audit::head(conn)? {
        record(
            db_path,
            &Anchor {
                at: at.to_string(),
                id,
                hash,
                source: source.to_string(),
            },
        )?;
    }
    Ok(())
}

/// The lines of the anchors file; lines that do not parse are skipped.
fn from_file(db_path: &Path) -> Vec<Anchor> {
    let Ok(text) = std::fs::read_to_string(crate::paths::anchors_file(db_path)) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let at = f.next()?.to_string();
            let id = f.next()?.parse().ok()?;
            let hash = f.next()?.to_string();
            let source = f.next().unwrap_or("").to_string();
            (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Anchor {
                at,
                id,
                hash,
                source: format!("核对点记录：{source}"),
            })
        })
        .collect()
}

/// The time in a backup's file name (`huce-20261129-101500-…`), as `YYYY-MM-DD HH:MM:SS`.
fn backup_time(name: &str) -> Option<String> {
    let stamp = name.strip_prefix("huce-")?.get(..15)?;
    let t = chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").ok()?;
    Some(t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// The newest entry of a backup's log, if the backup is of the same database: its first entry
/// must be the live log's first entry (two databases never share their first entry).
fn from_backup(path: &Path, first: &(i64, String)) -> Option<(i64, String)> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    let their_first: (i64, String) = conn
        .query_row(
            "SELECT id, hash FROM audit_log ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ok()??;
    if &their_first != first {
        return None;
    }
    conn.query_row(
        "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .ok()
}

/// Every anchor found for the database at `db_path`: the anchors file's lines and the newest
/// backups in `backups/` beside it that belong to the same log. `first` is the live log's first
/// entry (number and hash).
pub fn find(db_path: &Path, first: Option<&(i64, String)>) -> Vec<Anchor> {
    let mut out = from_file(db_path);
    let Some(first) = first else {
        return out;
    };
    let dir = crate::paths::backup_dir(db_path);
    let Ok(read) = std::fs::read_dir(&dir) else {
        return out;
    };
    let mut backups: Vec<(String, std::path::PathBuf)> = read
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let at = backup_time(&name)?;
            name.ends_with(".db").then(|| (at, e.path()))
        })
        .collect();
    backups.sort();
    for (at, path) in backups.into_iter().rev().take(BACKUPS_READ) {
        if let Some((id, hash)) = from_backup(&path, first) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(Anchor {
                at,
                id,
                hash,
                source: format!("备份 {name}"),
            });
        }
    }
    out
}

/// The anchor as printed on paper: the number and the first 16 hex digits in two groups.
pub fn printed(id: i64, hash: &str) -> String {
    let a: String = hash.chars().take(8).collect();
    let b: String = hash.chars().skip(8).take(8).collect();
    format!("第 {id} 条 {a} {b}")
}
