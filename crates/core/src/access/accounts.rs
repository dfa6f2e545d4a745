//! 登录账户: local accounts with a role, passwords hashed with argon2, locked for a while after
//! repeated failures. The first start creates the administrator. Every change to an account and
//! every login (and failed login) goes into the audit log.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Duration, FixedOffset};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::access::permissions::{self, Action};
use crate::error::{Error, Result};
use crate::model::Role;
use crate::store::audit;
use crate::store::sql::{Db, Optional, Row};

/// Failed logins in a row before the account is locked.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;
pub const MIN_PASSWORD: usize = 8;

/// An account as the app holds it after login (no hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub staff_id: Option<i64>,
    pub active: bool,
    pub locked_until: Option<String>,
    /// Set when an administrator set the password: it must be changed at the next login.
    pub must_change_password: bool,
}

impl Account {
    /// Whoever works on the database file itself (the `huce` command line, the demo generator):
    /// they can read and change the file anyway, so they act as its administrator, signed as
    /// no staff member and recorded under `name`.
    pub fn local(name: &str) -> Account {
        Account {
            id: 0,
            username: String::new(),
            display_name: name.to_string(),
            role: Role::Admin,
            staff_id: None,
            active: true,
            locked_until: None,
            must_change_password: false,
        }
    }
    /// The account's row id, if it is a login account (not [`Account::local`]).
    pub fn account_id(&self) -> Option<i64> {
        (self.id > 0).then_some(self.id)
    }
    /// Who the records are signed with: the linked staff member, whatever a form sends;
    /// `chosen` only when the account is not linked to one.
    pub fn signs_as(&self, chosen: i64) -> i64 {
        self.staff_id.unwrap_or(chosen)
    }
    /// Refuses `action` unless this account's role allows it.
    pub fn require(&self, action: Action) -> Result<()> {
        permissions::check(&self.display_name, self.role, action)
    }
    /// How the audit log names this account.
    pub fn actor(&self) -> String {
        format!("{}（{}）", self.display_name, self.username)
    }
}

/// A new account, or the new details of one (the password only when set).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AccountInput {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub staff_id: Option<i64>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

const COLUMNS: &str =
    "id, username, display_name, role, staff_id, active, locked_until, must_change_password";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: r.get(3)?,
        staff_id: r.get(4)?,
        active: r.get(5)?,
        locked_until: r.get(6)?,
        must_change_password: r.get(7)?,
    })
}

/// Whether any account exists (the first start has none).
pub fn any<'a>(db: impl Into<Db<'a>>) -> Result<bool> {
    db.into()
        .query_row("SELECT EXISTS (SELECT 1 FROM accounts)", [], |r| r.get(0))
}

/// Every account, active ones first, then by role and user name (without regard to case, as
/// names are told apart).
pub fn list<'a>(db: impl Into<Db<'a>>) -> Result<Vec<Account>> {
    Ok(db
        .into()
        .prepare(&format!(
            "SELECT {COLUMNS} FROM accounts ORDER BY active DESC, role, lower(username), username"
        ))?
        .query_map([], from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

/// One account by its id.
pub fn get<'a>(db: impl Into<Db<'a>>, id: i64) -> Result<Account> {
    db.into()
        .query_row(
            &format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?
        .ok_or_else(|| Error::Invalid(format!("找不到编号为 {id} 的账户，请刷新后重试。")))
}

fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(Error::Invalid(format!(
            "密码至少要 {MIN_PASSWORD} 位（现在 {n} 位）。请用字母和数字混合的密码。"
        )));
    }
    if password.chars().all(|c| c.is_ascii_digit()) || password.chars().all(char::is_alphabetic) {
        return Err(Error::Invalid(
            "密码不能全是数字或全是字母，请用字母和数字混合的密码。".into(),
        ));
    }
    Ok(())
}

fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("密码加密失败（{e}），请重试。")))
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn clean(input: &AccountInput) -> Result<(String, String)> {
    // Nothing invisible, full-width to half-width, as every name typed in the app.
    let username = crate::text::clean(&input.username);
    let display = crate::text::clean(&input.display_name);
    if username.is_empty()
        || username.chars().count() > 20
        || username.contains(char::is_whitespace)
    {
        return Err(Error::Invalid(
            "用户名应为 1 到 20 个字符，不含空格，例如“wangfang”或“王芳”。".into(),
        ));
    }
    if display.is_empty() || display.chars().count() > 20 {
        return Err(Error::Invalid(
            "姓名应为 1 到 20 个字，它会记在操作日志和签字上。".into(),
        ));
    }
    Ok((username, display))
}

/// The message for a user name already taken (whatever its case).
fn name_taken(username: &str) -> Error {
    Error::Invalid(format!("用户名“{username}”已经有人用了，请换一个。"))
}

/// Whether another account (not `except`) has `username`, without regard to case: the file's
/// column is `COLLATE NOCASE`, the server's unique index is on `lower(username)`; both fold
/// ASCII letters only, as `lower` does on both.
fn name_used(db: Db<'_>, username: &str, except: i64) -> Result<bool> {
    db.exists(
        "SELECT 1 FROM accounts WHERE lower(username) = lower(?1) AND id <> ?2",
        params![username, except],
    )
}

/// Adds an account row; `must_change` when someone other than its owner chose the password.
fn insert(db: Db<'_>, input: &AccountInput, must_change: bool, now: &str) -> Result<Account> {
    let (username, display) = clean(input)?;
    let password = input
        .password
        .as_deref()
        .ok_or_else(|| Error::Invalid("请为新账户设置密码。".into()))?;
    check_password(password)?;
    if let Some(s) = input.staff_id {
        crate::access::staff::get_staff(db, s)?;
    }
    // Looked up first: on the server a refused insert would still use up an id. A name taken
    // meanwhile by another PC gives no row on either engine (not an error that only the file
    // would name as a constraint).
    if name_used(db, &username, 0)? {
        return Err(name_taken(&username));
    }
    let id: i64 = db
        .query_row(
            "INSERT INTO accounts (username, display_name, role, staff_id, password_hash, active, created_at,
                must_change_password)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING RETURNING id",
            params![username, display, input.role, input.staff_id, hash(password)?, input.active, now, must_change],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| name_taken(&username))?;
    let account = get(db, id)?;
    audit::append(
        db,
        now,
        "account.add",
        "account",
        account.id,
        &format!(
            "添加账户“{}”（{}），角色：{}",
            account.username,
            account.display_name,
            account.role.label()
        ),
        serde_json::json!({ "username": account.username, "role": account.role.code(), "staff_id": account.staff_id }),
    )?;
    Ok(account)
}

/// The first start: creates the administrator. Refused once any account exists.
pub fn create_first_admin<'a>(
    db: impl Into<Db<'a>>,
    input: &AccountInput,
    now: &str,
) -> Result<Account> {
    db.into().atomically(|db| {
        if any(db)? {
            return Err(Error::Invalid(
                "本数据库已经有账户了，请用已有账户登录；忘记密码请找管理员重设。".into(),
            ));
        }
        let input = AccountInput {
            role: Role::Admin,
            active: true,
            ..input.clone()
        };
        let (username, display) = clean(&input)?;
        audit::set_actor(db, &format!("{display}（{username}）"))?;
        insert(db, &input, false, now)
    })
}

/// Adds an account (by an administrator). The password the administrator set must be changed
/// by its owner at the first login.
pub fn add<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    input: &AccountInput,
    now: &str,
) -> Result<Account> {
    by.require(Action::ManageAccounts)?;
    db.into().atomically(|db| insert(db, input, true, now))
}

/// Changes an account's name, role, staff link, active flag and (if given) password; an
/// administrator cannot take away the last active administrator. A password set here must be
/// changed by the account's owner at the next login (unless the administrator sets their own).
pub fn update<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    id: i64,
    input: &AccountInput,
    now: &str,
) -> Result<Account> {
    by.require(Action::ManageAccounts)?;
    let db = db.into();
    let (username, display) = clean(input)?;
    if let Some(p) = input.password.as_deref().filter(|p| !p.is_empty()) {
        check_password(p)?;
    }
    db.atomically(|db| {
        let old = get(db, id)?;
        if old.role == Role::Admin && old.active && (input.role != Role::Admin || !input.active)
        {
            let admins: i64 = db.query_row(
                "SELECT count(*) FROM accounts WHERE role = 'admin' AND active = 1",
                [],
                |r| r.get(0),
            )?;
            if admins <= 1 {
                return Err(Error::Invalid(
                    "这是唯一的管理员账户，不能停用或改为其他角色。请先另设一个管理员。".into(),
                ));
            }
        }
        if let Some(s) = input.staff_id {
            crate::access::staff::get_staff(db, s)?;
        }
        if name_used(db, &username, id)? {
            return Err(name_taken(&username));
        }
        db.execute(
            "UPDATE accounts SET username = ?2, display_name = ?3, role = ?4, staff_id = ?5, active = ?6 WHERE id = ?1",
            params![id, username, display, input.role, input.staff_id, input.active],
        )?;
        if let Some(p) = input.password.as_deref().filter(|p| !p.is_empty()) {
            db.execute(
                "UPDATE accounts SET password_hash = ?2, failed_attempts = 0, locked_until = NULL,
                     must_change_password = ?3 WHERE id = ?1",
                params![id, hash(p)?, id != by.id],
            )?;
        }
        audit::append(
            db,
            now,
            "account.update",
            "account",
            id,
            &format!(
                "修改账户“{}”{}",
                old.username,
                if input.password.as_deref().is_some_and(|p| !p.is_empty()) {
                    "（重设了密码）"
                } else {
                    ""
                }
            ),
            serde_json::json!({
                "username": [old.username, username],
                "display_name": [old.display_name, display],
                "role": [old.role.code(), input.role.code()],
                "staff_id": [old.staff_id, input.staff_id],
                "active": [old.active, input.active],
            }),
        )?;
        get(db, id)
    })
}

/// Lifts a lock before its time (by an administrator).
pub fn unlock<'a>(db: impl Into<Db<'a>>, by: &Account, id: i64, now: &str) -> Result<()> {
    by.require(Action::ManageAccounts)?;
    db.into().atomically(|db| {
        let a = get(db, id)?;
        db.execute(
            "UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = ?1",
            [id],
        )?;
        audit::append(
            db,
            now,
            "account.unlock",
            "account",
            id,
            &format!("解锁账户“{}”", a.username),
            serde_json::json!({}),
        )?;
        Ok(())
    })
}

/// Changes one's own password, given the old one. A wrong old password counts toward the
/// lockout like a wrong password at login (the app then ends the session when it locks).
pub fn change_own_password<'a>(
    db: impl Into<Db<'a>>,
    me: &Account,
    old: &str,
    new: &str,
    now: &str,
) -> Result<()> {
    let db = db.into();
    let stored: String = db.query_row(
        "SELECT password_hash FROM accounts WHERE id = ?1",
        [me.id],
        |r| r.get(0),
    )?;
    if !verify_password(old, &stored) {
        let at = parse_time(now).ok_or_else(|| Error::Invalid(format!("时间“{now}”格式不对。")))?;
        // The failure is kept (committed) and then refused.
        let locked = db.atomically(|db| {
            record_failure(db, me, &me.username, at, now, "修改密码时原密码不对")
        })?;
        return Err(if let Some(until) = locked {
            Error::Login(locked_message(&me.username, until))
        } else {
            Error::Invalid("原密码不对，请重新输入（连续输错 5 次，账户会被锁定 15 分钟）。".into())
        });
    }
    check_password(new)?;
    if new == old {
        return Err(Error::Invalid("新密码不能和原密码一样，请换一个。".into()));
    }
    db.atomically(|db| {
        db.execute(
            "UPDATE accounts SET password_hash = ?2, must_change_password = 0, failed_attempts = 0
             WHERE id = ?1",
            params![me.id, hash(new)?],
        )?;
        audit::append(
            db,
            now,
            "account.password",
            "account",
            me.id,
            "修改了自己的密码",
            serde_json::json!({}),
        )?;
        Ok(())
    })
}

/// The message for a locked account (the same whether or not the name exists).
fn locked_message(username: &str, until: DateTime<FixedOffset>) -> String {
    format!(
        "密码连续输错 {MAX_FAILURES} 次，账户“{username}”已被锁定 {LOCK_MINUTES} 分钟。请在 {} 以后再试，或请管理员解锁。",
        until.format("%H:%M")
    )
}

/// The one message for a wrong user name or a wrong password: which of the two it was is not
/// told, so names cannot be found by trying.
pub const WRONG_LOGIN: &str = "用户名或密码不对，请重新输入。连续输错 5 次，账户会被锁定 15 分钟。";

/// Counts a failed password for `account`, locking it at [`MAX_FAILURES`]; audited. Returns
/// until when the account is now locked, if it is. The count is raised in the row itself (not
/// read and written back), so two PCs failing at once on the server both count.
fn record_failure(
    db: Db<'_>,
    account: &Account,
    username: &str,
    at: DateTime<FixedOffset>,
    now: &str,
    what: &str,
) -> Result<Option<DateTime<FixedOffset>>> {
    let failures: i64 = db.query_row(
        "UPDATE accounts SET failed_attempts = failed_attempts + 1, locked_until = NULL
         WHERE id = ?1 RETURNING failed_attempts",
        [account.id],
        |r| r.get(0),
    )?;
    let locked = failures >= MAX_FAILURES;
    let until = locked.then(|| at + Duration::minutes(LOCK_MINUTES));
    if locked {
        db.execute(
            "UPDATE accounts SET failed_attempts = 0, locked_until = ?2 WHERE id = ?1",
            params![account.id, until.map(|u| u.to_rfc3339())],
        )?;
    }
    audit::append(
        db,
        now,
        if locked {
            "login.locked"
        } else {
            "login.failed"
        },
        "account",
        account.id,
        &if locked {
            format!("账户“{username}”连续 {MAX_FAILURES} 次输错密码，锁定 {LOCK_MINUTES} 分钟")
        } else {
            format!("账户“{username}”{what}（第 {failures} 次）")
        },
        serde_json::json!({ "failures": failures }),
    )?;
    Ok(until)
}

/// Failed logins with user names that do not exist, counted in the database the way an
/// account's are (a count raised in the row, locked at [`MAX_FAILURES`]), so an unknown name
/// answers exactly like a real one, also when "locked" and also from another PC. The name is
/// kept only as [`unknown_name_key`]; rows a day past their last failure are dropped.
fn unknown_name_failure(
    db: Db<'_>,
    username: &str,
    now: &str,
) -> Result<Option<DateTime<FixedOffset>>> {
    let at = parse_time(now).ok_or_else(|| Error::Invalid(format!("时间“{now}”格式不对。")))?;
    db.execute(
        "DELETE FROM unknown_logins WHERE last_at < ?1",
        [(at - Duration::days(1)).to_rfc3339()],
    )?;
    let key = unknown_name_key(db, username)?;
    let until: Option<String> = db
        .query_row(
            "SELECT locked_until FROM unknown_logins WHERE name_key = ?1",
            [&key],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if let Some(until) = until.as_deref().and_then(parse_time) {
        if at < until {
            return Ok(Some(until));
        }
    }
    let failures: i64 = db.query_row(
        "INSERT INTO unknown_logins (name_key, failures, locked_until, last_at) VALUES (?1, 1, NULL, ?2)
         ON CONFLICT (name_key) DO UPDATE
         SET failures = unknown_logins.failures + 1, locked_until = NULL, last_at = excluded.last_at
         RETURNING failures",
        params![key, now],
        |r| r.get(0),
    )?;
    let locked = failures >= MAX_FAILURES;
    let until = locked.then(|| at + Duration::minutes(LOCK_MINUTES));
    if let Some(until) = until {
        db.execute(
            "UPDATE unknown_logins SET failures = 0, locked_until = ?2 WHERE name_key = ?1",
            params![key, until.to_rfc3339()],
        )?;
    }
    // The name typed is not recorded: it may be a password typed into the wrong box, and the
    // log is read by many and never cleaned.
    audit::append(
        db,
        now,
        "login.failed",
        "account",
        "",
        "用不存在的用户名登录失败（输入的用户名不记录）",
        serde_json::json!({}),
    )?;
    Ok(until)
}

/// What an unknown user name is counted under: the first 16 bytes of SHA-256 over the
/// database's random identity and the name in lower case (names are told apart without regard
/// to case). Keyed by the identity, a name typed by mistake cannot be looked up by hashing
/// guesses without the database, and the same name counts alike on every PC.
fn unknown_name_key(db: Db<'_>, username: &str) -> Result<String> {
    use sha2::{Digest, Sha256};
    let id = crate::store::anchors::database_id(db)?.unwrap_or_default();
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    h.update([0x1f]);
    h.update(username.to_lowercase().as_bytes());
    Ok(h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Spends the effort of one password check, so that an answer takes as long whether or not
/// the name exists or the account is locked.
fn spend_a_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("not-a-password-1").unwrap_or_default());
    let _ = verify_password(password, dummy);
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// Logs in. Five wrong passwords in a row lock the account for 15 minutes. Unknown user names
/// and wrong passwords get the same message and count the same way (an unknown name is also
/// "locked" after five tries), so names cannot be found by trying. User names are matched
/// without regard to case. Sets the connection's actor for the audit log.
pub fn login<'a>(
    db: impl Into<Db<'a>>,
    username: &str,
    password: &str,
    now: &str,
) -> Result<Account> {
    let db = db.into();
    // As the name was saved: a name typed with the input method in full-width mode is found.
    let username = &crate::text::clean(username);
    let row: Option<(Account, String)> = db
        .query_row(
            &format!(
                "SELECT {COLUMNS}, password_hash FROM accounts WHERE lower(username) = lower(?1)"
            ),
            [username],
            |r| Ok((from_row(r)?, r.get(8)?)),
        )
        .optional()?;
    let at = parse_time(now).ok_or_else(|| Error::Invalid(format!("时间“{now}”格式不对。")))?;
    let Some((account, stored)) = row else {
        // Spend the same effort as a real check, so a missing name is not faster to find.
        spend_a_password_check(password);
        let locked = db.atomically(|db| unknown_name_failure(db, username, now))?;
        return Err(Error::Login(match locked {
            Some(until) => locked_message(username, until),
            None => WRONG_LOGIN.into(),
        }));
    };
    if let Some(until) = account.locked_until.as_deref().and_then(parse_time) {
        if at < until {
            spend_a_password_check(password);
            return Err(Error::Login(locked_message(username, until)));
        }
    }
    let right = verify_password(password, &stored);
    if right && !account.active {
        return Err(Error::Login(format!(
            "账户“{username}”已停用，请联系管理员。"
        )));
    }
    if !right {
        // The failure is kept (committed) and then refused.
        let locked = db.atomically(|db| {
            audit::set_actor(db, &account.actor())?;
            record_failure(db, &account, username, at, now, "登录失败（密码不对）")
        });
        audit::set_actor(db, audit::NOBODY)?;
        return Err(Error::Login(match locked? {
            Some(until) => locked_message(username, until),
            None => WRONG_LOGIN.into(),
        }));
    }
    db.atomically(|db| {
        audit::set_actor(db, &account.actor())?;
        db.execute(
            "UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = ?1",
            [account.id],
        )?;
        audit::append(
            db,
            now,
            "login",
            "account",
            account.id,
            &format!("{} 登录", account.actor()),
            serde_json::json!({}),
        )
    })?;
    get(db, account.id)
}

/// Records a logout and clears the connection's actor. `why` is set for an automatic logout
/// (after the idle time).
pub fn logout<'a>(db: impl Into<Db<'a>>, me: &Account, why: Option<&str>, now: &str) -> Result<()> {
    let db = db.into();
    audit::append(
        db,
        now,
        "logout",
        "account",
        me.id,
        &match why {
            Some(w) => format!("{} 自动退出登录（{w}）", me.actor()),
            None => format!("{} 退出登录", me.actor()),
        },
        serde_json::json!({}),
    )?;
    audit::set_actor(db, audit::NOBODY)
}

/// Minutes without any use after which the app logs out (a setting, default 30).
pub const KEY_IDLE_MINUTES: &str = "idle_logout_minutes";
pub const DEFAULT_IDLE_MINUTES: i64 = 30;

/// The idle time before an automatic logout, in minutes.
pub fn idle_minutes<'a>(db: impl Into<Db<'a>>) -> Result<i64> {
    Ok(crate::store::settings::get(db, KEY_IDLE_MINUTES)?
        .and_then(|v| v.parse().ok())
        .filter(|m| (1..=480).contains(m))
        .unwrap_or(DEFAULT_IDLE_MINUTES))
}

/// Sets the idle time (an administrator's setting), audited.
pub fn save_idle_minutes<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    minutes: i64,
    now: &str,
) -> Result<()> {
    by.require(Action::EditSettings)?;
    if !(1..=480).contains(&minutes) {
        return Err(Error::Invalid(
            "自动退出登录的时间请填 1 到 480 分钟（默认 30 分钟）。".into(),
        ));
    }
    db.into().atomically(|db| {
        let old = idle_minutes(db)?;
        crate::store::settings::set(db, KEY_IDLE_MINUTES, &minutes.to_string())?;
        audit::append(
            db,
            now,
            "settings.idle",
            "settings",
            KEY_IDLE_MINUTES,
            &format!("无操作自动退出登录的时间设为 {minutes} 分钟"),
            serde_json::json!({ "idle_logout_minutes": [old, minutes] }),
        )?;
        Ok(())
    })
}
