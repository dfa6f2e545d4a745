//! The field work: staff and problem-item lists, inspection entry with photos, the problem
//! ledger and its moves. Each command checks nothing the core does not; it passes today's date
//! and the time, and maps errors.

use std::path::PathBuf;

use huce_core::escalation::{self, EscalationInput};
use huce_core::inspections::{
    self, CorrectionInput, FieldFile, InspectionInput, ProblemInput, Saved,
};
use huce_core::paper::{self, CaseFile, NoticeEntry, PaperInput};
use huce_core::photos::{self, Photo};
use huce_core::problem_items::{self, ProblemItem, ProblemItemInput};
use huce_core::rectification::{self, DecisionInput, LedgerFilter, LedgerPage, MoveInput};
use huce_core::rules::Proposal;
use huce_core::search_keys::{self, Keyed};
use huce_core::staff::{self, Staff, StaffInput};
use huce_core::versions::{self, Versioned};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::ApiError;
use crate::state::{now, AppState};

fn today() -> String {
    crate::state::now_local().format("%Y-%m-%d").to_string()
}

#[tauri::command]
pub async fn staff_list(
    state: State<'_, AppState>,
    include_inactive: bool,
) -> Result<Vec<Keyed<Staff>>, ApiError> {
    Ok(staff::list_staff(&*state.conn()?, include_inactive)?
        .into_iter()
        .map(|s| {
            let initials = search_keys::initials_variants(&s.name);
            Keyed::new(s, initials)
        })
        .collect())
}

/// Adds a staff member (`id` empty) or changes one.
#[tauri::command]
pub async fn save_staff(
    state: State<'_, AppState>,
    id: Option<i64>,
    input: StaffInput,
) -> Result<i64, ApiError> {
    let conn = state.conn()?;
    Ok(match id {
        Some(id) => {
            staff::update_staff(&conn, id, &input, &now())?;
            id
        }
        None => staff::add_staff(&conn, &input, &now())?,
    })
}

#[tauri::command]
pub async fn problem_items(
    state: State<'_, AppState>,
    include_retired: bool,
) -> Result<Vec<Keyed<ProblemItem>>, ApiError> {
    Ok(
        problem_items::problem_items(&*state.conn()?, include_retired)?
            .into_iter()
            .map(|i| {
                let initials = search_keys::term_initials(&i.name);
                Keyed::new(i, initials)
            })
            .collect(),
    )
}

#[tauri::command]
pub async fn save_problem_item(
    state: State<'_, AppState>,
    id: Option<i64>,
    input: ProblemItemInput,
) -> Result<i64, ApiError> {
    let conn = state.conn()?;
    Ok(match id {
        Some(id) => {
            problem_items::update_problem_item(&conn, id, &input, &now())?;
            id
        }
        None => problem_items::add_problem_item(&conn, &input, &now())?,
    })
}

#[derive(Serialize)]
pub struct Field {
    code: &'static str,
    label: &'static str,
}

/// The baseline fields the inspection form can correct.
#[tauri::command]
pub async fn correctable_fields() -> Vec<Field> {
    inspections::correctable_fields()
        .into_iter()
        .map(|(code, label)| Field { code, label })
        .collect()
}

/// Copies a picked photo into the app's photo folder at once.
#[tauri::command]
pub async fn store_photo(state: State<'_, AppState>, path: PathBuf) -> Result<Photo, ApiError> {
    let conn = state.conn()?;
    Ok(photos::store(&conn, &state.photo_dir(), &path, &now())?)
}

/// 照片导入: how a folder of photos named by household would be attached (nothing written).
#[tauri::command]
pub async fn plan_photo_import(
    state: State<'_, AppState>,
    folder: PathBuf,
) -> Result<huce_core::fieldwork::photo_import::PhotoPlan, ApiError> {
    Ok(huce_core::fieldwork::photo_import::plan(
        &*state.conn()?,
        &folder,
    )?)
}

/// 照片导入: attaches the folder's photos to their households' latest inspections.
#[tauri::command]
pub async fn import_photos(
    state: State<'_, AppState>,
    folder: PathBuf,
) -> Result<huce_core::fieldwork::photo_import::PhotoPlan, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    Ok(huce_core::fieldwork::photo_import::import(
        &conn,
        &me,
        &folder,
        &state.photo_dir(),
        &now(),
    )?)
}

/// A stored photo as a `data:` URL, for thumbnails.
#[tauri::command]
pub async fn photo_data(state: State<'_, AppState>, hash: String) -> Result<String, ApiError> {
    let conn = state.conn()?;
    let (bytes, mime) = photos::read(&conn, &state.photo_dir(), &hash)?;
    Ok(photos::data_url(&bytes, mime))
}

#[tauri::command]
pub async fn preview_proposal(
    state: State<'_, AppState>,
    toilet_id: i64,
    problems: Vec<ProblemInput>,
    corrections: Vec<CorrectionInput>,
) -> Result<Proposal, ApiError> {
    Ok(inspections::preview_proposal(
        &*state.conn()?,
        toilet_id,
        &problems,
        &corrections,
    )?)
}

/// Saves a filled-in form as the logged-in account (the core checks the role for the kind of
/// result, a category decision and an on-site close-out, and signs with the account's person).
/// `household_version` is the household's version the form was opened on: a change saved
/// meanwhile on another PC refuses this save with who made it.
#[tauri::command]
pub async fn save_inspection(
    state: State<'_, AppState>,
    input: InspectionInput,
    household_id: Option<i64>,
    household_version: Option<i64>,
) -> Result<SavedForm, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    let seen = household_id.zip(household_version);
    let saved = versions::checked(
        &conn,
        Versioned::Household,
        seen.map_or(0, |s| s.0),
        seen.map(|s| s.1),
        |db| inspections::save(db, &me, &input, &today(), &now()),
    )?;
    // The household's version after this save: the form's next toilet names it.
    let household_version = match household_id {
        Some(id) => Some(versions::current(&conn, Versioned::Household, id)?),
        None => None,
    };
    Ok(SavedForm {
        saved,
        household_version,
    })
}

/// A saved form, with the household's version after it.
#[derive(Serialize)]
pub struct SavedForm {
    #[serde(flatten)]
    pub saved: Saved,
    pub household_version: Option<i64>,
}

#[tauri::command]
pub async fn field_file(
    state: State<'_, AppState>,
    household_id: i64,
) -> Result<FieldFile, ApiError> {
    Ok(inspections::field_file(&*state.conn()?, household_id)?)
}

#[tauri::command]
pub async fn problem_ledger(
    state: State<'_, AppState>,
    filter: LedgerFilter,
    offset: i64,
    limit: i64,
) -> Result<LedgerPage, ApiError> {
    Ok(rectification::ledger(
        &*state.conn()?,
        &filter,
        &today(),
        offset,
        limit,
    )?)
}

/// A case with its notice in the register.
#[tauri::command]
pub async fn rectification_case(state: State<'_, AppState>, id: i64) -> Result<CaseFile, ApiError> {
    Ok(paper::case_file(&*state.conn()?, id)?)
}

#[tauri::command]
pub async fn decide_category(
    state: State<'_, AppState>,
    case_id: i64,
    decision: DecisionInput,
    actor_id: i64,
    case_version: Option<i64>,
) -> Result<CaseFile, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    versions::checked(&conn, Versioned::Case, case_id, case_version, |db| {
        rectification::decide_with(db, &me, case_id, &decision, actor_id, &today(), &now())
    })?;
    Ok(paper::case_file(&conn, case_id)?)
}

#[tauri::command]
pub async fn move_case(
    state: State<'_, AppState>,
    input: MoveInput,
    case_version: Option<i64>,
) -> Result<CaseFile, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    versions::checked(&conn, Versioned::Case, input.case_id, case_version, |db| {
        rectification::move_case(db, &me, &input, &today(), &now())
    })?;
    Ok(paper::case_file(&conn, input.case_id)?)
}

/// Copies a picked scan of a signed paper (回执, 验收单: PDF or image) into the photo folder.
#[tauri::command]
pub async fn store_scan(state: State<'_, AppState>, path: PathBuf) -> Result<Photo, ApiError> {
    let conn = state.conn()?;
    Ok(photos::store_scan(
        &conn,
        &state.photo_dir(),
        &path,
        &now(),
    )?)
}

/// Opens a stored scan or photo with the system's viewer (from Rust: the webview has no opener).
#[tauri::command]
pub async fn open_scan(
    app: AppHandle,
    state: State<'_, AppState>,
    hash: String,
) -> Result<(), ApiError> {
    let path = photos::file_path(&*state.conn()?, &state.photo_dir(), &hash)?;
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| ApiError {
            code: "open_failed".into(),
            message: format!(
                "没能打开扫描件（{e}）。文件在“{}”，请到文件夹中双击打开。",
                path.display()
            ),
        })
}

/// Records that a case's notice was handed to the household.
#[tauri::command]
pub async fn record_notice_delivery(
    state: State<'_, AppState>,
    input: PaperInput,
) -> Result<CaseFile, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    paper::record_delivery(&conn, &me, &input, &today(), &now())?;
    Ok(paper::case_file(&conn, input.case_id)?)
}

/// Records a case's signed 回执 back (with its scan), or attaches the scan later.
#[tauri::command]
pub async fn record_notice_receipt(
    state: State<'_, AppState>,
    input: PaperInput,
) -> Result<CaseFile, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    paper::record_receipt(&conn, &me, &input, &today(), &now())?;
    Ok(paper::case_file(&conn, input.case_id)?)
}

/// Attaches the scan of the signed 验收单 to a closed case, or replaces it (with a reason).
#[tauri::command]
pub async fn attach_acceptance_scan(
    state: State<'_, AppState>,
    case_id: i64,
    scan: String,
    reason: Option<String>,
) -> Result<CaseFile, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    paper::replace_acceptance_scan(&conn, &me, case_id, &scan, reason.as_deref(), &now())?;
    Ok(paper::case_file(&conn, case_id)?)
}

/// Reports a case to the district's 人居办 (报区人居办研究解决), with the reason.
#[tauri::command]
pub async fn escalate_case(
    state: State<'_, AppState>,
    input: EscalationInput,
) -> Result<CaseFile, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    escalation::escalate(&conn, &me, &input, &today(), &now())?;
    Ok(paper::case_file(&conn, input.case_id)?)
}

/// Records the district's answer to a reported case.
#[tauri::command]
pub async fn record_escalation_reply(
    state: State<'_, AppState>,
    input: EscalationInput,
) -> Result<CaseFile, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    escalation::record_reply(&conn, &me, &input, &today(), &now())?;
    Ok(paper::case_file(&conn, input.case_id)?)
}

/// A household's notices in the register (the 户档案's list).
/// 新增农户: a household found at the door (入户核查新增); its id.
#[tauri::command]
pub async fn add_found_household(
    state: State<'_, AppState>,
    household: huce_core::found::FoundHousehold,
) -> Result<i64, ApiError> {
    let me = state.account()?;
    Ok(huce_core::found::add_household(
        &*state.conn()?,
        &me,
        &household,
        &now(),
    )?)
}

/// 新增户厕: a toilet of a listed household found at the door; its id.
#[tauri::command]
pub async fn add_found_toilet(
    state: State<'_, AppState>,
    household_id: i64,
    toilet: huce_core::found::FoundToilet,
) -> Result<i64, ApiError> {
    let me = state.account()?;
    Ok(huce_core::found::add_toilet(
        &*state.conn()?,
        &me,
        household_id,
        &toilet,
        &now(),
    )?)
}

#[tauri::command]
pub async fn household_notices(
    state: State<'_, AppState>,
    household_id: i64,
) -> Result<Vec<NoticeEntry>, ApiError> {
    Ok(paper::household_notices(&*state.conn()?, household_id)?)
}
