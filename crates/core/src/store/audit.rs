//! 操作日志: every change to the data — who, when, what, old → new — appended to a hash-chained
//! log. Each entry's hash covers the previous entry's hash and its own content, so an entry
//! edited, deleted or moved outside the app is found by `verify`, which names the first broken
//! entry. The newest entry's id and hash are also kept in the settings, and outside the file as
//! anchors (every backup, the anchors file, the printed 签字背书表; see [`crate::store::anchors`]), so
//! cutting entries off the end is found even when the head in the settings was edited too. The
//! log is tamper-evident, not tamper-proof: someone who rewrites the whole chain, the head and
//! every anchor (or deletes the backups and the anchors file) is not detected.
//!
//! Who acts is set once per connection (`set_actor`, after login or by the CLI) and read by
//! every append, so the core's functions need no extra parameter.

use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Result;
pub use crate::store::anchors::Anchor;
use crate::store::settings;
use crate::store::sql::{Db, Optional};

const KEY_HEAD: &str = "audit_head";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Who acts when nobody has been set on the connection.
pub const NOBODY: &str = "（未登录）";

/// Sets who the following changes on this connection are recorded as.
pub fn set_actor<'a>(db: impl Into<Db<'a>>, actor: &str) -> Result<()> {
    let conn = match db.into() {
        Db::File(c) => c,
        Db::Server(s) => {
            s.set_actor(actor);
            return Ok(());
        }
    };
    conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS huce_actor (name TEXT NOT NULL)")?;
    conn.execute("DELETE FROM temp.huce_actor", [])?;
    conn.execute("INSERT INTO temp.huce_actor (name) VALUES (?1)", [actor])?;
    Ok(())
}

/// Who the connection's changes are recorded as.
pub fn actor<'a>(db: impl Into<Db<'a>>) -> Result<String> {
    use rusqlite::OptionalExtension;
    let conn = match db.into() {
        Db::File(c) => c,
        Db::Server(s) => return Ok(s.actor().unwrap_or_else(|| NOBODY.into())),
    };
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

/// A caller's local time as the log records it (RFC 3339 with the local offset), for the steps
/// that are given a `NaiveDateTime` (backups, migrations). The core never reads the clock.
pub fn at_text(now: chrono::NaiveDateTime) -> String {
    use chrono::TimeZone;
    match chrono::Local.from_local_datetime(&now).earliest() {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => now.format("%Y-%m-%dT%H:%M:%S").to_string(),
    }
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
fn entry_from_row(r: &crate::store::sql::Row) -> rusqlite::Result<Entry> {
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

/// The encoding new entries are hashed with.
const FORMAT: i64 = 2;

/// An entry's hash. Format 1 (entries written before schema 8) joined the fields with 0x1F, so
/// a field containing 0x1F could be shifted into its neighbour; format 2 hashes each field with
/// its length in front, and the format number itself, so no two different entries encode alike.
fn hash_of(format: i64, prev: &str, e: &Entry) -> String {
    let id = e.id.to_string();
    let parts = [
        prev,
        id.as_str(),
        &e.at,
        &e.actor,
        &e.action,
        &e.entity,
        &e.entity_id,
        &e.summary,
        &e.detail,
    ];
    let mut h = Sha256::new();
    if format == 1 {
        for part in parts {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
    } else {
        h.update(b"huce-audit");
        h.update(format.to_le_bytes());
        for part in parts {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    format!("{:x}", h.finalize())
}

/// Appends an entry. Call it inside the change's transaction; either way the entry and the head
/// kept in the settings are written together (a savepoint of their own).
/// `at` is the time of the change.
pub fn append<'a>(
    db: impl Into<Db<'a>>,
    at: &str,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    summary: &str,
    detail: serde_json::Value,
) -> Result<i64> {
    let entity_id = entity_id.to_string();
    db.into()
        .atomically(|c| append_in(c, at, action, entity, &entity_id, summary, detail))
}

/// The key of the server's lock that makes appends one at a time (one chain across PCs).
const APPEND_LOCK: i64 = 0x6875_6365_6175_6474;

fn append_in(
    conn: Db<'_>,
    at: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    summary: &str,
    detail: serde_json::Value,
) -> Result<i64> {
    if let Db::Server(_) = conn {
        // Held to the end of the transaction: another PC's append waits, then reads this head.
        conn.query_row(
            "SELECT pg_advisory_xact_lock(?1)::text",
            [APPEND_LOCK],
            |_| Ok(()),
        )?;
    }
    let actor = actor(conn)?;
    let (last_id, prev) = head(conn)?.unwrap_or((0, GENESIS.to_string()));
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
    let hash = hash_of(FORMAT, &prev, &entry);
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, summary, detail, prev_hash, hash, format)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
        hash,
        FORMAT
    ])?;
    settings::set(conn, KEY_HEAD, &format!("{} {hash}", entry.id))?;
    Ok(entry.id)
}

/// The newest entry's number and hash, if the log has any.
pub fn head<'a>(db: impl Into<Db<'a>>) -> Result<Option<(i64, String)>> {
    db.into()
        .query_row(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    pub entries: i64,
    /// The first entry at which the chain is broken, and why (Chinese).
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
    /// Anchors kept outside the database (backups, the anchors file) that were compared.
    pub anchors_checked: usize,
    /// The newest of them.
    pub latest_anchor: Option<Anchor>,
    /// Anchors that belong to data a restore replaced, so they could not be compared.
    pub anchors_superseded: usize,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.broken_at.is_none()
    }
    /// A sentence for a person, saying exactly what was checked.
    pub fn message(&self) -> String {
        if let (Some(id), Some(p)) = (&self.broken_at, &self.problem) {
            return format!(
                "操作日志在第 {id} 条处被改动：{p}。说明有人绕过本程序改动了数据库。请不要继续录入，保留这个数据库文件，报告镇纪委和管理员，并从备份中核对。"
            );
        }
        let mut m = format!(
            "操作日志完整：共 {} 条，逐条重算校验值与前后衔接都相符，最后一条与数据库内记下的末条一致。",
            self.entries
        );
        match &self.latest_anchor {
            Some(a) => m.push_str(&format!(
                "另与数据库外的 {} 个核对点（备份和核对点记录）比对一致，最近的是 {} 的{}（第 {} 条）。",
                self.anchors_checked, a.at, a.source, a.id
            )),
            None => m.push_str(
                "没有找到数据库外的核对点（备份文件夹里没有本库的备份），因此无法发现连同末条记录一起被删改的情况；请及时备份。",
            ),
        }
        if self.anchors_superseded > 0 {
            m.push_str(&format!(
                "另有 {} 个核对点记的是从备份恢复以前的数据，已与恢复时另存的恢复前备份核对（因原文件损坏而恢复的除外）。",
                self.anchors_superseded
            ));
        }
        m
    }
}

fn broken(entries: i64, id: i64, why: String) -> Verification {
    Verification {
        entries,
        broken_at: Some(id),
        problem: Some(why),
        anchors_checked: 0,
        latest_anchor: None,
        anchors_superseded: 0,
    }
}

/// Recomputes the chain from the first entry and names the first one that does not fit; then
/// compares it with the head kept in the settings and, for a database file, with every anchor
/// kept outside it (see [`crate::store::anchors`]).
pub fn verify<'a>(db: impl Into<Db<'a>>) -> Result<Verification> {
    let db = db.into();
    let file = match db {
        Db::File(conn) => conn
            .path()
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from),
        // The server's anchors are its own dumps, kept by its administrator.
        Db::Server(_) => None,
    };
    let anchors = match (file, crate::store::anchors::database_id(db)?) {
        (Some(f), Some(id)) => crate::store::anchors::find(&f, &id),
        _ => Vec::new(),
    };
    verify_with(db, &anchors)
}

/// A restore in the log, and whether the data it replaced can be checked: its 恢复前 backup, of
/// this database, holding exactly the head the restore entry names.
struct Restore {
    id: i64,
    /// `YYYY-MM-DD HH:MM:SS`
    at: String,
    /// The 恢复前 backup, when it corroborates the restore.
    prior: Option<crate::store::anchors::OtherLog>,
    /// The restore is corroborated (by its 恢复前 backup, or by the damaged file kept).
    corroborated: bool,
    /// The file it names is not there (rotated away or deleted by hand).
    gone: bool,
    /// What was looked for, for the message when it is not there.
    safety: String,
}

impl Restore {
    fn read(db_id: &str, id: i64, at: String, detail: &str) -> Restore {
        let detail: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
        let text = |k: &str| detail[k].as_str().map(str::to_string);
        let replaced = detail["replaced_head"]
            .as_array()
            .and_then(|a| Some((a.first()?.as_i64()?, a.get(1)?.as_str()?.to_string())));
        let mut r = Restore {
            id,
            at,
            prior: None,
            corroborated: false,
            gone: false,
            safety: String::new(),
        };
        if let Some(safety) = text("safety") {
            let path = std::path::Path::new(&safety);
            r.gone = !path.exists();
            let log = crate::store::anchors::OtherLog::open(path, db_id);
            if let (Some(log), Some(replaced)) = (log, replaced) {
                if log.head() == Some(replaced) {
                    r.prior = Some(log);
                    r.corroborated = true;
                }
            }
            r.safety = safety;
        } else if let Some(damaged) = text("damaged") {
            // Recovered from a damaged file: the damaged file kept aside cannot be read, but it
            // is there.
            r.corroborated = std::path::Path::new(&damaged).exists();
            r.gone = !r.corroborated;
            r.safety = damaged;
        }
        r
    }
}

/// The restore entries of a log, newest first: (id, local time, detail).
fn restore_entries(conn: Db<'_>) -> Result<Vec<(i64, String, String)>> {
    conn.prepare("SELECT id, at, detail FROM audit_log WHERE action = 'restore' ORDER BY id DESC")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .map(|r| r.map(|(id, at, detail): (i64, String, String)| (id, local_time(&at), detail)))
        .collect::<rusqlite::Result<_>>()
        .map_err(Into::into)
}

/// Every restore the log's history goes through: the log's own restore entries (newest first),
/// then those in the 恢复前 backups they name, and so on — two restores one after the other
/// leave the first one's 恢复前 backup reachable only through the second's.
fn restore_history(conn: Db<'_>) -> Result<Vec<Restore>> {
    /// Enough for any office; a bound against 恢复前 backups that name each other.
    const MOST: usize = 64;
    let db_id = crate::store::anchors::database_id(conn)?.unwrap_or_default();
    let mut out: Vec<Restore> = restore_entries(conn)?
        .into_iter()
        .map(|(id, at, detail)| Restore::read(&db_id, id, at, &detail))
        .collect();
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut next = 0;
    while next < out.len() && out.len() < MOST {
        let deeper = match &out[next].prior {
            Some(prior) if seen.insert(out[next].safety.clone()) => {
                restore_entries(prior.conn().into()).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        for (id, at, detail) in deeper {
            if out.len() >= MOST {
                break;
            }
            out.push(Restore::read(&db_id, id, at, &detail));
        }
        next += 1;
    }
    Ok(out)
}

/// [`verify`] against the anchors given.
pub fn verify_with<'a>(db: impl Into<Db<'a>>, anchors: &[Anchor]) -> Result<Verification> {
    let conn = db.into();
    let mut prev = GENESIS.to_string();
    let mut expected_id = 1;
    let mut count = 0;
    // The hash of every entry, and the newest restore (its number and time).
    // The hashes of the entries the anchors name (not the whole log: it can be long).
    let wanted: std::collections::HashSet<i64> = anchors.iter().map(|a| a.id).collect();
    let mut hashes: std::collections::HashMap<i64, String> = Default::default();
    let mut last_restore: Option<(i64, String, String)> = None;
    let mut found: Option<Verification> = None;
    conn.for_each(
        "SELECT id, at, actor, action, entity, entity_id, summary, detail, prev_hash, hash, format
         FROM audit_log ORDER BY id",
        [],
        |r| {
            if found.is_some() {
                return Ok(());
            }
            let e = entry_from_row(r)?;
            let stored_prev: String = r.get(8)?;
            let stored_hash: String = r.get(9)?;
            let format: i64 = r.get(10)?;
            count += 1;
            if e.id != expected_id {
                found = Some(broken(
                    count,
                    expected_id,
                    if e.id - 1 == expected_id {
                        format!("第 {expected_id} 条记录被删除")
                    } else {
                        format!("第 {expected_id} 条到第 {} 条记录被删除", e.id - 1)
                    },
                ));
                return Ok(());
            }
            if stored_prev != prev {
                found = Some(broken(
                    count,
                    e.id,
                    "它与前一条记录接不上（记录被删除、调换或改写）".into(),
                ));
                return Ok(());
            }
            if hash_of(format, &prev, &e) != stored_hash {
                found = Some(broken(
                    count,
                    e.id,
                    "记录的内容与它的校验值不符（内容被改写）".into(),
                ));
                return Ok(());
            }
            if e.action == "restore" {
                last_restore = Some((e.id, local_time(&e.at), e.detail.clone()));
            }
            if wanted.contains(&e.id) {
                hashes.insert(e.id, stored_hash.clone());
            }
            prev = stored_hash;
            expected_id += 1;
            Ok(())
        },
    )?;
    if let Some(broken) = found {
        return Ok(broken);
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
    // The newest restore in the log, and (read only when an anchor needs them) every restore
    // the history goes through.
    let newest_restore = last_restore.map(|(_, at, _)| at);
    let mut history: Option<Vec<Restore>> = None;
    // Anchors kept outside the file, oldest first.
    let mut ordered: Vec<&Anchor> = anchors.iter().collect();
    ordered.sort_by(|a, b| (&a.at, a.id).cmp(&(&b.at, b.id)));
    let mut checked = 0;
    let mut superseded = 0;
    let mut latest = None;
    for a in ordered {
        if a.id < 1 {
            continue;
        }
        let here = hashes.get(&a.id);
        // An anchor taken before the newest restore describes the data the restore replaced,
        // where it does not fit the entries the restored backup shares: it is compared with the
        // 恢复前 backups the restores kept — and a newest restore its 恢复前 backup does not
        // corroborate excuses nothing.
        if let Some(newest_at) = &newest_restore {
            if a.at.as_str() <= newest_at.as_str() && here != Some(&a.hash) {
                if history.is_none() {
                    history = Some(restore_history(conn)?);
                }
                let all = history.as_deref().unwrap_or_default();
                let Some(newest) = all.first() else { break };
                if !newest.corroborated {
                    return Ok(broken(
                        count,
                        newest.id,
                        format!(
                            "第 {} 条记录说从备份恢复过，但它提到的恢复前备份“{}”不在或与记录不符，{} 的{}无法印证（恢复记录可能是伪造的）",
                            newest.id, newest.safety, a.at, a.source
                        ),
                    ));
                }
                let found = all.iter().any(|r| {
                    r.prior
                        .as_ref()
                        .is_some_and(|p| p.hash_of(a.id).as_ref() == Some(&a.hash))
                });
                // An earlier restore whose 恢复前 backup is no longer there (or one from a
                // damaged file) leaves what came before it uncheckable, not wrong.
                let unreadable = all.iter().enumerate().any(|(i, r)| {
                    a.at.as_str() <= r.at.as_str()
                        && ((r.corroborated && r.prior.is_none()) || (i > 0 && r.gone))
                });
                if found || unreadable {
                    superseded += 1;
                    continue;
                }
                return Ok(broken(
                    count,
                    a.id,
                    format!(
                        "{} 的“{}”与第 {} 条恢复记录所说的恢复前备份“{}”对不上（恢复之前的记录被改动过）",
                        a.at, a.source, newest.id, newest.safety
                    ),
                ));
            }
        }
        match here {
            None => {
                return Ok(broken(
                    count,
                    count + 1,
                    format!(
                        "{} 的{}记下日志已有 {} 条，现在只有 {count} 条（末尾的记录连同数据库内的核对值一起被删除）",
                        a.at, a.source, a.id
                    ),
                ))
            }
            Some(h) if *h != a.hash => {
                return Ok(broken(
                    count,
                    a.id,
                    format!(
                        "它与 {} 的{}中记下的不同（记录被改写后整条链被重算）",
                        a.at, a.source
                    ),
                ))
            }
            Some(_) => {
                checked += 1;
                latest = Some(a.clone());
            }
        }
    }
    Ok(Verification {
        entries: count,
        broken_at: None,
        problem: None,
        anchors_checked: checked,
        latest_anchor: latest,
        anchors_superseded: superseded,
    })
}

/// An entry's RFC 3339 time as `YYYY-MM-DD HH:MM:SS` (the anchors' form).
fn local_time(at: &str) -> String {
    at.chars().take(19).collect::<String>().replace('T', " ")
}

/// Checks an anchor printed on paper (the entry's number and the first hex digits of its hash,
/// spaces ignored) against the log.
pub fn check_printed<'a>(db: impl Into<Db<'a>>, id: i64, printed_hash: &str) -> Result<String> {
    let want: String = printed_hash
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if want.chars().count() < 8 || !want.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(crate::Error::Invalid(
            "请填写纸上印的核对值（至少 8 位，由 0–9 和 a–f 组成）。".into(),
        ));
    }
    let conn = db.into();
    let stored: Option<String> = conn
        .query_row("SELECT hash FROM audit_log WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    if !stored.as_deref().is_some_and(|h| h.starts_with(&want)) {
        // Printed before a restore? Then it is in the 恢复前 backup that restore kept.
        for r in restore_history(conn)? {
            if let Some(prior) = &r.prior {
                if prior.hash_of(id).is_some_and(|h| h.starts_with(&want)) {
                    return Ok(format!(
                        "一致：这张表打印于 {} 从备份恢复（操作日志第 {} 条）之前，与恢复时另存的恢复前备份“{}”中第 {id} 条的核对值相同。恢复以后的记录从那里重新开始，属正常。",
                        r.at, r.id, r.safety
                    ));
                }
            }
        }
    }
    Ok(match stored {
        None => format!(
            "不一致：纸上记的是第 {id} 条，但数据库的操作日志里没有第 {id} 条。说明日志末尾的记录被删除，请报告镇纪委和管理员。"
        ),
        Some(h) if h.starts_with(&want) => format!(
            "一致：数据库操作日志第 {id} 条的核对值与纸上印的相同，打印之后到这一条为止的记录没有被改动。"
        ),
        Some(_) => format!(
            "不一致：数据库操作日志第 {id} 条的核对值与纸上印的不同，说明这一条或它之前的记录被改写过，请报告镇纪委和管理员。"
        ),
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
pub fn list<'a>(
    db: impl Into<Db<'a>>,
    f: &Filter,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<Entry>)> {
    let conn = db.into();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, entity: &str) -> Entry {
        Entry {
            id: 7,
            at: "2026-11-29T10:00:00+08:00".into(),
            actor: "张三".into(),
            action: action.into(),
            entity: entity.into(),
            entity_id: "1".into(),
            summary: "摘要".into(),
            detail: "{}".into(),
        }
    }

    /// Format 1 joined fields with 0x1F, so moving text across a field boundary that contains
    /// 0x1F kept the hash; format 2 length-prefixes every field.
    #[test]
    fn the_hash_encoding_is_unambiguous() {
        let a = entry("case.move\u{1f}x", "y");
        let b = entry("case.move", "x\u{1f}y");
        assert_eq!(
            hash_of(1, GENESIS, &a),
            hash_of(1, GENESIS, &b),
            "the old encoding could not tell these apart"
        );
        assert_ne!(hash_of(2, GENESIS, &a), hash_of(2, GENESIS, &b));
        assert_ne!(
            hash_of(1, GENESIS, &a),
            hash_of(2, GENESIS, &a),
            "the format is part of what is hashed"
        );
    }

    /// Entries written before schema 8 keep verifying under their own encoding, and the chain
    /// continues across the change of format.
    #[test]
    fn old_entries_verify_under_their_own_format() {
        let conn = crate::store::db::open_in_memory().unwrap();
        let e = entry("old", "t");
        let e = Entry { id: 1, ..e };
        let hash = hash_of(1, GENESIS, &e);
        conn.execute(
            "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, summary, detail, prev_hash, hash, format)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)",
            rusqlite::params![e.at, e.actor, e.action, e.entity, e.entity_id, e.summary, e.detail, GENESIS, hash],
        )
        .unwrap();
        crate::store::settings::set(&conn, KEY_HEAD, &format!("1 {hash}")).unwrap();
        append(
            &conn,
            "2026-11-29T10:00:00+08:00",
            "new",
            "t",
            2,
            "新格式",
            serde_json::json!({}),
        )
        .unwrap();
        let v = verify(&conn).unwrap();
        assert!(v.ok(), "{}", v.message());
        assert_eq!(v.entries, 2);
        // Claiming the new format for the old entry breaks it.
        conn.execute("UPDATE audit_log SET format = 2 WHERE id = 1", [])
            .unwrap();
        assert_eq!(verify(&conn).unwrap().broken_at, Some(1));
    }
}
