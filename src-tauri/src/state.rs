//! Where the database lives and the one connection the commands share.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use huce_core::accounts::Account;
use huce_core::sql::{Db, Store};
#[cfg(test)]
use rusqlite::Connection;
use tauri::{AppHandle, Manager};

use crate::error::ApiError;
use crate::server_link::ServerSettings;

/// The present time as the audit log writes it (RFC 3339 with the local offset). The shell
/// reads the clock; the core is always given the time.
pub fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The present local time, for backups, file names and printed dates.
pub fn now_local() -> chrono::NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// [`AppState::wait_writable`] off the async runtime's threads.
pub async fn writable(app: &AppHandle) -> Result<(), ApiError> {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || app.state::<AppState>().wait_writable())
        .await
        .map_err(|_| ApiError::internal())?
}

/// File name of the embedded default database inside the per-user app-data folder.
pub const DEFAULT_DB_FILE: &str = "huce.db";

/// The database path: `--db PATH` on the command line, else `HUCE_DB`, else the OS's per-user
/// app-data folder (on Windows `%APPDATA%\cn.cq.tongliang.shiyu.huce\huce.db`).
pub fn database_path(app: &AppHandle) -> Result<PathBuf, Box<dyn std::error::Error>> {
    database_path_of(app, std::env::args_os().skip(1))
}

/// [`database_path`] for the command line `args` (without the program's name) — also a second
/// start's, which the single-instance plugin hands over.
pub fn database_path_of(
    app: &AppHandle,
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString>>,
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        if arg == "--db" {
            if let Some(p) = args.next() {
                return Ok(PathBuf::from(p));
            }
        }
    }
    if let Some(p) = std::env::var_os("HUCE_DB").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let dir = app.path().app_data_dir()?;
    Ok(dir.join(DEFAULT_DB_FILE))
}

pub struct AppState {
    pub path: PathBuf,
    /// Rows done and in all of the import under way (read without locking the database).
    pub progress: Arc<(AtomicUsize, AtomicUsize)>,
    /// The open database — the local file or the server's — or why it could not be opened
    /// (shown to the user instead of crashing). Replaced when the PC switches databases.
    db: Mutex<Result<Store, ApiError>>,
    /// The server this PC works on (None: the local file).
    server: Mutex<Option<ServerSettings>>,
    /// Who is logged in on this window, and when the window last asked for anything.
    session: Mutex<Option<(Account, Instant)>>,
    /// Minutes without use after which the session ends (the setting, read at login).
    idle_minutes: AtomicI64,
    /// Held while this window has the database file open, so a second program cannot open it
    /// too (none while it works on a server).
    lock: Mutex<Option<std::fs::File>>,
    /// The checks and the daily backup that run after the window shows (#21).
    checking: (Mutex<Checking>, Condvar),
}

/// Where the checks after the start are (see [`AppState::check_after_start`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Checking {
    /// Not started yet, or under way at this step.
    Under(huce_core::backup::AfterStart),
    /// Both checks passed; the daily backup taken or already there.
    Passed,
    /// Nothing to check: the PC works on the server (its backups are the server's).
    NotNeeded,
    /// A check found the file damaged (the message says what to do).
    Damaged(String),
    /// The checks passed, the daily backup failed (the message says why).
    BackupFailed(String),
}

impl Checking {
    /// Whether the file may be written: the quick check has passed and nothing found damage.
    fn writable(&self) -> Option<Result<(), String>> {
        match self {
            Checking::Under(huce_core::backup::AfterStart::QuickCheck) => None,
            Checking::Damaged(m) => Some(Err(m.clone())),
            _ => Some(Ok(())),
        }
    }
}

/// The open database, locked for one command. Core functions take it as they take a
/// connection (`&conn`).
pub struct Conn<'a>(MutexGuard<'a, Result<Store, ApiError>>);

impl std::ops::Deref for Conn<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        match &*self.0 {
            Ok(store) => store,
            // A Conn is only made over an open store (see AppState::conn).
            Err(_) => unreachable!("a Conn holds an open database"),
        }
    }
}

impl std::fmt::Debug for Conn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.engine() {
            huce_core::sql::Engine::File => "Conn(file)",
            huce_core::sql::Engine::Server => "Conn(server)",
        })
    }
}

impl Conn<'_> {
    /// The local file's connection, mutably (the demo generator and a restore need it);
    /// on the server, a Chinese error naming `what`.
    pub fn file_mut(&mut self, what: &str) -> Result<&mut rusqlite::Connection, ApiError> {
        match &mut *self.0 {
            Ok(Store::File(c)) => Ok(c),
            Ok(Store::Server(_)) => Err(huce_core::Error::Invalid(format!(
                "{what}只用于本机数据库文件；现在连接的是服务器数据库，请在服务器上由管理员处理。"
            ))
            .into()),
            Err(e) => Err(e.clone()),
        }
    }
}

impl<'a> From<&'a Conn<'_>> for Db<'a> {
    fn from(c: &'a Conn<'_>) -> Db<'a> {
        c.db()
    }
}

/// The session a call runs under, after the idle check.
pub struct CallSession {
    pub account: Option<Account>,
    /// The session ended just now because it was idle too long: whose it was, and the message
    /// that says so. Recording it ([`AppState::record_idle_logout`]) is the caller's, off the
    /// window's thread.
    pub expired: Option<(Account, String)>,
}

impl AppState {
    /// Opens the database this PC works on: the server named by `HUCE_SERVER_URL` (for
    /// administrators and tests) or by the saved connection settings beside `path`, else the
    /// local file at `path`.
    pub fn open(path: PathBuf) -> AppState {
        let state = AppState {
            path,
            db: Mutex::new(Err(ApiError::internal())),
            server: Mutex::new(None),
            progress: Arc::new((AtomicUsize::new(0), AtomicUsize::new(1))),
            session: Mutex::new(None),
            idle_minutes: AtomicI64::new(huce_core::accounts::DEFAULT_IDLE_MINUTES),
            lock: Mutex::new(None),
            checking: (
                Mutex::new(Checking::Under(huce_core::backup::AfterStart::QuickCheck)),
                Condvar::new(),
            ),
        };
        let opened = match std::env::var("HUCE_SERVER_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(url) => open_server_url(&url),
            None => match crate::server_link::load(&state.path) {
                Ok(Some(settings)) => {
                    let opened = open_server(&settings, None);
                    *state.server.lock().unwrap_or_else(|e| e.into_inner()) = Some(settings);
                    opened
                }
                Ok(None) => state.open_file_unchecked(),
                Err(e) => Err(e),
            },
        };
        if !matches!(opened, Ok(Store::File(_))) {
            state.set_checking(Checking::NotNeeded);
        }
        state.replace(opened);
        state
    }

    fn set_checking(&self, now: Checking) {
        let (status, changed) = &self.checking;
        *status.lock().unwrap_or_else(|e| e.into_inner()) = now;
        changed.notify_all();
    }

    /// Where the checks after the start are.
    pub fn checking(&self) -> Checking {
        self.checking
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until the file may be written (its quick check has passed): what writes before
    /// login (logging in, the first administrator, switching databases) calls this first, so a
    /// damaged file is reported before anything is written to it.
    pub fn wait_writable(&self) -> Result<(), ApiError> {
        let (status, changed) = &self.checking;
        let mut now = status.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match now.writable() {
                Some(Ok(())) => return Ok(()),
                Some(Err(message)) => {
                    return Err(ApiError {
                        code: "damaged".into(),
                        message,
                    })
                }
                None => now = changed.wait(now).unwrap_or_else(|e| e.into_inner()),
            }
        }
    }

    /// The checks of the local file and its daily backup, on connections of their own (run on
    /// a thread of its own once the window shows). A damaged file is put out of use: the
    /// window then offers the latest good backup.
    pub fn check_after_start(&self) {
        if !matches!(
            &*self.db.lock().unwrap_or_else(|e| e.into_inner()),
            Ok(Store::File(_))
        ) {
            self.set_checking(Checking::NotNeeded);
            return;
        }
        let result = huce_core::backup::check_then_back_up(
            &self.path,
            &self.backup_dir(),
            now_local(),
            &mut |step| self.set_checking(Checking::Under(step)),
        );
        match result {
            Ok(_) => self.set_checking(Checking::Passed),
            // A file with a schema object that is not this program's (a trigger someone added)
            // is put out of use like a damaged one: the window offers the latest good backup.
            Err(e @ (huce_core::Error::Damaged(_) | huce_core::Error::Tampered(_))) => {
                let e = ApiError::from(e);
                self.set_checking(Checking::Damaged(e.message.clone()));
                self.set_session(None);
                self.replace(Err(e));
            }
            Err(e) => {
                let e = ApiError::from(e);
                eprintln!("每日自动备份失败：{}", e.message);
                self.set_checking(Checking::BackupFailed(e.message));
            }
        }
        release_freed_memory();
    }

    /// Puts `opened` in place of the open database (a switch between databases ends the
    /// session: the accounts are the other database's).
    pub fn replace(&self, opened: Result<Store, ApiError>) {
        self.set_session(None);
        self.put(opened);
    }

    fn put(&self, opened: Result<Store, ApiError>) {
        let mut db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        *db = opened;
        if !matches!(&*db, Ok(Store::File(_))) {
            *self.lock.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// Lets the open database go (and the file's lock), the session kept: the same database is
    /// opened again next ([`AppState::reconnect`]).
    pub fn let_go(&self) {
        self.put(Err(ApiError::internal()));
    }

    /// Puts the same database, opened again, in place: the session goes on, and the new
    /// connection records its changes as the session's (it starts knowing nobody).
    pub fn reconnect(&self, opened: Result<Store, ApiError>) {
        let actor = self.session().map(|me| me.actor());
        if let (Ok(store), Some(actor)) = (&opened, &actor) {
            if huce_core::audit::set_actor(store, actor).is_err() {
                self.set_session(None);
            }
        }
        self.put(opened);
    }

    /// Opens the local file at `self.path` (and holds its lock), checked whole before it is
    /// used (a switch back from the server).
    pub fn open_file(&self) -> Result<Store, ApiError> {
        let opened = self.open_file_with(true);
        self.set_checking(Checking::Passed);
        opened
    }

    /// [`AppState::open_file`] at the start: the checks come after the window shows
    /// ([`AppState::check_after_start`]).
    fn open_file_unchecked(&self) -> Result<Store, ApiError> {
        self.open_file_with(false)
    }

    fn open_file_with(&self, checked: bool) -> Result<Store, ApiError> {
        let path = &self.path;
        let mut lock = None;
        let db = (|| -> Result<rusqlite::Connection, ApiError> {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| {
                    ApiError::from(huce_core::Error::Io {
                        path: dir.to_path_buf(),
                        source,
                    })
                })?;
            }
            lock = Some(huce_core::db::lock(path)?);
            // A damaged file is never used: the UI offers the latest good backup instead.
            Ok(if checked {
                huce_core::db::open_checked(path, now_local())?
            } else {
                huce_core::db::open_reporting_damage(path, now_local())?
            })
        })();
        *self.lock.lock().unwrap_or_else(|e| e.into_inner()) = lock;
        db.map(Store::File)
    }

    /// The server settings this PC works with (None: the local file).
    pub fn server(&self) -> Option<ServerSettings> {
        self.server.lock().ok().and_then(|s| s.clone())
    }

    pub fn set_server(&self, settings: Option<ServerSettings>) {
        if let Ok(mut s) = self.server.lock() {
            *s = settings;
        }
    }

    /// The logged-in account, if any.
    pub fn session(&self) -> Option<Account> {
        self.session
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(|(a, _)| a.clone()))
    }

    pub fn idle_minutes(&self) -> i64 {
        self.idle_minutes.load(Ordering::Relaxed)
    }

    pub fn set_idle_minutes(&self, minutes: i64) {
        self.idle_minutes.store(minutes, Ordering::Relaxed);
    }

    /// The session for a call from the window at `now`: a session idle longer than the setting
    /// ends here; otherwise the call counts as activity. Never touches the database (this runs
    /// on the window's thread, and the database may be busy with a long import).
    pub fn session_for_call(&self, now: Instant) -> CallSession {
        let limit = Duration::from_secs(self.idle_minutes().max(1) as u64 * 60);
        let ended = {
            let Ok(mut guard) = self.session.lock() else {
                return CallSession {
                    account: None,
                    expired: None,
                };
            };
            match guard.as_mut() {
                Some((_, seen)) if now.saturating_duration_since(*seen) <= limit => {
                    *seen = now;
                    return CallSession {
                        account: guard.as_ref().map(|(a, _)| a.clone()),
                        expired: None,
                    };
                }
                Some(_) => guard.take().map(|(a, _)| a),
                None => None,
            }
        };
        let minutes = self.idle_minutes();
        CallSession {
            account: None,
            expired: ended.map(|account| {
                (
                    account,
                    format!(
                        "超过 {minutes} 分钟没有操作，已自动退出登录，以免别人用这台电脑以您的名义操作。请重新登录。"
                    ),
                )
            }),
        }
    }

    /// Records an automatic logout in the audit log (call off the window's thread).
    pub fn record_idle_logout(&self, account: &Account) {
        if let Ok(conn) = self.conn() {
            let _ = huce_core::accounts::logout(
                &conn,
                account,
                Some(&format!("超过 {} 分钟没有操作", self.idle_minutes())),
                &now(),
            );
        }
    }

    /// The logged-in account (the gate lets a command through only with one).
    pub fn account(&self) -> Result<Account, ApiError> {
        self.session()
            .ok_or_else(|| huce_core::Error::NotLoggedIn.into())
    }

    pub fn set_session(&self, account: Option<Account>) {
        if let Ok(mut s) = self.session.lock() {
            *s = account.map(|a| (a, Instant::now()));
        }
    }

    /// Whether the database was found damaged (or changed outside the program) at start.
    pub fn damaged(&self) -> bool {
        matches!(&*self.db.lock().unwrap_or_else(|e| e.into_inner()), Err(e) if e.code == "damaged" || e.code == "tampered")
    }

    /// Where automatic backups go: `backups/` beside the database.
    pub fn backup_dir(&self) -> PathBuf {
        huce_core::paths::backup_dir(&self.path)
    }

    /// Where inspection photos are copied: `<database name>-photos/` beside the database.
    pub fn photo_dir(&self) -> PathBuf {
        huce_core::paths::photo_dir(&self.path)
    }

    /// The open database, or the error that kept it from opening. A server connection found
    /// lost is connected again first (once per call); if that fails the message says so.
    pub fn conn(&self) -> Result<Conn<'_>, ApiError> {
        let guard = self.db.lock().map_err(|_| ApiError::internal())?;
        match &*guard {
            Ok(Store::Server(s)) if s.is_closed() => {
                let settings = self.server();
                let again = match (&settings, std::env::var("HUCE_SERVER_URL")) {
                    (_, Ok(url)) if !url.is_empty() => huce_core::server::connect(&url),
                    (Some(settings), _) => {
                        let password = crate::server_link::password(settings)?.unwrap_or_default();
                        huce_core::server::connect(&settings.url(&password))
                    }
                    (None, _) => return Err(ApiError::internal()),
                };
                match again {
                    Ok(server) => {
                        s.replace_client(server.into_client());
                        Ok(Conn(guard))
                    }
                    Err(_) => Err(huce_core::Error::Server(
                        "和服务器的连接断开了，重新连接也没有成功。刚才的操作没有保存（正在填写的表单仍保留在本机）。请检查网络和服务器后再试。".into(),
                    )
                    .into()),
                }
            }
            Ok(_) => Ok(Conn(guard)),
            Err(e) => Err(e.clone()),
        }
    }

    /// Which database is open, for the header: ("file" | "server", its name).
    pub fn database_label(&self) -> (&'static str, String) {
        match self.server() {
            Some(s) => ("server", s.name()),
            None => match std::env::var("HUCE_SERVER_URL") {
                Ok(url) if !url.is_empty() => ("server", huce_core::server::name_of(&url)),
                _ => ("file", self.path.display().to_string()),
            },
        }
    }
}

/// Connects to the server with `settings` (the password given, or the one kept in the
/// system's credential store) and sets up an empty server database.
pub fn open_server(settings: &ServerSettings, password: Option<&str>) -> Result<Store, ApiError> {
    settings.check()?;
    let kept;
    let password = match password {
        Some(p) => p,
        None => {
            kept = crate::server_link::password(settings)?.ok_or_else(|| {
                ApiError::from(huce_core::Error::Invalid(format!(
                    "这台电脑没有保存服务器 {} 的密码。请点“修改连接…”重新输入密码。",
                    settings.name()
                )))
            })?;
            &kept
        }
    };
    open_server_url(&settings.url(password))
}

fn open_server_url(url: &str) -> Result<Store, ApiError> {
    let (conn, _) = huce_core::server::open(url)?;
    Ok(Store::Server(Box::new(conn)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_cannot_open_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("这是一个文件");
        std::fs::write(&file, b"not a folder").unwrap();
        let state = AppState::open(file.join("huce.db"));
        let err = state.conn().expect_err("opening under a file must fail");
        assert_eq!(err.code, "io");
        assert!(
            err.message.contains("读写文件"),
            "a Chinese message that says what to check: {}",
            err.message
        );
    }

    #[test]
    fn a_database_open_in_one_window_is_refused_to_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huce.db");
        let first = AppState::open(path.clone());
        assert!(first.conn().is_ok(), "the first window opens it");
        let err = AppState::open(path.clone())
            .conn()
            .expect_err("a second program on the same file is refused");
        assert_eq!(err.code, "already_open");
        assert!(err.message.contains("另一个窗口"), "{}", err.message);
        drop(first);
        assert!(
            AppState::open(path).conn().is_ok(),
            "once the first has closed, the file opens again"
        );
    }

    #[test]
    fn a_database_from_a_newer_program_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huce.db");
        // This program's file (its application id), written by a newer version.
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(
            None,
            "application_id",
            huce_core::store::schema::APPLICATION_ID,
        )
        .unwrap();
        conn.pragma_update(None, "user_version", huce_core::db::SCHEMA_VERSION + 5)
            .unwrap();
        drop(conn);
        let err = AppState::open(path)
            .conn()
            .expect_err("a newer schema must be refused");
        assert_eq!(err.code, "schema_too_new");
        assert!(err.message.contains("最新版本"), "{}", err.message);
    }
}

#[cfg(test)]
mod idle_tests {
    use super::*;

    /// Found in review: 重试连接 put a new connection in place while the session went on, and
    /// the new connection did not know who was logged in: every change after it was recorded
    /// as made by nobody (（未登录）). The same database again keeps the session and its name.
    #[test]
    fn a_connection_made_again_records_changes_as_the_session_still_logged_in() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path().join("huce.db"));
        let me = huce_core::accounts::Account::local("李明");
        state.set_session(Some(me.clone()));
        {
            let conn = state.conn().unwrap();
            huce_core::audit::set_actor(&*conn, &me.actor()).unwrap();
        }
        state.let_go();
        let again = state.open_file();
        state.reconnect(again);
        let conn = state.conn().unwrap();
        assert_eq!(huce_core::audit::actor(&*conn).unwrap(), me.actor());
        drop(conn);
        // Another database (a switch): the session ends, as the accounts are the other's.
        state.replace(Err(ApiError::internal()));
        let other = state.open_file();
        state.replace(other);
        assert!(state.session().is_none());
    }

    #[test]
    fn a_session_idle_longer_than_the_setting_ends_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path().join("huce.db"));
        state.set_idle_minutes(30);
        state.set_session(Some(huce_core::accounts::Account::local("李明")));
        let start = Instant::now();
        let call = state.session_for_call(start + Duration::from_secs(29 * 60));
        assert!(call.account.is_some() && call.expired.is_none());
        // 29 minutes later again: the previous call counted as activity.
        let call = state.session_for_call(start + Duration::from_secs(58 * 60));
        assert!(call.account.is_some(), "activity keeps the session");
        // Meanwhile a long import holds the database: the window's thread must not wait for it.
        let held = state.conn().unwrap();
        let asked = Instant::now();
        let call = state.session_for_call(start + Duration::from_secs(89 * 60));
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "the idle check does not touch the database"
        );
        drop(held);
        assert!(call.account.is_none());
        let (account, message) = call.expired.expect("the end is explained");
        assert!(
            message.contains("30 分钟") && message.contains("重新登录"),
            "{message}"
        );
        assert!(state.session().is_none(), "the session is gone");
        state.record_idle_logout(&account);
        let call = state.session_for_call(start + Duration::from_secs(90 * 60));
        assert!(call.account.is_none() && call.expired.is_none());
        let conn = state.conn().unwrap();
        let logouts: i64 = conn
            .db()
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'logout' AND summary LIKE '%自动退出%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(logouts, 1, "the automatic logout is in the audit log");
    }
}

/// Hands the memory the checks after the start freed (their page caches, the whole file read
/// through them) back to the system: glibc keeps what a thread freed for that thread's later
/// use, and this thread has none (#21: 2–3 MB on the district file). Elsewhere the allocator
/// returns it itself.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's heaps; it touches nothing in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
