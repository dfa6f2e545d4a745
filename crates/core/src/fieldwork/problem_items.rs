//! 问题口径: the problem items of the inspection checklist, in form order. Edited by an
//! administrator; nothing is deleted — an item that is retired stays on the records that name it.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::ProblemPart;
use crate::store::sql::{Db, Optional, Row};

/// One item of the 问题口径 checklist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemItem {
    pub id: i64,
    pub part: ProblemPart,
    pub name: String,
    /// Default severity: 影响使用 (true) or 不影响使用.
    pub stops_use: bool,
    pub sort_order: i64,
    pub retired: bool,
}

/// A problem item to add or the new values of one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProblemItemInput {
    pub part: ProblemPart,
    pub name: String,
    pub stops_use: bool,
    #[serde(default)]
    pub retired: bool,
}

fn item_from_row(r: &Row) -> rusqlite::Result<ProblemItem> {
    Ok(ProblemItem {
        id: r.get(0)?,
        part: r.get(1)?,
        name: r.get(2)?,
        stops_use: r.get(3)?,
        sort_order: r.get(4)?,
        retired: r.get(5)?,
    })
}

/// The checklist in the paper form's order (by part, then the item's order).
pub fn problem_items<'a>(db: impl Into<Db<'a>>, include_retired: bool) -> Result<Vec<ProblemItem>> {
    let mut stmt = db.into().prepare_cached(
        "SELECT id, part, name, stops_use, sort_order, retired FROM problem_items
         WHERE retired = 0 OR ?1 = 1",
    )?;
    let mut rows: Vec<ProblemItem> = stmt
        .query_map([include_retired], item_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    let part_order = |p: ProblemPart| ProblemPart::ALL.iter().position(|x| *x == p);
    rows.sort_by_key(|i| (part_order(i.part), i.sort_order, i.id));
    Ok(rows)
}

fn clean_item_name(name: &str) -> Result<String> {
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err(Error::Invalid("请填写问题名称。".into()));
    }
    if name.chars().count() > 40 {
        return Err(Error::Invalid(
            "问题名称不要超过 40 个字；详细情况在核查时写在备注里。".into(),
        ));
    }
    Ok(name)
}

fn duplicate_message(part: ProblemPart, name: &str) -> Error {
    Error::Invalid(format!(
        "“{}”部位已经有“{name}”这一项（可能已停用）。请改用原有的一项，或换一个名称。",
        part.label()
    ))
}

fn item_duplicate(e: Error, part: ProblemPart, name: &str) -> Error {
    match e {
        Error::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            duplicate_message(part, name)
        }
        e => e,
    }
}

/// Refuses a name the part already has (another item than `except`): the server's refusal of
/// the unique key does not say which key, and it spoils the transaction.
fn refuse_duplicate(conn: Db<'_>, part: ProblemPart, name: &str, except: i64) -> Result<()> {
    if conn.exists(
        "SELECT 1 FROM problem_items WHERE part = ?1 AND name = ?2 AND id <> ?3",
        params![part, name, except],
    )? {
        return Err(duplicate_message(part, name));
    }
    Ok(())
}

pub fn add_problem_item<'a>(
    db: impl Into<Db<'a>>,
    input: &ProblemItemInput,
    now: &str,
) -> Result<i64> {
    db.into()
        .atomically(|conn| add_problem_item_in(conn, input, now))
}

fn add_problem_item_in(conn: Db<'_>, input: &ProblemItemInput, now: &str) -> Result<i64> {
    let name = clean_item_name(&input.name)?;
    refuse_duplicate(conn, input.part, &name, 0)?;
    let next: i64 = conn.query_row(
        "SELECT coalesce(max(sort_order), 0) + 10 FROM problem_items WHERE part = ?1",
        [input.part],
        |r| r.get(0),
    )?;
    let id: i64 = conn
        .query_row(
            "INSERT INTO problem_items (part, name, stops_use, sort_order, retired)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![input.part, name, input.stops_use, next, input.retired],
            |r| r.get(0),
        )
        .map_err(|e| item_duplicate(e, input.part, &name))?;
    crate::store::audit::append(
        conn,
        now,
        "problem_item.add",
        "problem_item",
        id,
        &format!("添加问题口径“{}·{name}”", input.part.label()),
        serde_json::json!({ "part": input.part.code(), "name": name, "stops_use": input.stops_use }),
    )?;
    Ok(id)
}

/// Renames, re-grades or retires an item. Records already made keep pointing at it, and keep
/// the severity they were recorded with.
pub fn update_problem_item<'a>(
    db: impl Into<Db<'a>>,
    id: i64,
    input: &ProblemItemInput,
    now: &str,
) -> Result<()> {
    db.into()
        .atomically(|conn| update_problem_item_in(conn, id, input, now))
}

fn update_problem_item_in(
    conn: Db<'_>,
    id: i64,
    input: &ProblemItemInput,
    now: &str,
) -> Result<()> {
    let name = clean_item_name(&input.name)?;
    refuse_duplicate(conn, input.part, &name, id)?;
    let old: Option<(String, bool, bool)> = conn
        .query_row(
            "SELECT name, stops_use, retired FROM problem_items WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let changed = conn
        .execute(
            "UPDATE problem_items SET part = ?2, name = ?3, stops_use = ?4, retired = ?5 WHERE id = ?1",
            params![id, input.part, name, input.stops_use, input.retired],
        )
        .map_err(|e| item_duplicate(e, input.part, &name))?;
    if changed == 0 {
        return Err(Error::Invalid(format!(
            "找不到编号为 {id} 的问题项，请刷新后重试。"
        )));
    }
    let (old_name, old_stops, old_retired) = old.unwrap_or_default();
    crate::store::audit::append(
        conn,
        now,
        "problem_item.update",
        "problem_item",
        id,
        &format!("修改问题口径“{old_name}”"),
        serde_json::json!({
            "name": [old_name, name],
            "stops_use": [old_stops, input.stops_use],
            "retired": [old_retired, input.retired],
        }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_checklist_is_seeded_in_form_order_and_editable() {
        let conn = crate::store::db::open_in_memory().unwrap();
        let items = problem_items(&conn, false).unwrap();
        assert!(items.len() >= 30, "{} items", items.len());
        assert_eq!(items[0].part, ProblemPart::House);
        assert_eq!(items.last().unwrap().part, ProblemPart::Usage);
        let leak = items.iter().find(|i| i.name == "渗漏").unwrap();
        assert!(leak.stops_use);
        let lid = items.iter().find(|i| i.name == "池盖缺失或破损").unwrap();
        assert!(!lid.stops_use);

        let id = add_problem_item(
            &conn,
            &ProblemItemInput {
                part: ProblemPart::Tank,
                name: "出粪口未封闭".into(),
                stops_use: false,
                retired: false,
            },
            "2026-11-29T10:00:00+08:00",
        )
        .unwrap();
        let dup = add_problem_item(
            &conn,
            &ProblemItemInput {
                part: ProblemPart::Tank,
                name: "渗漏".into(),
                stops_use: true,
                retired: false,
            },
            "2026-11-29T10:00:00+08:00",
        )
        .unwrap_err();
        assert!(dup.to_string().contains("已经有"), "{dup}");
        update_problem_item(
            &conn,
            id,
            &ProblemItemInput {
                part: ProblemPart::Tank,
                name: "出粪口未封闭".into(),
                stops_use: false,
                retired: true,
            },
            "2026-11-29T10:00:00+08:00",
        )
        .unwrap();
        assert!(!problem_items(&conn, false)
            .unwrap()
            .iter()
            .any(|i| i.id == id));
        assert!(problem_items(&conn, true)
            .unwrap()
            .iter()
            .any(|i| i.id == id && i.retired));
    }
}
