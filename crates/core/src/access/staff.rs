//! 工作人员: the office's staff list, from whom inspection groups, operators and verifiers are
//! picked, and whom an account may be linked to. Edited by an administrator; nothing is deleted —
//! a person who leaves stays on the records that name them.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::sql::{Db, Optional, Row};

/// 工作人员.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Staff {
    pub id: i64,
    pub name: String,
    /// 单位, e.g. 镇农业服务中心, 某某村村委.
    pub unit: String,
    pub phone: Option<String>,
    /// 职务/角色 as the office words it (包村干部, 督导组 …).
    pub roles: String,
    pub active: bool,
}

/// A staff member to add or the new values of one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StaffInput {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub roles: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn staff_from_row(r: &Row<'_>) -> rusqlite::Result<Staff> {
    Ok(Staff {
        id: r.get(0)?,
        name: r.get(1)?,
        unit: r.get(2)?,
        phone: r.get(3)?,
        roles: r.get(4)?,
        active: r.get(5)?,
    })
}

const STAFF_COLUMNS: &str = "id, name, unit, phone, roles, active";

/// The staff list, active people first, then by unit and name.
pub fn list_staff<'a>(db: impl Into<Db<'a>>, include_inactive: bool) -> Result<Vec<Staff>> {
    let mut stmt = db.into().prepare_cached(&format!(
        "SELECT {STAFF_COLUMNS} FROM staff WHERE active = 1 OR ?1 = 1
         ORDER BY active DESC, unit, name"
    ))?;
    let rows = stmt
        .query_map([include_inactive], staff_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// One staff member by id.
pub fn get_staff<'a>(db: impl Into<Db<'a>>, id: i64) -> Result<Staff> {
    db.into()
        .prepare_cached(&format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = ?1"))?
        .query_row([id], staff_from_row)
        .optional()?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "找不到编号为 {id} 的工作人员。请在“工作人员”名单中重新选择。"
            ))
        })
}

fn clean(input: &StaffInput) -> Result<StaffInput> {
    // Cleaned as an imported name is: nothing invisible, full-width to half-width, no spaces.
    let name = crate::text::name(&input.name).unwrap_or_default();
    if name.is_empty() {
        return Err(Error::Invalid("请填写工作人员的姓名。".into()));
    }
    if name.chars().count() > 20 {
        return Err(Error::Invalid(format!(
            "姓名“{name}”超过 20 个字，请检查是否填错了栏目。"
        )));
    }
    let phone = input
        .phone
        .as_deref()
        .map(|p| crate::text::clean(p).replace(' ', ""))
        .filter(|p| !p.is_empty());
    if let Some(p) = &phone {
        if !p.chars().all(|c| c.is_ascii_digit() || c == '-') || p.len() < 7 {
            return Err(Error::Invalid(format!(
                "联系电话“{p}”不像电话号码：只能填数字和“-”，至少 7 位。"
            )));
        }
    }
    Ok(StaffInput {
        name,
        unit: crate::text::clean(&input.unit),
        phone,
        roles: crate::text::clean(&input.roles),
        active: input.active,
    })
}

/// The message for a second person of one unit with the same name.
fn duplicate(input: &StaffInput) -> Error {
    Error::Invalid(format!(
        "“{}”（{}）已经在工作人员名单中。同单位同名的两个人请在姓名后加以区分，例如“张伟（二社）”。",
        input.name,
        if input.unit.is_empty() { "未填单位" } else { &input.unit }
    ))
}

/// Whether someone other than `except` of the unit has the name.
fn taken(db: Db<'_>, s: &StaffInput, except: i64) -> Result<bool> {
    db.exists(
        "SELECT 1 FROM staff WHERE name = ?1 AND unit = ?2 AND id <> ?3",
        params![s.name, s.unit, except],
    )
}

/// Adds a staff member; a second person of one unit with the same name is refused.
pub fn add_staff<'a>(db: impl Into<Db<'a>>, input: &StaffInput, now: &str) -> Result<i64> {
    db.into().atomically(|db| add_staff_in(db, input, now))
}

fn add_staff_in(db: Db<'_>, input: &StaffInput, now: &str) -> Result<i64> {
    let s = clean(input)?;
    // Looked up first: on the server a refused insert would still use up an id (and the demo
    // town draws names until one is free). A name taken meanwhile by another PC gives no row on
    // either engine.
    if taken(db, &s, 0)? {
        return Err(duplicate(&s));
    }
    let id = db
        .prepare_cached(
            "INSERT INTO staff (name, unit, phone, roles, active, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING RETURNING id",
        )?
        .query_row(
            params![s.name, s.unit, s.phone, s.roles, s.active, now],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .ok_or_else(|| duplicate(&s))?;
    crate::store::audit::append(
        db,
        now,
        "staff.add",
        "staff",
        id,
        &format!("添加工作人员“{}”（{}）", s.name, s.unit),
        serde_json::json!({ "name": s.name, "unit": s.unit, "phone": s.phone, "roles": s.roles }),
    )?;
    Ok(id)
}

/// Changes a staff member's details; `active = false` takes them off the pick lists.
pub fn update_staff<'a>(
    db: impl Into<Db<'a>>,
    id: i64,
    input: &StaffInput,
    now: &str,
) -> Result<()> {
    db.into()
        .atomically(|db| update_staff_in(db, id, input, now))
}

fn update_staff_in(db: Db<'_>, id: i64, input: &StaffInput, now: &str) -> Result<()> {
    let old = get_staff(db, id)?;
    let s = clean(input)?;
    if taken(db, &s, id)? {
        return Err(duplicate(&s));
    }
    db.prepare_cached(
        "UPDATE staff SET name = ?2, unit = ?3, phone = ?4, roles = ?5, active = ?6 WHERE id = ?1",
    )?
    .execute(params![id, s.name, s.unit, s.phone, s.roles, s.active])?;
    crate::store::audit::append(
        db,
        now,
        "staff.update",
        "staff",
        id,
        &format!("修改工作人员“{}”", old.name),
        serde_json::json!({
            "name": [old.name, s.name],
            "unit": [old.unit, s.unit],
            "phone": [old.phone, s.phone],
            "roles": [old.roles, s.roles],
            "active": [old.active, s.active],
        }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db;

    fn person(name: &str, unit: &str) -> StaffInput {
        StaffInput {
            name: name.into(),
            unit: unit.into(),
            phone: None,
            roles: String::new(),
            active: true,
        }
    }

    #[test]
    fn staff_are_added_listed_and_retired_not_deleted() {
        let conn = db::open_in_memory().unwrap();
        let a = add_staff(&conn, &person(" 李明 ", "镇农业服务中心"), "t").unwrap();
        let b = add_staff(&conn, &person("王芳", "石鱼村"), "t").unwrap();
        let err = add_staff(&conn, &person("李明", "镇农业服务中心"), "t").unwrap_err();
        assert!(err.to_string().contains("已经在工作人员名单中"), "{err}");
        let mut retired = person("王芳", "石鱼村");
        retired.active = false;
        update_staff(&conn, b, &retired, "2026-11-29T10:00:00+08:00").unwrap();
        let active = list_staff(&conn, false).unwrap();
        assert_eq!(active.iter().map(|s| s.id).collect::<Vec<_>>(), vec![a]);
        assert_eq!(active[0].name, "李明", "names are trimmed");
        assert_eq!(list_staff(&conn, true).unwrap().len(), 2);
        let mut bad = person("赵六", "");
        bad.phone = Some("电话".into());
        assert!(add_staff(&conn, &bad, "t").is_err());
        assert!(add_staff(&conn, &person("  ", ""), "t").is_err());
    }
}
