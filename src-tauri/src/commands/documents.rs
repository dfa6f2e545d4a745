//! Printed documents: the PDF is written into the office's documents folder (chosen in the print
//! dialog; `文书/` beside the database until then) and, if asked, opened in the system's PDF
//! viewer, from which the user prints. Long notice runs report progress like imports do.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use huce_core::print::{self, DocumentRequest, NoticeSettings, Printed};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::ApiError;
use crate::state::AppState;

/// What to print (the core's request) and whether to open it.
#[derive(Debug, Clone, Deserialize)]
pub struct PrintRequest {
    #[serde(flatten)]
    pub document: DocumentRequest,
    /// Open the PDF in the system's viewer when done.
    pub open: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrintResult {
    pub path: String,
    pub pages: usize,
    pub bytes: u64,
    pub warnings: Vec<String>,
    /// What the run left out and why (notices of undecided or 立行立改 cases).
    pub notes: Vec<String>,
    /// Set when the viewer could not be started (the file is there all the same).
    pub open_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentSettings {
    pub notice: NoticeSettings,
    pub folder: String,
    /// The core's default notice paragraph and plan title, for 恢复默认正文 (not saved).
    #[serde(default, skip_deserializing)]
    pub default_text: String,
    #[serde(default, skip_deserializing)]
    pub default_plan_title: String,
    #[serde(default, skip_deserializing)]
    pub default_district_text: String,
    /// The town's name, for showing the title as printed (not saved).
    #[serde(default, skip_deserializing)]
    pub town_name: String,
}

/// Writes a PDF into the documents folder as `.part`, renamed once complete.
fn write_pdf(
    conn: huce_core::sql::Db<'_>,
    state: &AppState,
    name: String,
    printed: &Printed,
) -> Result<PathBuf, ApiError> {
    let dir = documents_dir(conn, state)?;
    std::fs::create_dir_all(&dir).map_err(|source| huce_core::Error::Io {
        path: dir.clone(),
        source,
    })?;
    let path = dir.join(name);
    let tmp = path.with_extension("part");
    printed
        .pdf
        .save(&tmp)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| huce_core::Error::Io {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// Opens a written PDF in the system's viewer; the Chinese reason when it cannot.
fn open_pdf(app: &AppHandle, path: &std::path::Path) -> Option<String> {
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .err()
        .map(|e| format!("没能打开 PDF 阅读器（{e}）。文件已经保存，请到文件夹中双击打开后打印。"))
}

/// The 使用手册's sections, for the help dialog (its pictures are `manual/<image>.jpg`).
#[tauri::command]
pub async fn manual_sections() -> Vec<print::ManualSection> {
    print::MANUAL.to_vec()
}

/// Prints the 使用手册 with the pictures the program carries, into the documents folder.
#[tauri::command]
pub async fn print_manual(app: AppHandle, open: bool) -> Result<PrintResult, ApiError> {
    let app2 = app.clone();
    let (path, printed) = tauri::async_runtime::spawn_blocking(move || {
        let state = app2.state::<AppState>();
        let conn = state.conn()?;
        let now = crate::state::now_local();
        let resolver = app2.asset_resolver();
        let printed = print::manual_pdf(
            &|name| resolver.get(format!("manual/{name}.jpg")).map(|a| a.bytes),
            &now.format("%Y-%m-%d").to_string(),
        )?;
        let name = format!("使用手册-{}.pdf", now.format("%Y%m%d-%H%M%S"));
        let path = write_pdf(conn.db(), &state, name, &printed)?;
        Ok::<_, ApiError>((path, printed))
    })
    .await
    .map_err(|_| ApiError::internal())??;
    let open_error = if open { open_pdf(&app, &path) } else { None };
    Ok(PrintResult {
        path: path.display().to_string(),
        pages: printed.pages,
        bytes: printed.pdf.len(),
        warnings: printed.warnings,
        notes: printed.notes,
        open_error,
    })
}

fn documents_dir(conn: huce_core::sql::Db<'_>, state: &AppState) -> Result<PathBuf, ApiError> {
    Ok(print::DocumentSettings::load(conn)?.documents_dir(&state.path))
}

#[tauri::command]
pub async fn document_settings(state: State<'_, AppState>) -> Result<DocumentSettings, ApiError> {
    let conn = state.conn()?;
    Ok(DocumentSettings {
        notice: NoticeSettings::load(&conn)?,
        folder: documents_dir(conn.db(), &state)?.display().to_string(),
        default_text: print::DEFAULT_NOTICE_TEXT.to_string(),
        default_plan_title: print::DEFAULT_PLAN_TITLE.to_string(),
        default_district_text: print::DEFAULT_DISTRICT_TEXT.to_string(),
        town_name: huce_core::settings::TownSettings::load(&conn)?.town_name,
    })
}

/// The notice text, contact and documents folder (the gate asks for the settings permission;
/// the core audits the change).
#[tauri::command]
pub async fn save_document_settings(
    state: State<'_, AppState>,
    settings: DocumentSettings,
) -> Result<(), ApiError> {
    let conn = state.conn()?;
    let unchanged_default = settings.folder.trim()
        == huce_core::paths::documents_dir(&state.path)
            .display()
            .to_string();
    print::DocumentSettings {
        notice: settings.notice,
        // The default folder is saved as "no folder" (an empty text), so it follows the database.
        folder: Some(if unchanged_default {
            String::new()
        } else {
            settings.folder.trim().to_string()
        }),
    }
    .save(&conn, &crate::state::now())?;
    Ok(())
}

#[tauri::command]
pub async fn print_document(
    app: AppHandle,
    request: PrintRequest,
) -> Result<PrintResult, ApiError> {
    let app2 = app.clone();
    let (path, printed) = tauri::async_runtime::spawn_blocking(move || {
        let state = app2.state::<AppState>();
        let conn = state.conn()?;
        let now = crate::state::now_local();
        let progress = state.progress.clone();
        progress.0.store(0, Ordering::Relaxed);
        progress.1.store(1, Ordering::Relaxed);
        let printed: Printed = print::print_document(
            &conn,
            &request.document,
            &state.photo_dir(),
            now,
            &mut |done, total| {
                progress.1.store(total.max(1), Ordering::Relaxed);
                progress.0.store(done, Ordering::Relaxed);
            },
        )?;
        let path = write_pdf(
            conn.db(),
            &state,
            print::document_file_name(request.document.kind, &request.document.scope_title, now),
            &printed,
        )?;
        // The notices in the file enter the register (number, when printed, by whom).
        let me = state.account()?;
        huce_core::paper::record_printed(&conn, &me, &printed.notices, &crate::state::now())?;
        Ok::<_, ApiError>((path, printed))
    })
    .await
    .map_err(|_| ApiError::internal())??;
    let open_error = if request.open {
        open_pdf(&app, &path)
    } else {
        None
    };
    Ok(PrintResult {
        path: path.display().to_string(),
        pages: printed.pages,
        bytes: printed.pdf.len(),
        warnings: printed.warnings,
        notes: printed.notes,
        open_error,
    })
}
