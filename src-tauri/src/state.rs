//! Where the database lives and the one connection the commands share.

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use huce_core::accounts::Account;
use rusqlite::Connection;
use tauri::{AppHandle, Manager};

use crate::error::ApiError;

/// File name of the embedded default database inside the per-user app-data folder.
pub const DEFAULT_DB_FILE: &str = "huce.db";

/// The database path: `--db PATH` on the command line, else `HUCE_DB`, else the OS's per-user
/// app-data folder (on Windows `%APPDATA%\cn.cq.tongliang.shiyu.huce\huce.db`).
pub fn database_path(app: &AppHandle) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--db" {
            if let Some(p) = args.next() {
                return Ok(PathBuf::from(p));
            }
        }
    }
    if let Some(p) = std::env::var_os("HUCE_DB").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let dir = app.path().app_data_dir()?;
    Ok(dir.join(DEFAULT_DB_FILE))
}

pub struct AppState {
    pub path: PathBuf,
    /// Rows done and in all of the import under way (read without locking the database).
    pub progress: Arc<(AtomicUsize, AtomicUsize)>,
    /// The open database, or why it could not be opened (shown to the user instead of crashing).
    db: Result<Mutex<Connection>, ApiError>,
    /// Who is logged in on this window.
    session: Mutex<Option<Account>>,
}

impl AppState {
    pub fn open(path: PathBuf) -> AppState {
        let db = (|| {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| huce_core::Error::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            // A damaged file is never used: the UI offers the latest good backup instead.
            huce_core::db::open_checked(&path)
        })()
        .map(Mutex::new)
        .map_err(ApiError::from);
        AppState {
            path,
            db,
            progress: Arc::new((AtomicUsize::new(0), AtomicUsize::new(1))),
            session: Mutex::new(None),
        }
    }

    /// The logged-in account, if any.
    pub fn session(&self) -> Option<Account> {
        self.session.lock().ok().and_then(|s| s.clone())
    }

    /// The logged-in account (the gate lets a command through only with one).
    pub fn account(&self) -> Result<Account, ApiError> {
        self.session()
            .ok_or_else(|| huce_core::Error::NotLoggedIn.into())
    }

    pub fn set_session(&self, account: Option<Account>) {
        if let Ok(mut s) = self.session.lock() {
            *s = account;
        }
    }

    /// The day's backup at the first start of the day (recorded as done by 系统).
    pub fn daily_backup(&self) -> Result<(), ApiError> {
        let conn = self.conn()?;
        huce_core::audit::set_actor(&conn, "系统（每日自动备份）")?;
        let result = huce_core::backup::daily_if_due(
            &conn,
            &self.backup_dir(),
            chrono::Local::now().naive_local(),
        );
        huce_core::audit::set_actor(&conn, huce_core::audit::NOBODY)?;
        result?;
        Ok(())
    }

    /// Whether the database was found damaged at start.
    pub fn damaged(&self) -> bool {
        matches!(&self.db, Err(e) if e.code == "damaged")
    }

    /// Where automatic backups go: `backups/` beside the database.
    pub fn backup_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(|d| d.join("backups"))
            .unwrap_or_else(|| PathBuf::from("backups"))
    }

    /// Where inspection photos are copied: `<database name>-photos/` beside the database, so
    /// two databases in one folder never share photos and a backup of the folder has both.
    pub fn photo_dir(&self) -> PathBuf {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "huce".into());
        let name = format!("{stem}-photos");
        self.path
            .parent()
            .map(|d| d.join(&name))
            .unwrap_or_else(|| PathBuf::from(&name))
    }

    /// The connection, or the error that kept the database from opening.
    pub fn conn(&self) -> Result<MutexGuard<'_, Connection>, ApiError> {
        match &self.db {
            Ok(m) => m.lock().map_err(|_| ApiError::internal()),
            Err(e) => Err(e.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_cannot_open_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("这是一个文件");
        std::fs::write(&file, b"not a folder").unwrap();
        let state = AppState::open(file.join("huce.db"));
        let err = state.conn().expect_err("opening under a file must fail");
        assert_eq!(err.code, "io");
        assert!(
            err.message.contains("读写文件"),
            "a Chinese message that says what to check: {}",
            err.message
        );
    }

    #[test]
    fn a_database_from_a_newer_program_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huce.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", huce_core::db::SCHEMA_VERSION + 5)
            .unwrap();
        drop(conn);
        let err = AppState::open(path)
            .conn()
            .expect_err("a newer schema must be refused");
        assert_eq!(err.code, "schema_too_new");
        assert!(err.message.contains("最新版本"), "{}", err.message);
    }
}
