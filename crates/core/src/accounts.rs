//! 登录账户: local accounts with a role, passwords hashed with argon2, locked for a while after
//! repeated failures. The first start creates the administrator. Every change to an account and
//! every login (and failed login) goes into the audit log.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Duration, FixedOffset};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::error::{Error, Result};
use crate::model::Role;
use crate::permissions::{self, Action};

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
}

impl Account {
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

const COLUMNS: &str = "id, username, display_name, role, staff_id, active, locked_until";

fn from_row(r: &Row) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: r.get(3)?,
        staff_id: r.get(4)?,
        active: r.get(5)?,
        locked_until: r.get(6)?,
    })
}

pub fn any(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM accounts)", [], |r| r.get(0))?)
}

pub fn list(conn: &Connection) -> Result<Vec<Account>> {
    Ok(conn
        .prepare(&format!(
            "SELECT {COLUMNS} FROM accounts ORDER BY active DESC, role, username"
        ))?
        .query_map([], from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Account> {
    conn.query_row(
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
    let username = input.username.trim().to_string();
    let display = input.display_name.trim().to_string();
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

fn insert(conn: &Connection, input: &AccountInput, now: &str) -> Result<Account> {
    let (username, display) = clean(input)?;
    let password = input
        .password
        .as_deref()
        .ok_or_else(|| Error::Invalid("请为新账户设置密码。".into()))?;
    check_password(password)?;
    if let Some(s) = input.staff_id {
        crate::staff::get_staff(conn, s)?;
    }
    conn.execute(
        "INSERT INTO accounts (username, display_name, role, staff_id, password_hash, active, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![username, display, input.role, input.staff_id, hash(password)?, input.active, now],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            Error::Invalid(format!("用户名“{username}”已经有人用了，请换一个。"))
        }
        e => e.into(),
    })?;
    let account = get(conn, conn.last_insert_rowid())?;
    audit::append(
        conn,
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
pub fn create_first_admin(conn: &Connection, input: &AccountInput, now: &str) -> Result<Account> {
    let tx = conn.unchecked_transaction()?;
    if any(&tx)? {
        return Err(Error::Invalid(
            "本数据库已经有账户了，请用已有账户登录；忘记密码请找管理员重设。".into(),
        ));
    }
    let input = AccountInput {
        role: Role::Admin,
        active: true,
        ..input.clone()
    };
    audit::set_actor(
        &tx,
        &format!("{}（{}）", input.display_name.trim(), input.username.trim()),
    )?;
    let a = insert(&tx, &input, now)?;
    tx.commit()?;
    Ok(a)
}

/// Adds an account (by an administrator).
pub fn add(conn: &Connection, by: &Account, input: &AccountInput, now: &str) -> Result<Account> {
    by.require(Action::ManageAccounts)?;
    let tx = conn.unchecked_transaction()?;
    let a = insert(&tx, input, now)?;
    tx.commit()?;
    Ok(a)
}

/// Changes an account's name, role, staff link, active flag and (if given) password; an
/// administrator cannot take away the last active administrator.
pub fn update(
    conn: &Connection,
    by: &Account,
    id: i64,
    input: &AccountInput,
    now: &str,
) -> Result<Account> {
    by.require(Action::ManageAccounts)?;
    let old = get(conn, id)?;
    let (username, display) = clean(input)?;
    if old.role == Role::Admin && old.active && (input.role != Role::Admin || !input.active) {
        let admins: i64 = conn.query_row(
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
        crate::staff::get_staff(conn, s)?;
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE accounts SET username = ?2, display_name = ?3, role = ?4, staff_id = ?5, active = ?6 WHERE id = ?1",
        params![id, username, display, input.role, input.staff_id, input.active],
    )?;
    if let Some(p) = input.password.as_deref().filter(|p| !p.is_empty()) {
        check_password(p)?;
        tx.execute(
            "UPDATE accounts SET password_hash = ?2, failed_attempts = 0, locked_until = NULL WHERE id = ?1",
            params![id, hash(p)?],
        )?;
    }
    audit::append(
        &tx,
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
    tx.commit()?;
    get(conn, id)
}

/// Lifts a lock before its time (by an administrator).
pub fn unlock(conn: &Connection, by: &Account, id: i64, now: &str) -> Result<()> {
    by.require(Action::ManageAccounts)?;
    let a = get(conn, id)?;
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = ?1",
        [id],
    )?;
    audit::append(
        &tx,
        now,
        "account.unlock",
        "account",
        id,
        &format!("解锁账户“{}”", a.username),
        serde_json::json!({}),
    )?;
    tx.commit()?;
    Ok(())
}

/// Changes one's own password, given the old one.
pub fn change_own_password(
    conn: &Connection,
    me: &Account,
    old: &str,
    new: &str,
    now: &str,
) -> Result<()> {
    let stored: String = conn.query_row(
        "SELECT password_hash FROM accounts WHERE id = ?1",
        [me.id],
        |r| r.get(0),
    )?;
    if !verify_password(old, &stored) {
        return Err(Error::Invalid("原密码不对，请重新输入。".into()));
    }
    check_password(new)?;
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE accounts SET password_hash = ?2 WHERE id = ?1",
        params![me.id, hash(new)?],
    )?;
    audit::append(
        &tx,
        now,
        "account.password",
        "account",
        me.id,
        "修改了自己的密码",
        serde_json::json!({}),
    )?;
    tx.commit()?;
    Ok(())
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// Logs in. Five wrong passwords in a row lock the account for 15 minutes; the message says
/// until when. Unknown users and wrong passwords get the same message. Sets the connection's
/// actor for the audit log.
pub fn login(conn: &Connection, username: &str, password: &str, now: &str) -> Result<Account> {
    let username = username.trim();
    let row: Option<(Account, String, i64)> = conn
        .query_row(
            &format!("SELECT {COLUMNS}, password_hash, failed_attempts FROM accounts WHERE username = ?1"),
            [username],
            |r| Ok((from_row(r)?, r.get(7)?, r.get(8)?)),
        )
        .optional()?;
    let wrong = |left: i64| {
        Error::Login(if left > 0 {
            format!(
                "用户名或密码不对，请重新输入（再错 {left} 次账户将被锁定 {LOCK_MINUTES} 分钟）。"
            )
        } else {
            "用户名或密码不对，请重新输入。".into()
        })
    };
    let Some((account, stored, failures)) = row else {
        // Spend the same effort as a real check, so a missing name is not faster to find.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let dummy = DUMMY.get_or_init(|| hash("not-a-password-1").unwrap_or_default());
        let _ = verify_password(password, dummy);
        return Err(wrong(0));
    };
    let at = parse_time(now).ok_or_else(|| Error::Invalid(format!("时间“{now}”格式不对。")))?;
    if let Some(until) = account.locked_until.as_deref().and_then(parse_time) {
        if at < until {
            return Err(Error::Login(format!(
                "账户“{username}”因连续 {MAX_FAILURES} 次输错密码已被锁定，请在 {} 以后再试，或请管理员解锁。",
                until.format("%H:%M")
            )));
        }
    }
    if !account.active {
        return Err(Error::Login(format!(
            "账户“{username}”已停用，请联系管理员。"
        )));
    }
    let tx = conn.unchecked_transaction()?;
    audit::set_actor(&tx, &account.actor())?;
    if !verify_password(password, &stored) {
        let failures = failures + 1;
        let locked = failures >= MAX_FAILURES;
        let until = locked.then(|| (at + Duration::minutes(LOCK_MINUTES)).to_rfc3339());
        tx.execute(
            "UPDATE accounts SET failed_attempts = ?2, locked_until = ?3 WHERE id = ?1",
            params![account.id, if locked { 0 } else { failures }, until],
        )?;
        audit::append(
            &tx,
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
                format!("账户“{username}”登录失败（密码不对，第 {failures} 次）")
            },
            serde_json::json!({ "failures": failures }),
        )?;
        tx.commit()?;
        audit::set_actor(conn, audit::NOBODY)?;
        return Err(if locked {
            Error::Login(format!(
                "密码连续输错 {MAX_FAILURES} 次，账户“{username}”已被锁定 {LOCK_MINUTES} 分钟。请稍后再试，或请管理员解锁。"
            ))
        } else {
            wrong(MAX_FAILURES - failures)
        });
    }
    tx.execute(
        "UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = ?1",
        [account.id],
    )?;
    audit::append(
        &tx,
        now,
        "login",
        "account",
        account.id,
        &format!("{} 登录", account.actor()),
        serde_json::json!({}),
    )?;
    tx.commit()?;
    get(conn, account.id)
}

/// Records a logout and clears the connection's actor.
pub fn logout(conn: &Connection, me: &Account, now: &str) -> Result<()> {
    audit::append(
        conn,
        now,
        "logout",
        "account",
        me.id,
        &format!("{} 退出登录", me.actor()),
        serde_json::json!({}),
    )?;
    audit::set_actor(conn, audit::NOBODY)
}
