//! Audit-log anchors kept outside the database file. The log's own head (`audit_head` in the
//! settings) is inside the file, so someone who cuts entries off the end and edits the head as
//! well is not found by the chain alone. An anchor — the number and hash of the newest entry at
//! some moment — is therefore also kept elsewhere: every backup carries its log (its newest entry
//! is an anchor), every backup, restore and printed 签字背书表 appends a line to the anchors file
//! beside the database, and the printed sheet shows the number and the first 16 hex digits so a
//! person can check the paper against the database later. [`crate::store::audit::verify`] compares the
//! live log with every anchor it finds.
//!
//! Anchors belong to a database by its random identity (`database_id` in the settings, copied
//! into every backup), not by anything in the log itself, which is what they check.

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

/// The database's identity (`database_id` in the settings).
pub fn database_id<'a>(db: impl Into<crate::store::sql::Db<'a>>) -> Result<Option<String>> {
    crate::store::settings::get(db, crate::store::settings::KEY_DATABASE_ID)
}

/// Appends an anchor line (with the database's identity) to the anchors file beside the
/// database. A failure to write it is returned, but the caller's change stands: the anchor is a
/// second copy, not the record itself.
pub fn record(db_path: &Path, database_id: &str, anchor: &Anchor) -> Result<()> {
    let file = crate::store::paths::anchors_file(db_path);
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let line = format!(
        "{}\t{}\t{}\t{}\t{}\n",
        clean(&anchor.at),
        anchor.id,
        clean(&anchor.hash),
        clean(database_id),
        clean(&anchor.source)
    );
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| f.write_all(line.as_bytes()).and_then(|()| f.sync_data()))
        .map_err(|source| Error::Io { path: file, source })
}

/// Records `head` (an entry's number and hash) of `conn`'s log as an anchor.
pub fn record_head(
    conn: &Connection,
    db_path: &Path,
    head: Option<(i64, String)>,
    at: &str,
    source: &str,
) -> Result<()> {
    if let (Some((id, hash)), Some(db_id)) = (head, database_id(conn)?) {
        record(
            db_path,
            &db_id,
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

/// The lines of the anchors file that belong to `database_id`; lines that do not parse are
/// skipped.
fn from_file(db_path: &Path, database_id: &str) -> Vec<Anchor> {
    let Ok(text) = std::fs::read_to_string(crate::store::paths::anchors_file(db_path)) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let at = f.next()?.to_string();
            let id = f.next()?.parse().ok()?;
            let hash = f.next()?.to_string();
            let owner = f.next()?;
            let source = f.next().unwrap_or("").to_string();
            (owner == database_id
                && hash.len() == 64
                && hash.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(Anchor {
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

/// Another copy of the log (a backup file), opened read-only.
pub struct OtherLog {
    conn: Connection,
}

impl OtherLog {
    /// Opens `path` if it is a copy of the database `database_id`.
    pub fn open(path: &Path, database_id: &str) -> Option<OtherLog> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        let theirs = database_id_of(&conn)?;
        (theirs == database_id).then_some(OtherLog { conn })
    }

    /// Its newest entry.
    pub fn head(&self) -> Option<(i64, String)> {
        self.conn
            .query_row(
                "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok()
    }

    /// Its connection (read-only).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The hash of its entry `id`.
    pub fn hash_of(&self, id: i64) -> Option<String> {
        self.conn
            .query_row("SELECT hash FROM audit_log WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .ok()?
    }
}

fn database_id_of(conn: &Connection) -> Option<String> {
    conn.query_row(
        "SELECT value FROM settings WHERE key = ?1",
        [crate::store::settings::KEY_DATABASE_ID],
        |r| r.get(0),
    )
    .optional()
    .ok()?
}

/// Every anchor found for the database at `db_path` whose identity is `database_id`: the
/// anchors file's lines and the newest backups in `backups/` beside it that are copies of it.
pub fn find(db_path: &Path, database_id: &str) -> Vec<Anchor> {
    let mut out = from_file(db_path, database_id);
    let dir = crate::store::paths::backup_dir(db_path);
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
        let Some((id, hash)) = OtherLog::open(&path, database_id).and_then(|l| l.head()) else {
            continue;
        };
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
    out
}

/// The anchor as printed on paper: the number and the first 16 hex digits in two groups.
pub fn printed(id: i64, hash: &str) -> String {
    let a: String = hash.chars().take(8).collect();
    let b: String = hash.chars().skip(8).take(8).collect();
    format!("第 {id} 条 {a} {b}")
}
