//! Printed documents: the PDF is written into the office's documents folder (chosen in the print
//! dialog; `文书/` beside the database until then) and, if asked, opened in the system's PDF
//! viewer, from which the user prints. Long notice runs report progress like imports do.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use huce_core::households::Scope;
use huce_core::print::{self, NoticeSettings, Printed};
use huce_core::rectification::LedgerFilter;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Notices,
    ProblemLedger,
    ToiletLedger,
    Signoff,
    HouseholdFile,
    SampleList,
    CheckSheets,
    SampleFiles,
    Bulletin,
}

impl DocumentKind {
    fn title(self) -> &'static str {
        match self {
            DocumentKind::Notices => "整改告知单",
            DocumentKind::ProblemLedger => "问题厕所台账",
            DocumentKind::ToiletLedger => "改厕台账",
            DocumentKind::Signoff => "签字背书表",
            DocumentKind::HouseholdFile => "户档案",
            DocumentKind::SampleList => "区级抽查样本清单",
            DocumentKind::CheckSheets => "区级抽查现场核查表",
            DocumentKind::SampleFiles => "区级抽查户档案",
            DocumentKind::Bulletin => "月通报",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PrintRequest {
    pub kind: DocumentKind,
    /// The ledger filter (its scope is also the scope of the other documents).
    pub filter: LedgerFilter,
    /// The place as the title shows it (石鱼村, 石鱼村 3社, 石鱼镇（全镇）).
    pub scope_title: String,
    /// Open the PDF in the system's viewer when done.
    pub open: bool,
    /// The household, for 户档案.
    #[serde(default)]
    pub household_id: Option<i64>,
    /// Cases ticked in the ledger: their notices only (cases closed since are left out).
    #[serde(default)]
    pub case_ids: Option<Vec<i64>>,
    /// The spot-check sample, for its list and check sheets.
    #[serde(default)]
    pub sample_id: Option<i64>,
    /// The month of the bulletin, `YYYY-MM`.
    #[serde(default)]
    pub month: Option<String>,
}

fn sample_id(id: Option<i64>) -> Result<i64, huce_core::Error> {
    id.ok_or_else(|| huce_core::Error::Invalid("请先在左侧选择一个抽查样本，再打印。".into()))
}

#[derive(Debug, Clone, Serialize)]
pub struct PrintResult {
    pub path: String,
    pub pages: usize,
    pub bytes: usize,
    pub warnings: Vec<String>,
    /// Set when the viewer could not be started (the file is there all the same).
    pub open_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentSettings {
    pub notice: NoticeSettings,
    pub folder: String,
    /// The core's default notice paragraph, for 恢复默认正文 (not saved).
    #[serde(default, skip_deserializing)]
    pub default_text: String,
}

fn documents_dir(conn: &rusqlite::Connection, state: &AppState) -> Result<PathBuf, ApiError> {
    Ok(print::DocumentSettings::load(conn)?.documents_dir(&state.path))
}

#[tauri::command]
pub async fn document_settings(state: State<'_, AppState>) -> Result<DocumentSettings, ApiError> {
    let conn = state.conn()?;
    Ok(DocumentSettings {
        notice: NoticeSettings::load(&conn)?,
        folder: documents_dir(&conn, &state)?.display().to_string(),
        default_text: print::DEFAULT_NOTICE_TEXT.to_string(),
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
    .save(&conn)?;
    Ok(())
}

/// A file name that says what, where and when, and never overwrites an earlier print.
fn file_name(kind: DocumentKind, scope_title: &str) -> String {
    let place: String = scope_title
        .chars()
        .filter(|c| !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .collect();
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    format!("{}-{}-{stamp}.pdf", kind.title(), place.replace(' ', ""))
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
        let now = chrono::Local::now();
        let today = now.format("%Y-%m-%d").to_string();
        let month = now.format("%Y-%m").to_string();
        let scope: Scope = request.filter.scope;
        let progress = state.progress.clone();
        progress.0.store(0, Ordering::Relaxed);
        progress.1.store(1, Ordering::Relaxed);
        let printed: Printed = match request.kind {
            DocumentKind::Notices => {
                let cases = match &request.case_ids {
                    Some(ids) => print::open_cases_among(&conn, ids)?,
                    None => print::notice_cases(&conn, &request.filter, &month)?,
                };
                print::notices(&conn, &cases, &today, &mut |done, total| {
                    progress.1.store(total.max(1), Ordering::Relaxed);
                    progress.0.store(done, Ordering::Relaxed);
                })?
            }
            DocumentKind::ProblemLedger => {
                print::problem_ledger(&conn, &request.filter, &month, &today, &request.scope_title)?
            }
            DocumentKind::ToiletLedger => {
                print::toilet_ledger(&conn, scope, &today, &request.scope_title)?
            }
            DocumentKind::Signoff => {
                print::signoff_sheet(&conn, scope, &today, &request.scope_title)?
            }
            DocumentKind::HouseholdFile => {
                let id = request.household_id.ok_or_else(|| {
                    huce_core::Error::Invalid("请先在列表中选择一户，再打印户档案。".into())
                })?;
                print::household_file(&conn, id, &state.photo_dir(), &today)?
            }
            DocumentKind::SampleList => {
                print::sample_list(&conn, sample_id(request.sample_id)?, &today)?
            }
            DocumentKind::CheckSheets => {
                print::check_sheets(&conn, sample_id(request.sample_id)?, &today)?
            }
            DocumentKind::SampleFiles => {
                let rows = huce_core::sampling::rows(&conn, sample_id(request.sample_id)?)?;
                let mut seen = std::collections::HashSet::new();
                let households: Vec<i64> = rows
                    .iter()
                    .map(|r| r.household_id)
                    .filter(|h| seen.insert(*h))
                    .collect();
                print::household_files(&conn, &households, &state.photo_dir(), &today)?
            }
            DocumentKind::Bulletin => {
                let month = request.month.clone().unwrap_or_else(|| month.clone());
                print::bulletin(&conn, &month, &today)?
            }
        };
        let dir = documents_dir(&conn, &state)?;
        std::fs::create_dir_all(&dir).map_err(|source| huce_core::Error::Io {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(file_name(request.kind, &request.scope_title));
        let tmp = path.with_extension("part");
        std::fs::write(&tmp, &printed.bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| huce_core::Error::Io {
                path: path.clone(),
                source,
            })?;
        Ok::<_, ApiError>((path, printed))
    })
    .await
    .map_err(|_| ApiError::internal())??;
    let open_error = if request.open {
        app.opener()
            .open_path(path.display().to_string(), None::<&str>)
            .err()
            .map(|e| {
                format!("没能打开 PDF 阅读器（{e}）。文件已经保存，请到文件夹中双击打开后打印。")
            })
    } else {
        None
    };
    Ok(PrintResult {
        path: path.display().to_string(),
        pages: printed.pages,
        bytes: printed.bytes.len(),
        warnings: printed.warnings,
        open_error,
    })
}
