//! 备份与恢复: the backup folder's list, 立即备份, 备份到 a folder (USB stick), restoring a
//! backup (the current state is backed up first), and recovering a file found damaged at start.

use huce_core::backup::{self, BackupFile, Reason};
use serde::Serialize;
use tauri::{AppHandle, State};

use super::blocking;
use crate::error::ApiError;
use crate::state::{now_local as now, AppState};

#[derive(Serialize)]
pub struct Backups {
    pub folder: String,
    pub files: Vec<BackupFile>,
}

#[tauri::command]
pub async fn backup_list(state: State<'_, AppState>) -> Result<Backups, ApiError> {
    let dir = state.backup_dir();
    Ok(Backups {
        folder: dir.display().to_string(),
        files: backup::list(&dir)?,
    })
}

#[tauri::command]
pub async fn backup_now(app: AppHandle) -> Result<String, ApiError> {
    blocking(app, |state| {
        let conn = state.conn()?;
        let path = backup::take(
            file_only(&conn)?,
            &state.backup_dir(),
            Reason::Manual,
            now(),
        )?;
        Ok(path.display().to_string())
    })
    .await
}

/// 备份到…: the database and its photos into a folder the user picked.
#[tauri::command]
pub async fn backup_to(app: AppHandle, folder: String) -> Result<String, ApiError> {
    blocking(app, move |state| {
        let dir = std::path::PathBuf::from(folder.trim());
        if folder.trim().is_empty() || !dir.is_dir() {
            return Err(huce_core::Error::Invalid(format!(
                "文件夹“{folder}”不存在。请插好 U 盘后重新选择。"
            ))
            .into());
        }
        // The photos first, without holding the database (other windows' calls go on).
        let photos = backup::copy_photos(&state.photo_dir(), &dir)?;
        let conn = state.conn()?;
        let done = backup::database_to_folder(file_only(&conn)?, &dir, photos, now())?;
        Ok(done.path.display().to_string())
    })
    .await
}

/// Restores a backup file over the open database; returns where the state before was saved.
#[tauri::command]
pub async fn restore_backup(
    app: AppHandle,
    path: String,
    confirm_town: Option<String>,
) -> Result<String, ApiError> {
    blocking(app, move |state| {
        let from = huce_core::paths::input_file(&path)?;
        let mut conn = state.conn()?;
        file_only(&conn)?;
        let safety = backup::restore(
            conn.file_mut("从备份恢复")?,
            &from,
            &state.backup_dir(),
            confirm_town.as_deref(),
            now(),
        )?;
        // The restored file has its own accounts: everyone logs in again.
        huce_core::audit::set_actor(&conn, huce_core::audit::NOBODY)?;
        state.set_session(None);
        Ok(safety.display().to_string())
    })
    .await
}

/// What a backup holds (town, households, administrators), or why it cannot be restored.
#[tauri::command]
pub async fn inspect_backup(app: AppHandle, path: String) -> Result<backup::BackupInfo, ApiError> {
    blocking(app, move |state| {
        let from = huce_core::paths::input_file(&path)?;
        Ok(backup::inspect(&from, &state.backup_dir(), now())?)
    })
    .await
}

#[derive(Serialize)]
pub struct Recovered {
    pub from: String,
    pub damaged_kept_at: String,
}

/// Only when the database was found damaged at start: puts the latest good backup in its
/// place (the damaged file is kept). The app must be restarted afterwards.
#[tauri::command]
pub async fn recover_database(app: AppHandle) -> Result<Recovered, ApiError> {
    blocking(app, |state| {
        if !state.damaged() {
            return Err(huce_core::Error::Invalid(
                "数据库没有损坏，不需要恢复。要换用某个备份，请登录后在“备份”里恢复。".into(),
            )
            .into());
        }
        let (from, kept) = backup::recover(&state.path, &state.backup_dir(), now())?;
        Ok(Recovered {
            from: from.display().to_string(),
            damaged_kept_at: kept.display().to_string(),
        })
    })
    .await
}

/// The database file's connection; on the server, what the office does instead: the server's
/// backups are its scheduled dumps (README, office server set-up), not this PC's.
fn file_only<'a>(conn: &'a crate::state::Conn<'_>) -> Result<&'a rusqlite::Connection, ApiError> {
    match &**conn {
        huce_core::sql::Store::File(c) => Ok(c),
        huce_core::sql::Store::Server(_) => Err(huce_core::Error::Invalid(
            "现在连接的是办公室服务器上的数据库：它的备份由服务器每天自动做（pg_dump），不在这台电脑上做，也不能从这里恢复。请管理员按使用说明“办公室服务器设置”第 5 步设好每日备份，并把备份复制到另一块硬盘；需要时可用 huce pull 拉一份本机副本带走。"
                .into(),
        )
        .into()),
    }
}
