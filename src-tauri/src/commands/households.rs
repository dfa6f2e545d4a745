//! Browsing households by village and 社.

use huce_core::households::{
    self, Disclosure, HouseholdDetail, HouseholdPage, ListFilter, Scope, Tree,
};
use huce_core::permissions::Action;
use tauri::State;

use crate::error::ApiError;
use crate::state::AppState;

#[tauri::command]
pub async fn village_tree(state: State<'_, AppState>) -> Result<Tree, ApiError> {
    Ok(households::tree(&*state.conn()?)?)
}

#[tauri::command]
pub async fn list_households(
    state: State<'_, AppState>,
    scope: Scope,
    search: String,
    offset: i64,
    limit: i64,
    filter: Option<ListFilter>,
) -> Result<HouseholdPage, ApiError> {
    // A role that sees ID numbers only masked searches only the digits the mask shows.
    let disclosure = if state.account()?.require(Action::ViewPersonal).is_ok() {
        Disclosure::Full
    } else {
        Disclosure::Masked
    };
    let conn = state.conn()?;
    let mut filter = filter.unwrap_or_default();
    // The worklists are for today, with the town's working days for 立行立改.
    filter.today = Some(today());
    filter.immediate_days = huce_core::working::WorkingValues::load(&conn)?.immediate_overdue_days;
    Ok(households::list_in(
        &conn, scope, &search, &filter, disclosure, offset, limit,
    )?)
}

fn today() -> String {
    crate::state::now_local().format("%Y-%m-%d").to_string()
}

/// Households of the place on each worklist (核查 states and case lists), for the list's filter.
#[tauri::command]
pub async fn worklist_counts(
    state: State<'_, AppState>,
    scope: Scope,
) -> Result<Vec<(String, i64)>, ApiError> {
    let conn = state.conn()?;
    let days = huce_core::working::WorkingValues::load(&conn)?.immediate_overdue_days;
    Ok(households::worklist_counts(&conn, scope, &today(), days)?)
}

/// One household's full ID and phone numbers (the gate lets only roles that may see them
/// through; each look is audited).
#[tauri::command]
pub async fn reveal_personal(
    state: State<'_, AppState>,
    id: i64,
) -> Result<(Option<String>, Option<String>), ApiError> {
    Ok(households::reveal_personal(
        &*state.conn()?,
        id,
        &crate::state::now(),
    )?)
}

#[tauri::command]
pub async fn household_detail(
    state: State<'_, AppState>,
    id: i64,
) -> Result<HouseholdDetail, ApiError> {
    Ok(households::detail(&*state.conn()?, id, Disclosure::Masked)?)
}
