//! Importing and exporting ledgers (导入台账、导出 Excel). Long imports run off the UI thread
//! and report progress through `import_progress`, which never waits for the database.

use std::sync::atomic::Ordering;

use huce_core::export::{self, ExportSummary, ExportTemplate, Personal};
use huce_core::households::Scope;
use huce_core::import::apply::{self, BaselineList, ImportOptions, ImportReport, Mode};
use huce_core::import::headers::Field;
use huce_core::paths;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize)]
pub struct ImportRequest {
    pub path: String,
    pub sheet: Option<String>,
    pub columns: Option<Vec<Option<Field>>>,
    pub default_village: Option<String>,
    pub create_places: bool,
    /// 摸排名单 or 财政补助改厕名单 (recognised when not said).
    #[serde(default)]
    pub list: BaselineList,
}

impl ImportRequest {
    /// The options of this import, recorded as done by `actor` (the logged-in account).
    fn options(&self, actor: String) -> ImportOptions {
        let local = crate::state::now_local();
        ImportOptions {
            sheet: self.sheet.clone(),
            columns: self.columns.clone(),
            default_village: self
                .default_village
                .clone()
                .filter(|v| !v.trim().is_empty()),
            create_places: self.create_places,
            actor,
            now: crate::state::now(),
            current_year: chrono::Datelike::year(&local) as i64,
            list: self.list,
        }
    }
}

#[derive(Serialize)]
pub struct FieldChoice {
    pub code: Field,
    pub label: &'static str,
}

/// The fields a column can be mapped to, for the mapping drop-downs.
#[tauri::command]
pub async fn import_fields() -> Vec<FieldChoice> {
    Field::ALL
        .iter()
        .map(|f| FieldChoice {
            code: *f,
            label: f.label(),
        })
        .collect()
}

fn run_import(
    app: &AppHandle,
    req: &ImportRequest,
    commit: bool,
) -> Result<ImportReport, ApiError> {
    let state = app.state::<AppState>();
    let path = paths::input_file(&req.path)?;
    let mode = if commit {
        Mode::Commit {
            backup_dir: state.backup_dir(),
            stamp: crate::state::now_local()
                .format("%Y%m%d-%H%M%S")
                .to_string(),
        }
    } else {
        Mode::DryRun
    };
    let conn = state.conn()?;
    let progress = state.progress.clone();
    progress.0.store(0, Ordering::Relaxed);
    progress.1.store(1, Ordering::Relaxed);
    let report = apply::import_into(
        &conn,
        &path,
        &req.options(state.account()?.actor()),
        &mode,
        &mut |done, total| {
            progress.0.store(done, Ordering::Relaxed);
            progress.1.store(total.max(1), Ordering::Relaxed);
        },
    )?;
    Ok(report)
}

/// Checks the file and shows what an import would do; nothing is written.
#[tauri::command]
pub async fn import_preview(
    app: AppHandle,
    request: ImportRequest,
) -> Result<ImportReport, ApiError> {
    tauri::async_runtime::spawn_blocking(move || run_import(&app, &request, false)).await?
}

/// Imports for real: backup, then one transaction.
#[tauri::command]
pub async fn import_commit(
    app: AppHandle,
    request: ImportRequest,
) -> Result<ImportReport, ApiError> {
    tauri::async_runtime::spawn_blocking(move || run_import(&app, &request, true)).await?
}

/// Rows processed so far and in all, of the import under way.
#[tauri::command]
pub async fn import_progress(state: State<'_, AppState>) -> Result<(usize, usize), ApiError> {
    Ok((
        state.progress.0.load(Ordering::Relaxed),
        state.progress.1.load(Ordering::Relaxed),
    ))
}

/// Writes the rows with problems to an .xlsx for the village to correct.
#[tauri::command]
pub async fn import_save_problems(
    app: AppHandle,
    request: ImportRequest,
    out: String,
) -> Result<usize, ApiError> {
    tauri::async_runtime::spawn_blocking(move || {
        let report = run_import(&app, &request, false)?;
        let state = app.state::<AppState>();
        let out = paths::output_file(&out, "xlsx", &state.path)?;
        Ok(apply::write_problem_rows(
            &paths::input_file(&request.path)?,
            &report,
            &out,
        )?)
    })
    .await?
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Ledger,
    Households,
    Template,
}

#[derive(Serialize)]
pub struct TemplateChoices {
    /// The ledger columns a template can use.
    pub sources: Vec<&'static str>,
    pub templates: Vec<ExportTemplate>,
}

#[tauri::command]
pub async fn export_templates(state: State<'_, AppState>) -> Result<TemplateChoices, ApiError> {
    Ok(TemplateChoices {
        sources: export::template_sources(),
        templates: export::templates(&*state.conn()?)?,
    })
}

#[tauri::command]
pub async fn save_export_template(
    state: State<'_, AppState>,
    template: ExportTemplate,
) -> Result<(), ApiError> {
    Ok(export::save_template(
        &*state.conn()?,
        &template,
        &crate::state::now(),
    )?)
}

#[tauri::command]
pub async fn delete_export_template(
    state: State<'_, AppState>,
    name: String,
) -> Result<(), ApiError> {
    Ok(export::delete_template(
        &*state.conn()?,
        &name,
        &crate::state::now(),
    )?)
}

/// Exports the household list's worklist (工作清单) of `scope` as .xlsx, masked.
#[tauri::command]
pub async fn export_worklist(
    app: AppHandle,
    scope: Scope,
    scope_title: String,
    list: huce_core::households::ListFilter,
    out: String,
) -> Result<ExportSummary, ApiError> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let out = paths::output_file(&out, "xlsx", &state.path)?;
        let conn = state.conn()?;
        let mut list = list;
        list.today = Some(crate::state::now_local().format("%Y-%m-%d").to_string());
        list.immediate_days =
            huce_core::working::WorkingValues::load(&conn)?.immediate_overdue_days;
        Ok(export::worklist_xlsx(
            &conn,
            scope,
            &list,
            &scope_title,
            &out,
            &crate::state::now(),
        )?)
    })
    .await?
}

/// Exports the 改厕台账, the household list, or a template's columns of `scope`; masked unless
/// `full`.
#[tauri::command]
pub async fn export_xlsx(
    app: AppHandle,
    kind: ExportKind,
    template: Option<String>,
    scope: Scope,
    full: bool,
    out: String,
) -> Result<ExportSummary, ApiError> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        if full {
            state
                .account()?
                .require(huce_core::permissions::Action::ExportPersonal)?;
        }
        let out = paths::output_file(&out, "xlsx", &state.path)?;
        let conn = state.conn()?;
        let personal = if full {
            Personal::Full
        } else {
            Personal::Masked
        };
        let now = crate::state::now();
        Ok(match kind {
            ExportKind::Ledger => export::toilet_ledger(&conn, scope, personal, &out, &now)?,
            ExportKind::Households => export::household_list(&conn, scope, personal, &out, &now)?,
            ExportKind::Template => {
                let name = template
                    .ok_or_else(|| huce_core::Error::Invalid("请先选择导出模板。".into()))?;
                export::with_template(&conn, &name, scope, personal, &out, &now)?
            }
        })
    })
    .await?
}
