//! Settling 待核实 entries in the app: a corrected value, or a note that the field stays
//! empty; and recording a value that cannot be taken outside an import (the demo town).

use rusqlite::params;

use crate::error::{Error, Result};
use crate::ledger_io::import::apply::{display_stored, field_value, pending_old};
use crate::ledger_io::import::headers::Field;
use crate::store::sql::{Db, Optional};

/// An open entry as stored.
struct Entry {
    household_id: i64,
    toilet_id: Option<i64>,
    field: Field,
    written: String,
}

fn open_entry(db: Db<'_>, id: i64) -> Result<Entry> {
    let found = db
        .query_row(
            "SELECT household_id, toilet_id, field, written FROM pending_checks
             WHERE id = ?1 AND resolved_at IS NULL",
            [id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((household_id, toilet_id, field, written)) = found else {
        return Err(Error::Invalid(
            "这条待核实内容已经处理过（或已不存在）。请刷新待核实清单后再看。".into(),
        ));
    };
    let field = Field::of_column(&field)
        .ok_or_else(|| Error::Invalid(format!("待核实内容的字段“{field}”无法识别。")))?;
    Ok(Entry {
        household_id,
        toilet_id,
        field,
        written,
    })
}

/// Records `written` as 待核实 for `field` of a household (or its toilet) when it cannot be
/// taken, with the reason an import would give; returns whether it was recorded. The caller
/// leaves the field empty. (The demo town's ledger mistakes; an import records its own.)
pub(crate) fn record_unreadable<'a>(
    db: impl Into<Db<'a>>,
    household_id: i64,
    toilet_id: Option<i64>,
    field: Field,
    written: &str,
    year_max: i64,
    now: &str,
) -> Result<bool> {
    let Err(reason) = field_value(field, written, year_max) else {
        return Ok(false);
    };
    db.into().execute(
        "INSERT INTO pending_checks (household_id, toilet_id, field, written, reason, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            household_id,
            toilet_id,
            field.column(),
            written,
            reason,
            now
        ],
    )?;
    Ok(true)
}

/// Who settles an entry, and when.
pub struct Settler<'a> {
    pub actor: &'a str,
    pub now: &'a str,
    /// Years after this are refused as implausible.
    pub current_year: i64,
}

/// Corrects the value of an open entry: `text` is read as an import reads the column, stored,
/// logged (what the ledger wrote → the corrected value) and the entry settled. A value that
/// still cannot be taken, or an ID number another household holds, is refused with the reason.
pub fn correct<'a>(db: impl Into<Db<'a>>, id: i64, text: &str, by: &Settler) -> Result<()> {
    let db = db.into();
    let e = open_entry(db, id)?;
    let label = e.field.title();
    let value = field_value(e.field, text, by.current_year)
        .map_err(|m| Error::Invalid(format!("{label}：{m}")))?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "请填写更正后的{label}。如核实后确实无法填写，请选“核实后留空”。"
            ))
        })?;
    if e.field == Field::IdNumber {
        let holder: Option<(String, String, String)> = db
            .query_row(
                "SELECT v.name, g.name, h.head_name FROM households h
                 JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
                 WHERE h.id_number = ?1 AND h.id <> ?2",
                params![value.display, e.household_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((v, g, name)) = holder {
            return Err(Error::Invalid(format!(
                "身份证号 {} 已登记在{v}{g}“{name}”户下。同一个身份证号不能属于两户，请核对是哪一户的号码。",
                value.display
            )));
        }
    }
    let (table, entity, entity_id) = match e.toilet_id {
        Some(t) => ("toilets", "toilet", t),
        None => ("households", "household", e.household_id),
    };
    // The value stored meanwhile, if any: the change log says what the correction replaces.
    let stored: rusqlite::types::Value = db.query_row(
        &format!("SELECT {} FROM {table} WHERE id = ?1", value.column),
        [entity_id],
        |r| r.get(0),
    )?;
    let old = pending_old(&e.written, display_stored(value.column, &stored).as_deref());
    // ID and phone numbers stay out of the operation log, which roles without access to
    // personal data read.
    let summary = match e.field {
        Field::IdNumber | Field::Phone => format!("待核实更正：{label}已更正"),
        _ => format!("待核实更正：{label}改为“{}”", value.display),
    };
    db.atomically(|c| {
        c.execute(
            &format!(
                "UPDATE {table} SET {} = ?1, updated_at = ?2 WHERE id = ?3",
                value.column
            ),
            params![value.value, by.now, entity_id],
        )?;
        if e.field == Field::TechMode {
            // As an import does: the mode says whether the toilet is sanitary, when nothing did.
            let sanitary = match &value.value {
                rusqlite::types::Value::Text(code) => {
                    crate::model::TechMode::from_code(code).and_then(|m| m.is_sanitary())
                }
                _ => None,
            };
            c.execute(
                "UPDATE toilets SET is_sanitary = ?1 WHERE id = ?2 AND is_sanitary IS NULL",
                params![sanitary, entity_id],
            )?;
        }
        if e.field == Field::IdNumber {
            let rev: String = value.display.chars().rev().collect();
            c.execute(
                "UPDATE households SET id_number_rev = ?1 WHERE id = ?2",
                params![rev, e.household_id],
            )?;
        }
        c.execute(
            "INSERT INTO change_log (at, actor, entity, entity_id, field, old_value, new_value, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '待核实更正')",
            params![
                by.now,
                by.actor,
                entity,
                entity_id,
                value.label,
                old,
                value.display
            ],
        )?;
        settle(c, id, "corrected", &value.display, by)?;
        crate::store::audit::append(
            c,
            by.now,
            "correct_pending",
            "household",
            e.household_id,
            &summary,
            serde_json::json!({ "entry": id, "field": value.column }),
        )?;
        Ok(())
    })
}

/// Settles an open entry whose value was checked and stays empty (no such number, not known);
/// `note` says why.
pub fn leave_empty<'a>(db: impl Into<Db<'a>>, id: i64, note: &str, by: &Settler) -> Result<()> {
    let db = db.into();
    let e = open_entry(db, id)?;
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::Invalid(
            "请写明核实情况（例如“户主无身份证”“年份不详”），再确认留空。".into(),
        ));
    }
    db.atomically(|c| {
        settle(c, id, "left_empty", &format!("（留空）{note}"), by)?;
        crate::store::audit::append(
            c,
            by.now,
            "leave_pending_empty",
            "household",
            e.household_id,
            &format!("待核实核实后留空：{}（{note}）", e.field.title()),
            serde_json::json!({ "entry": id, "field": e.field.column() }),
        )?;
        Ok(())
    })
}

fn settle(c: Db<'_>, id: i64, resolution: &str, new_value: &str, by: &Settler) -> Result<()> {
    c.execute(
        "UPDATE pending_checks SET resolved_at = ?1, resolved_by = ?2, resolution = ?3, new_value = ?4
         WHERE id = ?5",
        params![by.now, by.actor, resolution, new_value, id],
    )?;
    Ok(())
}
