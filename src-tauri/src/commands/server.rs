//! 连接服务器: which database this PC works on (#18). Reachable from the login screen, because the
//! first PC to reach an empty server has no account there yet; a switch is allowed only while
//! no database is open, while the open one has no accounts, or to an administrator.

use huce_core::permissions::{self, Action};
use huce_core::sql::Store;
use serde::Serialize;
use tauri::AppHandle;

use super::blocking;
use crate::error::ApiError;
use crate::server_link::{self, ServerSettings};
use crate::state::AppState;

#[derive(Serialize)]
pub struct ServerStatus {
    /// "file" or "server".
    pub engine: &'static str,
    /// The file's path or the server's `host:port/database`.
    pub name: String,
    /// The saved settings (never the password).
    pub settings: Option<ServerSettings>,
}

#[derive(Serialize)]
pub struct Told {
    pub message: String,
}

#[tauri::command]
pub async fn server_status(app: AppHandle) -> Result<ServerStatus, ApiError> {
    blocking(app, |state| {
        let (engine, name) = state.database_label();
        Ok(ServerStatus {
            engine,
            name,
            settings: state.server(),
        })
    })
    .await
}

/// Refuses a switch of databases unless nothing is open, the open database has no accounts
/// yet, or an administrator is logged in.
fn may_switch(state: &AppState) -> Result<(), ApiError> {
    let Ok(conn) = state.conn() else {
        return Ok(());
    };
    if !huce_core::accounts::any(&conn)? {
        return Ok(());
    }
    match state.session() {
        Some(a) if permissions::allowed(a.role, Action::ManageAccounts) => Ok(()),
        _ => Err(huce_core::Error::Invalid(
            "只有管理员可以更改这台电脑连接的数据库。请管理员登录后，在右上角“管理”菜单中打开“连接服务器…”。".into(),
        )
        .into()),
    }
}

/// The password typed, or (left empty) the one kept for these settings.
fn password_for(settings: &ServerSettings, typed: &str) -> Result<String, ApiError> {
    if !typed.is_empty() {
        return Ok(typed.to_string());
    }
    server_link::password(settings)?.ok_or_else(|| {
        huce_core::Error::Invalid("请填写密码（由管理员在服务器上设置）。".into()).into()
    })
}

/// Tries the settings without using them: can the server be reached, does the login work,
/// and what the database holds.
#[tauri::command]
pub async fn server_test(
    app: AppHandle,
    settings: ServerSettings,
    password: String,
) -> Result<Told, ApiError> {
    blocking(app, move |_| {
        settings.check()?;
        let password = password_for(&settings, &password)?;
        let mut server = huce_core::server::connect(&settings.url(&password))?;
        let link = match server.encrypted() {
            Some(true) => "连接已加密",
            Some(false) => "连接未加密",
            None => "",
        };
        let message = match server.schema_version()? {
            Some(v) if v == huce_core::db::SCHEMA_VERSION => {
                let conn = server.into_conn();
                let (households, toilets) =
                    huce_core::households::counts(huce_core::sql::Db::Server(&conn))?;
                format!(
                    "连接成功：服务器 {} 上已有本程序的数据（农户 {households} 户，户厕 {toilets} 个）。",
                    settings.name()
                )
            }
            Some(v) if v > huce_core::db::SCHEMA_VERSION => format!(
                "连接成功，但服务器上的数据是第 {v} 版结构，比本程序（第 {} 版）新：请先把这台电脑的程序升级到与其他电脑相同的版本。",
                huce_core::db::SCHEMA_VERSION
            ),
            Some(v) if v >= huce_core::db::POSTGRES_BASE_VERSION => format!(
                "连接成功：服务器上的数据是旧版程序的第 {v} 版结构。点“连接并使用”后会升级到第 {} 版（数据都保留）；之后其他电脑也要换成本版程序才能连接。",
                huce_core::db::SCHEMA_VERSION
            ),
            Some(v) => format!(
                "连接成功，但服务器上的数据是第 {v} 版结构，太旧，本程序无法升级。请管理员用 huce pull 拉取副本后在新建的空数据库上重新推送。"
            ),
            None if server.tables()?.is_empty() => format!(
                "连接成功：服务器上的数据库 {} 是空的。点“连接并使用”后会建好数据表，然后请建立管理员账户（或由管理员用 huce push 推送本机数据）。",
                settings.name()
            ),
            None => format!(
                "连接成功，但数据库 {} 里有别的数据，不是本程序的。请换一个数据库名，或请管理员新建一个空数据库。",
                settings.name()
            ),
        };
        let message = if link.is_empty() {
            message
        } else {
            format!("{message}（{link}）")
        };
        Ok(Told { message })
    })
    .await
}

/// Works on the server from now on: the connection is made (an empty database is set up), the
/// password goes to the credential store, the settings beside the local file; everyone logs in
/// again (the accounts are the server's).
#[tauri::command]
pub async fn server_use(
    app: AppHandle,
    settings: ServerSettings,
    password: String,
) -> Result<Told, ApiError> {
    blocking(app, move |state| {
        state.wait_writable()?;
        may_switch(state)?;
        let password = password_for(&settings, &password)?;
        let store = crate::state::open_server(&settings, Some(&password))?;
        server_link::store_password(&settings, &password)?;
        server_link::save(&state.path, &settings)?;
        let previous = state.server();
        if let Some(old) = previous.filter(|old| old != &settings) {
            server_link::forget_password(&old);
        }
        state.set_session(None);
        state.set_server(Some(settings.clone()));
        state.replace(Ok(store));
        Ok(Told {
            message: format!("已连接服务器 {}。请登录。", settings.name()),
        })
    })
    .await
}

/// Goes back to the local file.
#[tauri::command]
pub async fn server_leave(app: AppHandle) -> Result<Told, ApiError> {
    blocking(app, |state| {
        state.wait_writable()?;
        may_switch(state)?;
        if let Some(old) = state.server() {
            server_link::forget_password(&old);
        }
        server_link::remove(&state.path)?;
        state.set_session(None);
        state.set_server(None);
        // The server connection is let go before the file is opened.
        state.replace(Err(ApiError::internal()));
        let opened = state.open_file();
        let ok = opened.is_ok();
        state.replace(opened);
        Ok(Told {
            message: if ok {
                format!("已改用本机文件 {}。请登录。", state.path.display())
            } else {
                "已改用本机文件，但它打不开，见页面上的说明。".into()
            },
        })
    })
    .await
}

/// Tries the saved server again (the 重试连接 of the page shown when it could not be reached).
#[tauri::command]
pub async fn server_retry(app: AppHandle) -> Result<Told, ApiError> {
    blocking(app, |state| {
        // The same database again: whoever is logged in stays so, and is the one its changes
        // are recorded as.
        let opened: Result<Store, ApiError> = match state.server() {
            Some(settings) => crate::state::open_server(&settings, None),
            None => {
                state.let_go();
                state.open_file()
            }
        };
        let result = opened.as_ref().map(|_| ()).map_err(Clone::clone);
        state.reconnect(opened);
        result?;
        Ok(Told {
            message: "已连接。".into(),
        })
    })
    .await
}
