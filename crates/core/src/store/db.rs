//! Opening the database: a file (created if needed, backed up before its schema changes,
//! migrated, checked) or an in-memory one for tests. Connection settings (WAL, foreign keys,
//! busy timeout) are applied in code every time a connection opens.
//!
//! The connection helpers and the schema are re-exported here, so `db::atomically`,
//! `db::SCHEMA_VERSION` … read as one place for callers outside the store.

use std::path::Path;

use rusqlite::Connection;

pub use super::conn::{atomically, check_integrity, configure, lock, open_file};
pub use super::schema::{
    migrate, migrate_to, open_in_memory, postgres_schema, schema_version, Migration,
    APPLICATION_ID, MIGRATIONS, POSTGRES_BASE_VERSION, POSTGRES_CODE_POINT_ORDER,
    POSTGRES_NOT_IN_CODE_POINT_ORDER, SCHEMA_VERSION,
};
use crate::error::{Error, Result};

/// Opens (creating if needed) the database file and brings its schema up to date.
/// `now` names the 升级前 backup of an older database and dates its audit entry. Another
/// program's file is refused before anything writes to it
/// ([`crate::store::identity::check_before_open`]).
pub fn open(path: &Path, now: chrono::NaiveDateTime) -> Result<Connection> {
    crate::store::identity::check_before_open(path)?;
    let conn = open_file(path)?;
    // An older database is backed up (升级前) before its schema changes.
    let version = schema_version(&conn)?;
    let before = if version > 0 && version < SCHEMA_VERSION {
        let dir = crate::store::paths::backup_dir(path);
        let stamp = now.format("%Y%m%d-%H%M%S").to_string();
        let dest = crate::store::backup::new_backup_path(
            &dir,
            &stamp,
            crate::store::backup::Reason::BeforeMigration.label(),
        );
        crate::store::backup::backup_to(&conn, &dest)?;
        Some(dest)
    } else {
        None
    };
    migrate(&conn)?;
    if let Some(dest) = before {
        crate::store::audit::append(
            &conn,
            &crate::store::audit::at_text(now),
            "backup",
            "database",
            "升级前",
            &format!(
                "数据库结构从第 {version} 版升级到第 {SCHEMA_VERSION} 版，升级前已备份：{}",
                dest.display()
            ),
            serde_json::json!({ "path": dest.display().to_string(), "from": version }),
        )?;
    }
    Ok(conn)
}

/// Opens `path` and checks it: a file SQLite finds corrupt (on open, while migrating or in
/// `integrity_check`) is reported as [`Error::Damaged`], so the app can offer a backup; a
/// schema object that is not this program's (a trigger added by someone) as
/// [`Error::Tampered`].
pub fn open_checked(path: &Path, now: chrono::NaiveDateTime) -> Result<Connection> {
    let conn = open_reporting_damage(path, now)?;
    check_integrity(&conn)?;
    crate::store::identity::check_objects(&conn, path, "")?;
    Ok(conn)
}

/// [`open`], a file SQLite finds corrupt on open or while migrating reported as
/// [`Error::Damaged`], without reading the whole file: the app's start, whose checks run after
/// the window shows ([`crate::store::backup::check_then_back_up`]).
pub fn open_reporting_damage(path: &Path, now: chrono::NaiveDateTime) -> Result<Connection> {
    let corrupt = |e: &rusqlite::Error| {
        matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        )
    };
    let conn = open(path, now).map_err(|e| match e {
        Error::Open { ref source, .. } | Error::Migration { ref source, .. } if corrupt(source) => {
            Error::Damaged(source.to_string())
        }
        Error::Sqlite(ref source) if corrupt(source) => Error::Damaged(source.to_string()),
        e => e,
    })?;
    Ok(conn)
}
