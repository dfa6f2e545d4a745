//! 操作日志: every change to the data — who, when, what, old → new — appended to a hash-chained
//! log. Each entry's hash covers the previous entry's hash and its own content, so an entry
//! edited, deleted or moved outside the app is found by `verify`, which names the first broken
//! entry. The newest entry's id and hash are also kept in the settings, so cutting entries off
//! the end is found too (unless both are rewritten together — the log is tamper-evident, not
//! tamper-proof; copies in the backups keep the older chain).
//!
//! Who acts is set once per connection (`set_actor`, after login or by the CLI) and read by
//! every append, so the core's functions need no extra parameter.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::settings;

const KEY_HEAD: &str = "audit_head";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Who acts when nobody has been set on the connection.
pub const NOBODY: &str = "（未登录）";

/// Sets who the following changes on this connection are recorded as.
pub fn set_actor(conn: &Connection, actor: &str) -> Result<()> {
    conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS huce_actor (name TEXT NOT NULL)")?;
    conn.execute("DELETE FROM temp.huce_actor", [])?;
    conn.execute("INSERT INTO temp.huce_actor (name) VALUES (?1)", [actor])?;
    Ok(())
}

/// Who the connection's changes are recorded as.
pub fn actor(conn: &Connection) -> Result<String> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM temp.sqlite_master WHERE name = 'huce_actor')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(NOBODY.into());
    }
    Ok(conn
        .query_row("SELECT name FROM temp.huce_actor LIMIT 1", [], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| NOBODY.into()))
}

/// The local time as the log records it.
pub fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// [`append`] at the present time.
pub fn append_now(
    conn: &Connection,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    summary: &str,
    detail: serde_json::Value,
) -> Result<i64> {
    append(conn, &now(), action, entity, entity_id, summary, detail)
}

/// One entry as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub summary: String,
    /// JSON: `{"field": [old, new], …}` or other facts of the change.
    pub detail: String,
}

/// An entry from the columns `id, at, actor, action, entity, entity_id, summary, detail`.
fn entry_from_row(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        entity: r.get(4)?,
        entity_id: r.get(5)?,
        summary: r.get(6)?,
        detail: r.get(7)?,
    })
}

fn hash_of(prev: &str, e: &Entry) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &e.id.to_string(),
        &e.at,
        &e.actor,
        &e.action,
        &e.entity,
        &e.entity_id,
        &e.summary,
        &e.detail,
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    format!("{:x}", h.finalize())
}

/// Appends an entry (call inside the change's transaction). `at` is the time of the change.
pub fn append(
    conn: &Connection,
    at: &str,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    summary: &str,
    detail: serde_json::Value,
) -> Result<i64> {
    let actor = actor(conn)?;
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (last_id, prev) = last.unwrap_or((0, GENESIS.to_string()));
    let entry = Entry {
        id: last_id + 1,
        at: at.to_string(),
        actor,
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id: entity_id.to_string(),
        summary: summary.to_string(),
        detail: detail.to_string(),
    };
    let hash = hash_of(&prev, &entry);
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, summary, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        entry.id,
        entry.at,
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.summary,
        entry.detail,
        prev,
        hash
    ])?;
    settings::set(conn, KEY_HEAD, &format!("{} {hash}", entry.id))?;
    Ok(entry.id)
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    pub entries: i64,
    /// The first entry at which the chain is broken, and why (Chinese).
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.broken_at.is_none()
    }
    /// A sentence for a person.
    pub fn message(&self) -> String {
        match (&self.broken_at, &self.problem) {
            (Some(id), Some(p)) => format!(
                "操作日志在第 {id} 条处被改动：{p}。说明有人绕过本程序改动了数据库。请不要继续录入，保留这个数据库文件，报告镇纪委和管理员，并从备份中核对。"
            ),
            _ => format!("操作日志完整：共 {} 条，逐条核验通过。", self.entries),
        }
    }
}

/// Recomputes the chain from the first entry and names the first one that does not fit.
pub fn verify(conn: &Connection) -> Result<Verification> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, entity, entity_id, summary, detail, prev_hash, hash
         FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut expected_id = 1;
    let mut count = 0;
    let broken = |entries: i64, id: i64, why: String| Verification {
        entries,
        broken_at: Some(id),
        problem: Some(why),
    };
    while let Some(r) = rows.next()? {
        let e = entry_from_row(r)?;
        let stored_prev: String = r.get(8)?;
        let stored_hash: String = r.get(9)?;
        count += 1;
        if e.id != expected_id {
            return Ok(broken(
                count,
                expected_id,
                if e.id - 1 == expected_id {
                    format!("第 {expected_id} 条记录被删除")
                } else {
                    format!("第 {expected_id} 条到第 {} 条记录被删除", e.id - 1)
                },
            ));
        }
        if stored_prev != prev {
            return Ok(broken(
                count,
                e.id,
                "它与前一条记录接不上（记录被删除、调换或改写）".into(),
            ));
        }
        if hash_of(&prev, &e) != stored_hash {
            return Ok(broken(
                count,
                e.id,
                "记录的内容与它的校验值不符（内容被改写）".into(),
            ));
        }
        prev = stored_hash;
        expected_id += 1;
    }
    // The newest entry kept aside must still be there.
    if let Some(head) = settings::get(conn, KEY_HEAD)? {
        let (id, hash) = head.split_once(' ').unwrap_or(("0", ""));
        let id: i64 = id.parse().unwrap_or(0);
        if id != count || hash != prev {
            let at = match count.cmp(&id) {
                std::cmp::Ordering::Less => count + 1,
                std::cmp::Ordering::Equal => id,
                std::cmp::Ordering::Greater => id + 1,
            };
            return Ok(broken(
                count,
                at,
                format!("最后应有 {id} 条记录，现在有 {count} 条（末尾的记录被删除或改写）"),
            ));
        }
    } else if count > 0 {
        return Ok(broken(count, count, "日志末尾的核对值不见了".into()));
    }
    Ok(Verification {
        entries: count,
        broken_at: None,
        problem: None,
    })
}

/// A filter for the log viewer.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub actor: Option<String>,
    /// Prefix of the action, e.g. "case." or "import".
    #[serde(default)]
    pub action: Option<String>,
    /// `YYYY-MM-DD`, both included.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// Text in the summary.
    #[serde(default)]
    pub text: Option<String>,
}

/// Entries matching `f`, newest first, with the total count.
pub fn list(conn: &Connection, f: &Filter, offset: i64, limit: i64) -> Result<(i64, Vec<Entry>)> {
    let clean = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let actor = clean(&f.actor);
    let action = clean(&f.action).map(|a| format!("{a}%"));
    let from = clean(&f.from);
    let to = clean(&f.to).map(|t| format!("{t}\u{10ffff}"));
    let text = clean(&f.text).map(|t| format!("%{t}%"));
    let filter = "(?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action LIKE ?2)
        AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at <= ?4)
        AND (?5 IS NULL OR summary LIKE ?5 OR entity_id = ?6)";
    let args = params![actor, action, from, to, text, clean(&f.text)];
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM audit_log WHERE {filter}"),
        args,
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT id, at, actor, action, entity, entity_id, summary, detail FROM audit_log
         WHERE {filter} ORDER BY id DESC LIMIT ?7 OFFSET ?8"
    ))?;
    let rows = stmt
        .query_map(
            params![actor, action, from, to, text, clean(&f.text), limit, offset],
            entry_from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok((total, rows))
}
