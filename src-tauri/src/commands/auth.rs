//! Login, accounts and the audit log. The gate (`gate.rs`) has already checked that the
//! session may call each command; these pass the session to the core, which checks again
//! where the rule depends on the data.

use huce_core::accounts::{self, Account, AccountInput};
use huce_core::audit::{self, Entry, Filter, Verification};
use huce_core::permissions::{self, Action};
use huce_core::working::WorkingValues;
use serde::Serialize;
use tauri::{AppHandle, State};

use super::blocking;
use crate::error::ApiError;
use crate::state::{now, AppState};

#[derive(Serialize)]
pub struct AuthStatus {
    /// False on the first start: the UI asks for the administrator's account.
    pub has_accounts: bool,
    pub account: Option<Account>,
    /// What the account's role may do (the UI hides the rest; the gate refuses it anyway).
    pub allowed: Vec<Action>,
    /// Minutes without use after which the session ends.
    pub idle_minutes: i64,
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
        idle_minutes: state.idle_minutes(),
    })
}

/// The first start: creates the administrator and logs them in.
#[tauri::command]
pub async fn create_first_admin(
    app: AppHandle,
    state: State<'_, AppState>,
    input: AccountInput,
) -> Result<Account, ApiError> {
    crate::state::writable(&app).await?;
    let conn = state.conn()?;
    accounts::create_first_admin(&conn, &input, &now())?;
    let account = accounts::login(
        &conn,
        &input.username,
        input.password.as_deref().unwrap_or_default(),
        &now(),
    )?;
    state.set_idle_minutes(accounts::idle_minutes(&conn)?);
    state.set_session(Some(account.clone()));
    Ok(account)
}

#[tauri::command]
pub async fn login(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    password: String,
) -> Result<Account, ApiError> {
    crate::state::writable(&app).await?;
    let conn = state.conn()?;
    let account = accounts::login(&conn, &username, &password, &now())?;
    state.set_idle_minutes(accounts::idle_minutes(&conn)?);
    state.set_session(Some(account.clone()));
    Ok(account)
}

/// Logs out; `idle` when the window did so after the idle time (recorded as automatic).
#[tauri::command]
pub async fn logout(state: State<'_, AppState>, idle: Option<bool>) -> Result<(), ApiError> {
    let me = state.account()?;
    state.set_session(None);
    let why = idle
        .unwrap_or(false)
        .then(|| format!("超过 {} 分钟没有操作", state.idle_minutes()));
    Ok(accounts::logout(
        &*state.conn()?,
        &me,
        why.as_deref(),
        &now(),
    )?)
}

/// Changes one's own password. Wrong old passwords count toward the lockout; when the account
/// locks, the session ends.
#[tauri::command]
pub async fn change_password(
    state: State<'_, AppState>,
    old: String,
    new: String,
) -> Result<Account, ApiError> {
    let me = state.account()?;
    let conn = state.conn()?;
    match accounts::change_own_password(&conn, &me, &old, &new, &now()) {
        Ok(()) => {
            let fresh = accounts::get(&conn, me.id)?;
            state.set_session(Some(fresh.clone()));
            Ok(fresh)
        }
        Err(e) => {
            if e.code() == "login" {
                state.set_session(None);
                huce_core::audit::set_actor(&conn, huce_core::audit::NOBODY)?;
            }
            Err(e.into())
        }
    }
}

/// Sets the idle time after which the app logs out (administrators).
#[tauri::command]
pub async fn save_idle_minutes(state: State<'_, AppState>, minutes: i64) -> Result<(), ApiError> {
    let me = state.account()?;
    accounts::save_idle_minutes(&*state.conn()?, &me, minutes, &now())?;
    state.set_idle_minutes(minutes);
    Ok(())
}

/// 本镇工作口径: the numbers the plan does not give.
#[tauri::command]
pub async fn working_values(state: State<'_, AppState>) -> Result<WorkingValues, ApiError> {
    Ok(WorkingValues::load(&*state.conn()?)?)
}

/// Saves 本镇工作口径 (administrators).
#[tauri::command]
pub async fn save_working_values(
    state: State<'_, AppState>,
    values: WorkingValues,
) -> Result<(), ApiError> {
    let me = state.account()?;
    values.save(&*state.conn()?, &me, &now())?;
    Ok(())
}

/// Checks an anchor printed on a 签字背书表 (the entry's number and the hex digits) against the
/// audit log.
#[tauri::command]
pub async fn check_printed_anchor(
    state: State<'_, AppState>,
    id: i64,
    hash: String,
) -> Result<String, ApiError> {
    Ok(audit::check_printed(&*state.conn()?, id, &hash)?)
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

/// What 核验 found, with the sentence that says exactly what was checked.
#[derive(Serialize)]
pub struct Verified {
    #[serde(flatten)]
    pub verification: Verification,
    pub message: String,
}

#[tauri::command]
pub async fn verify_audit(app: AppHandle) -> Result<Verified, ApiError> {
    blocking(app, move |state| {
        let conn = state.conn()?;
        let verification = audit::verify(&conn)?;
        Ok(Verified {
            message: verification.message(),
            verification,
        })
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
