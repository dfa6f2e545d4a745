//! Tauri commands, one module per area. Each is a few lines: take the state, call the core,
//! map the error. Every command must also be listed in build.rs and capabilities/main.json.

pub mod app;
pub mod auth;
pub mod backups;
pub mod documents;
pub mod field_work;
pub mod households;
pub mod ledger_files;
pub mod pending;
pub mod reports;
pub mod server;
pub mod signoffs;

use tauri::{AppHandle, Manager};

use crate::error::ApiError;
use crate::state::AppState;

/// Runs `f` with the database off the UI thread.
pub(crate) async fn blocking<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tauri::async_runtime::spawn_blocking(move || f(&app.state::<AppState>()))
        .await
        .map_err(|_| ApiError::internal())?
}
