//! The app frame: which town and database are open, the vocabularies, the demo data.

use huce_core::demo::{self, DemoOptions, DemoSummary};
use huce_core::model::{self, Vocabulary};
use huce_core::settings::TownSettings;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize)]
pub struct AppInfo {
    /// The local file's path, or the server's `host:port/database`.
    pub db_path: String,
    /// "file" or "server".
    pub engine: &'static str,
    pub town: Option<TownSettings>,
    pub households: i64,
    pub toilets: i64,
    pub schema_version: i64,
    /// Set when the database could not be opened; the UI shows it instead of the workbench.
    pub open_error: Option<ApiError>,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, ApiError> {
    let (engine, db_path) = state.database_label();
    let conn = match state.conn() {
        Ok(c) => c,
        Err(e) => {
            return Ok(AppInfo {
                db_path,
                engine,
                town: None,
                households: 0,
                toilets: 0,
                schema_version: 0,
                open_error: Some(e),
            })
        }
    };
    let (households, toilets) = huce_core::households::counts(&*conn)?;
    Ok(AppInfo {
        db_path,
        engine,
        town: Some(TownSettings::load(&conn)?),
        households,
        toilets,
        schema_version: match &*conn {
            huce_core::sql::Store::File(c) => huce_core::db::schema_version(c)?,
            // The server's version was checked when it was connected.
            huce_core::sql::Store::Server(_) => huce_core::db::SCHEMA_VERSION,
        },
        open_error: None,
    })
}

/// How far the checks of the file and the daily backup after the start are, for the header.
#[derive(Serialize)]
pub struct AfterStartStatus {
    /// quick_check, full_check, backup, verify_backup, passed, not_needed, damaged,
    /// backup_failed.
    pub stage: &'static str,
    /// Pages of the backup copied, of all.
    pub done: u64,
    pub total: u64,
    /// What went wrong (damaged, backup_failed).
    pub message: Option<String>,
}

#[tauri::command]
pub async fn after_start_status(state: State<'_, AppState>) -> Result<AfterStartStatus, ApiError> {
    use crate::state::Checking;
    use huce_core::backup::AfterStart;
    let status = |stage, done, total, message| AfterStartStatus {
        stage,
        done,
        total,
        message,
    };
    Ok(match state.checking() {
        Checking::Under(AfterStart::QuickCheck) => status("quick_check", 0, 0, None),
        Checking::Under(AfterStart::FullCheck) => status("full_check", 0, 0, None),
        Checking::Under(AfterStart::Backup { done, total }) => status("backup", done, total, None),
        Checking::Under(AfterStart::VerifyBackup) => status("verify_backup", 0, 0, None),
        Checking::Passed => status("passed", 0, 0, None),
        Checking::NotNeeded => status("not_needed", 0, 0, None),
        Checking::Damaged(m) => status("damaged", 0, 0, Some(m)),
        Checking::BackupFailed(m) => status("backup_failed", 0, 0, Some(m)),
    })
}

#[tauri::command]
pub async fn vocabularies() -> Vec<Vocabulary> {
    model::vocabularies()
}

/// Loads the default demo town into an empty database, off the UI thread.
#[tauri::command]
pub async fn load_demo(app: AppHandle) -> Result<DemoSummary, ApiError> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let conn = state.conn()?;
        let now = crate::state::now();
        Ok(demo::generate_on(&conn, DemoOptions::default(), &now)?)
    })
    .await?
}

/// Saves the district and town names shown in the header and on printed forms.
#[tauri::command]
pub async fn save_town_names(
    state: State<'_, AppState>,
    district_name: String,
    town_name: String,
) -> Result<TownSettings, ApiError> {
    Ok(huce_core::town::save_names(
        &*state.conn()?,
        &district_name,
        &town_name,
        &crate::state::now(),
    )?)
}
