//! 待核实: the values imports left empty, by village and 社; correcting or settling them, and
//! the worklist as Excel (printing goes through `print_document`).

use huce_core::export::Personal;
use huce_core::households::{Disclosure, Scope};
use huce_core::paths;
use huce_core::pending::{self, PendingCheck, Settler, VillagePending};
use huce_core::permissions::Action;
use tauri::{AppHandle, State};

use crate::error::ApiError;
use crate::state::AppState;

/// Full ID and phone numbers only for a role that may see them.
fn disclosure(state: &AppState, full: bool) -> Result<Disclosure, ApiError> {
    if full {
        state.account()?.require(Action::ViewPersonal)?;
        Ok(Disclosure::Full)
    } else {
        Ok(Disclosure::Masked)
    }
}

#[tauri::command]
pub async fn pending_list(
    state: State<'_, AppState>,
    scope: Scope,
    full: bool,
) -> Result<Vec<PendingCheck>, ApiError> {
    let d = disclosure(&state, full)?;
    Ok(pending::list(&*state.conn()?, scope, d)?)
}

#[tauri::command]
pub async fn pending_villages(state: State<'_, AppState>) -> Result<Vec<VillagePending>, ApiError> {
    Ok(pending::by_village(&*state.conn()?)?)
}

#[tauri::command]
pub async fn household_pending(
    state: State<'_, AppState>,
    id: i64,
) -> Result<Vec<PendingCheck>, ApiError> {
    Ok(pending::of_household(
        &*state.conn()?,
        id,
        Disclosure::Masked,
    )?)
}

/// Runs `f` with the database and who settles: the logged-in account, now, and this year
/// (later years are implausible).
fn settle<T>(
    state: &AppState,
    f: impl FnOnce(huce_core::sql::Db<'_>, &Settler) -> huce_core::Result<T>,
) -> Result<T, ApiError> {
    let actor = state.account()?.actor();
    let now = crate::state::now();
    let by = Settler {
        actor: &actor,
        now: &now,
        current_year: chrono::Datelike::year(&crate::state::now_local()) as i64,
    };
    Ok(f(state.conn()?.db(), &by)?)
}

#[tauri::command]
pub async fn correct_pending(
    state: State<'_, AppState>,
    id: i64,
    value: String,
) -> Result<(), ApiError> {
    settle(&state, |conn, by| pending::correct(conn, id, &value, by))
}

#[tauri::command]
pub async fn leave_pending_empty(
    state: State<'_, AppState>,
    id: i64,
    note: String,
) -> Result<(), ApiError> {
    settle(&state, |conn, by| pending::leave_empty(conn, id, &note, by))
}

/// The worklist of `scope` as .xlsx; masked unless `full` (which needs ExportPersonal).
#[tauri::command]
pub async fn export_pending_xlsx(
    app: AppHandle,
    scope: Scope,
    scope_title: String,
    full: bool,
    out: String,
) -> Result<usize, ApiError> {
    super::blocking(app, move |state| {
        let personal = if full {
            state.account()?.require(Action::ExportPersonal)?;
            Personal::Full
        } else {
            Personal::Masked
        };
        let out = paths::output_file(&out, "xlsx", &state.path)?;
        Ok(pending::export_xlsx(
            &*state.conn()?,
            scope,
            &scope_title,
            personal,
            &out,
            &crate::state::now(),
        )?)
    })
    .await
}
