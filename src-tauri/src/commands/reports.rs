//! 月调度 and proving the data: the progress dashboard with the plan's phases, 多方比对, and
//! 区级抽查 samples. Heavy reads run off the UI thread.

use huce_core::compare::{self, Difference, Rate};
use huce_core::households::Scope;
use huce_core::progress::{self, Phase, Progress};
use huce_core::sampling::{self, Sample, SampleRow, SampleSpec};
use serde::Serialize;
use tauri::{AppHandle, State};

use super::blocking;
use crate::error::ApiError;
use crate::state::AppState;

/// Progress as of `as_of` (`YYYY-MM-DD`), today when empty.
#[tauri::command]
pub async fn progress_report(app: AppHandle, as_of: Option<String>) -> Result<Progress, ApiError> {
    blocking(app, move |state| {
        let conn = state.conn()?;
        let day = as_of
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| crate::state::now_local().format("%Y-%m-%d").to_string());
        Ok(progress::progress(&conn, &day)?)
    })
    .await
}

#[tauri::command]
pub async fn plan_phases(state: State<'_, AppState>) -> Result<Vec<Phase>, ApiError> {
    Ok(progress::phases(&*state.conn()?)?)
}

#[tauri::command]
pub async fn save_plan_phases(
    state: State<'_, AppState>,
    phases: Vec<Phase>,
) -> Result<Vec<Phase>, ApiError> {
    Ok(progress::save_phases(
        &*state.conn()?,
        &phases,
        &crate::state::now(),
    )?)
}

/// The comparison with at most `limit` differences listed (the rates cover all).
#[derive(Serialize)]
pub struct ComparisonView {
    pub total: usize,
    pub differences: Vec<Difference>,
    pub villages: Vec<Rate>,
    pub groups: Vec<Rate>,
    /// How the rates are judged (the town's working thresholds).
    note: String,
}

#[tauri::command]
pub async fn comparison(
    app: AppHandle,
    scope: Scope,
    limit: usize,
) -> Result<ComparisonView, ApiError> {
    blocking(app, move |state| {
        let conn = state.conn()?;
        let mut c = compare::compare(&conn, scope)?;
        let total = c.differences.len();
        c.differences.truncate(limit);
        Ok(ComparisonView {
            total,
            differences: c.differences,
            villages: c.villages,
            groups: c.groups,
            note: c.note,
        })
    })
    .await
}

#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Bulletin,
    Comparison,
    /// 问题厕所台账 in the district's layout, with the ledger's filter.
    ProblemLedger,
}

/// Writes the 月通报 table or the 多方比对 lists as xlsx; returns the rows written.
#[tauri::command]
pub async fn export_report_xlsx(
    app: AppHandle,
    kind: ReportKind,
    month: Option<String>,
    scope: Option<Scope>,
    filter: Option<huce_core::rectification::LedgerFilter>,
    scope_title: Option<String>,
    out: String,
) -> Result<usize, ApiError> {
    blocking(app, move |state| {
        let out = huce_core::paths::output_file(&out, "xlsx", &state.path)?;
        let conn = state.conn()?;
        let now = crate::state::now_local();
        let today = now.format("%Y-%m-%d").to_string();
        Ok(match kind {
            ReportKind::Bulletin => {
                let month = month.unwrap_or_else(|| now.format("%Y-%m").to_string());
                huce_core::reports::bulletin::bulletin_xlsx(&conn, &month, &today, &out)?
            }
            ReportKind::Comparison => {
                huce_core::compare::comparison_xlsx(&conn, scope.unwrap_or(Scope::Town), &out)?
            }
            ReportKind::ProblemLedger => {
                let filter = filter.unwrap_or_else(|| {
                    huce_core::rectification::LedgerFilter::all_of(scope.unwrap_or(Scope::Town))
                });
                huce_core::reports::problem_ledger::problem_ledger_xlsx(
                    &conn,
                    &filter,
                    scope_title.as_deref().unwrap_or(""),
                    &today,
                    &out,
                    &crate::state::now(),
                )?
                .rows
            }
        })
    })
    .await
}

#[derive(Serialize)]
pub struct SampleSummary {
    pub id: i64,
    pub created_at: String,
    pub size: i64,
    pub method: String,
}

#[tauri::command]
pub async fn sample_list(state: State<'_, AppState>) -> Result<Vec<SampleSummary>, ApiError> {
    Ok(sampling::samples(&*state.conn()?)?
        .into_iter()
        .map(|(id, created_at, size, method)| SampleSummary {
            id,
            created_at,
            size,
            method,
        })
        .collect())
}

/// The recommended size for estimating a rate of about 50% within ±5% at 95% confidence.
#[tauri::command]
pub async fn recommended_sample_size(population: usize) -> usize {
    sampling::recommended_size(population, 0.5, 0.05, 1.96)
}

/// Draws and keeps a sample, signed by the logged-in account; the seed is drawn by the program.
#[tauri::command]
pub async fn draw_sample(state: State<'_, AppState>, spec: SampleSpec) -> Result<Sample, ApiError> {
    let conn = state.conn()?;
    let actor = state.account()?.actor();
    let now = crate::state::now();
    Ok(sampling::draw(&conn, &spec, &actor, &now)?)
}

/// Writes the 工作总结 draft (.docx) as of `date` (today when not given); the figures it states.
#[tauri::command]
pub async fn export_summary_docx(
    app: AppHandle,
    date: Option<String>,
    out: String,
) -> Result<huce_core::print::summary::SummaryNumbers, ApiError> {
    blocking(app, move |state| {
        let out = huce_core::paths::output_file(&out, "docx", &state.path)?;
        let conn = state.conn()?;
        let date = date
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| crate::state::now_local().format("%Y-%m-%d").to_string());
        Ok(huce_core::print::summary::summary_docx(&conn, &date, &out)?)
    })
    .await
}

/// Matches the district's own spot-check list to the households (nothing written).
#[tauri::command]
pub async fn match_district_list(
    state: State<'_, AppState>,
    path: String,
) -> Result<huce_core::reports::district_list::ListMatch, ApiError> {
    Ok(huce_core::reports::district_list::match_list(
        &*state.conn()?,
        std::path::Path::new(&path),
    )?)
}

/// Keeps the district's list as a sample keyed in as 区级抽查.
#[tauri::command]
pub async fn keep_district_list(
    state: State<'_, AppState>,
    path: String,
) -> Result<Sample, ApiError> {
    let conn = state.conn()?;
    let actor = state.account()?.actor();
    let now = crate::state::now();
    Ok(huce_core::reports::district_list::keep_list(
        &conn,
        std::path::Path::new(&path),
        &actor,
        &now,
    )?
    .0)
}

/// Draws a recorded sample again from its seed and compares it with the record.
#[tauri::command]
pub async fn reproduce_sample(
    state: State<'_, AppState>,
    id: i64,
) -> Result<sampling::Reproduction, ApiError> {
    Ok(sampling::reproduce(&*state.conn()?, id)?)
}

#[derive(Serialize)]
pub struct SampleDetail {
    pub sample: Sample,
    pub rows: Vec<SampleRow>,
}

#[tauri::command]
pub async fn sample_detail(state: State<'_, AppState>, id: i64) -> Result<SampleDetail, ApiError> {
    let conn = state.conn()?;
    Ok(SampleDetail {
        sample: sampling::sample(&conn, id)?,
        rows: sampling::rows(&conn, id)?,
    })
}
