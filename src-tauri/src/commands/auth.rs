//! Login, accounts and the audit log. The gate (`gate.rs`) has already checked that the
//! session may call each command; these pass the session to the core, which checks again
//! where the rule depends on the data.

use huce_core::accounts::{self, Account, AccountInput};
use huce_core::audit::{self, Entry, Filter, Verification};
use huce_core::permissions::{self, Action};
use serde::Serialize;
use tauri::{AppHandle, State};

use super::blocking;
use crate::error::ApiError;
use crate::state::AppState;

fn now() -> String {
    audit::now()
}

#[derive(Serialize)]
pub struct AuthStatus {
    /// False on the first start: the UI asks for the administrator's account.
    pub has_accounts: bool,
    pub account: Option<Account>,
    /// What the account's role may do (the UI hides the rest; the gate refuses it anyway).
    pub allowed: Vec<Action>,
}

#[tauri::command]
pub async fn auth_status(state: State<'_, AppState>) -> Result<AuthStatus, ApiError> {
    let conn = state.conn()?;
    let account = state.session();
    let allowed = account.as_ref().map_or_else(Vec::new, |a| {
        Action::ALL
            .iter()
            .copied()
            .filter(|x| permissions::allowed(a.role, *x))
            .collect()
    });
    Ok(AuthStatus {
        has_accounts: accounts::any(&conn)?,
        account,
        allowed,
    })
}

/// The first start: creates the administrator and logs them in.
#[tauri::command]
pub async fn create_first_admin(
    state: State<'_, AppState>,
    input: AccountInput,
) -> Result<Account, ApiError> {
    let conn = state.conn()?;
    accounts::create_first_admin(&conn, &input, &now())?;
    let account = accounts::login(
        &conn,
        &input.username,
        input.password.as_deref().unwrap_or_default(),
        &now(),
    )?;
    state.set_session(Some(account.clone()));
    Ok(account)
}

#[tauri::command]
pub async fn login(
    state: State<'_, AppState>,
    username: String,
    password: String,
) -> Result<Account, ApiError> {
    let conn = state.conn()?;
    let account = accounts::login(&conn, &username, &password, &now())?;
    state.set_session(Some(account.clone()));
    Ok(account)
}

#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> Result<(), ApiError> {
    let me = state.account()?;
    state.set_session(None);
    Ok(accounts::logout(&*state.conn()?, &me, &now())?)
}

#[tauri::command]
pub async fn change_password(
    state: State<'_, AppState>,
    old: String,
    new: String,
) -> Result<(), ApiError> {
    let me = state.account()?;
    Ok(accounts::change_own_password(
        &*state.conn()?,
        &me,
        &old,
        &new,
        &now(),
    )?)
}

#[tauri::command]
pub async fn account_list(state: State<'_, AppState>) -> Result<Vec<Account>, ApiError> {
    Ok(accounts::list(&*state.conn()?)?)
}

/// Adds an account (`id` empty) or changes one.
#[tauri::command]
pub async fn save_account(
    state: State<'_, AppState>,
    id: Option<i64>,
    input: AccountInput,
) -> Result<Account, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    let saved = match id {
        Some(id) => accounts::update(&conn, &me, id, &input, &now())?,
        None => accounts::add(&conn, &me, &input, &now())?,
    };
    if saved.id == me.id {
        state.set_session(Some(saved.clone()));
    }
    Ok(saved)
}

#[tauri::command]
pub async fn unlock_account(state: State<'_, AppState>, id: i64) -> Result<(), ApiError> {
    let me = state.account()?;
    Ok(accounts::unlock(&*state.conn()?, &me, id, &now())?)
}

#[derive(Serialize)]
pub struct AuditPage {
    pub total: i64,
    pub entries: Vec<Entry>,
}

#[tauri::command]
pub async fn audit_log(
    state: State<'_, AppState>,
    filter: Filter,
    offset: i64,
    limit: i64,
) -> Result<AuditPage, ApiError> {
    let (total, entries) = audit::list(&*state.conn()?, &filter, offset, limit.clamp(1, 500))?;
    Ok(AuditPage { total, entries })
}

#[tauri::command]
pub async fn verify_audit(app: AppHandle) -> Result<Verification, ApiError> {
    blocking(app, move |state| {
        let conn = state.conn()?;
        Ok(audit::verify(&conn)?)
    })
    .await
}

#[tauri::command]
pub async fn export_audit_xlsx(
    app: AppHandle,
    filter: Filter,
    out: String,
) -> Result<usize, ApiError> {
    blocking(app, move |state| {
        let out = huce_core::paths::output_file(&out, "xlsx", &state.path)?;
        let conn = state.conn()?;
        Ok(huce_core::export::audit_xlsx(&conn, &filter, &out)?)
    })
    .await
}
