//! Row versions (#18): several PCs on one server database change the same household or case.
//! Every change moves the record's `row_version` on (a trigger does it, whatever the write). A
//! screen shows the version with the record; the save names it back, and [`claim`] — inside the
//! save's transaction — refuses it when the record changed meanwhile, naming who changed it and
//! when, so nothing is overwritten silently. On the server the claim also takes the row's lock:
//! of two saves at the same moment, the second waits for the first and is then refused.

use crate::error::{Error, Result};
use crate::store::sql::{Db, Optional};

/// A record that carries a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioned {
    Household,
    /// A 整改 case (`rectifications`).
    Case,
}

impl Versioned {
    fn table(self) -> &'static str {
        match self {
            Versioned::Household => "households",
            Versioned::Case => "rectifications",
        }
    }
}

/// The record's version now.
pub fn current<'a>(db: impl Into<Db<'a>>, what: Versioned, id: i64) -> Result<i64> {
    db.into()
        .query_row(
            &format!("SELECT row_version FROM {} WHERE id = ?1", what.table()),
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| Error::Invalid("这条记录已经不存在（可能被别人删除了）。请刷新。".into()))
}

/// Claims the record for a change, as of the version the person saw (`seen`): moves the
/// version on, or refuses with who changed it since. Call it inside the change's transaction.
pub fn claim<'a>(db: impl Into<Db<'a>>, what: Versioned, id: i64, seen: i64) -> Result<()> {
    let db = db.into();
    let moved = db.execute(
        &format!(
            "UPDATE {} SET row_version = row_version + 1 WHERE id = ?1 AND row_version = ?2",
            what.table()
        ),
        [id, seen],
    )?;
    if moved == 1 {
        return Ok(());
    }
    // Exists at all?
    current(db, what, id)?;
    Err(Error::Conflict(conflict_message(db, what, id)?))
}

/// Runs `change` as one unit after claiming the record as of `seen` (when the screen sent the
/// version it showed; `None`, from scripts and imports, claims nothing).
pub fn checked<'a, T>(
    db: impl Into<Db<'a>>,
    what: Versioned,
    id: i64,
    seen: Option<i64>,
    change: impl FnOnce(Db<'a>) -> Result<T>,
) -> Result<T> {
    db.into().atomically(|db| {
        if let Some(seen) = seen {
            claim(db, what, id, seen)?;
        }
        change(db)
    })
}

/// "这户在您打开之后，已由 王会计 于 2026-11-29 10:32 修改（保存了入户核查…）…"
fn conflict_message(db: Db<'_>, what: Versioned, id: i64) -> Result<String> {
    let (subject, entries) = match what {
        Versioned::Household => {
            let head: Option<String> = db
                .query_row(
                    "SELECT head_name FROM households WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            (
                format!("户主{}这一户", head.unwrap_or_default()),
                "(entity = 'household' AND entity_id = ?1)
                 OR (entity = 'inspection' AND entity_id IN
                     (SELECT CAST(i.id AS TEXT) FROM inspections i JOIN toilets t ON t.id = i.toilet_id
                      WHERE t.household_id = CAST(?1 AS bigint)))
                 OR (entity = 'toilet' AND entity_id IN
                     (SELECT CAST(id AS TEXT) FROM toilets WHERE household_id = CAST(?1 AS bigint)))
                 OR (entity = 'rectification' AND entity_id IN
                     (SELECT CAST(id AS TEXT) FROM rectifications WHERE household_id = CAST(?1 AS bigint)))",
            )
        }
        Versioned::Case => (
            "这个整改问题".to_string(),
            "entity = 'rectification' AND entity_id = ?1",
        ),
    };
    let last: Option<(String, String, String)> = db
        .query_row(
            &format!(
                "SELECT actor, at, summary FROM audit_log WHERE {entries} ORDER BY id DESC LIMIT 1"
            ),
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let who = match last {
        Some((actor, at, summary)) => format!(
            "已由 {actor} 于 {} 修改（{summary}）",
            at.chars().take(16).collect::<String>().replace('T', " ")
        ),
        None => "已在别的电脑上被修改（例如导入台账）".to_string(),
    };
    Ok(format!(
        "{subject}在您打开之后{who}。为免覆盖别人的修改，您这次的保存没有写入。请刷新看最新的内容，再决定是否重新保存（您填写的内容仍保留在窗口里）。"
    ))
}
