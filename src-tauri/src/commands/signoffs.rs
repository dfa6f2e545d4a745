//! 签字背书 in the app: the counts for a place, signing its results as 审核人 or 负责人, and
//! unlocking one reviewed result with a reason. The core checks the role for each step.

use huce_core::households::Scope;
use huce_core::signoff::{self, Progress, Signed, Step};
use tauri::State;

use crate::error::ApiError;
use crate::state::AppState;

#[tauri::command]
pub async fn signoff_status(
    state: State<'_, AppState>,
    scope: Scope,
) -> Result<Progress, ApiError> {
    Ok(signoff::progress(&*state.conn()?, scope)?)
}

/// Signs the latest result of every toilet in `scope` (or the given inspections) as `step`.
#[tauri::command]
pub async fn sign_results(
    state: State<'_, AppState>,
    scope: Option<Scope>,
    inspection_ids: Option<Vec<i64>>,
    step: Step,
) -> Result<Signed, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    let ids = match (inspection_ids, scope) {
        (Some(ids), _) => ids,
        (None, Some(scope)) => signoff::latest_in(&conn, scope)?,
        (None, None) => Vec::new(),
    };
    Ok(signoff::sign(&conn, &me, &ids, step, &crate::state::now())?)
}

#[tauri::command]
pub async fn unlock_result(
    state: State<'_, AppState>,
    inspection_id: i64,
    reason: String,
) -> Result<(), ApiError> {
    let me = state.account()?;
    Ok(signoff::unlock(
        &*state.conn()?,
        &me,
        inspection_id,
        &reason,
        &crate::state::now(),
    )?)
}
