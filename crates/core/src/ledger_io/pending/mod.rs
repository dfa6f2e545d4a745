//! 待核实: values of imported rows that could not be taken (a wrong ID checksum, a year like
//! 2031, a word outside the vocabulary). The household is imported with the field empty; the
//! value as written waits here, with the reason, on a worklist by village and 社, until a person
//! corrects it (here, or by importing a corrected ledger) or confirms that it stays empty.
//! Every settlement is in the change log (what was written → the value now stored) and the
//! operation log.

mod export;
pub(crate) mod open;

pub use export::export_xlsx;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ledger_io::import::apply::{field_value, pending_old};
use crate::ledger_io::import::headers::Field;
use crate::places::households::{Disclosure, Scope};
use crate::places::idcard;

/// One open 待核实 entry, as the worklist shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingCheck {
    pub id: i64,
    pub household_id: i64,
    pub village_id: i64,
    pub village: String,
    pub group_id: i64,
    pub group: String,
    pub head_name: String,
    /// The toilet's number within the household (户厕 1, 2 …) for a toilet field.
    pub toilet_seq: Option<i64>,
    /// The stored column (`build_year`, `id_number` …).
    pub field: String,
    /// The column as the ledger heads it (建设（改造）年度, 身份证号 …).
    pub field_label: String,
    /// The value as the ledger wrote it; ID and phone numbers masked unless disclosed.
    pub written: String,
    pub reason: String,
    /// The ledger file and row it came from.
    pub file_name: Option<String>,
    pub source_row: Option<i64>,
    pub created_at: String,
}

/// Open entries per village, for the worklist's village list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VillagePending {
    pub village_id: i64,
    pub village: String,
    pub households: i64,
    pub entries: i64,
}

/// The value as written and the reason (which quotes it), masked when it is an ID or phone
/// number and not disclosed.
fn shown(field: &str, written: String, reason: String, disclosure: Disclosure) -> (String, String) {
    let masked = match (disclosure, field) {
        (Disclosure::Masked, "id_number") => idcard::mask_id(&written),
        (Disclosure::Masked, "phone") => idcard::mask_phone(&written),
        _ => return (written, reason),
    };
    let reason = if written.is_empty() {
        reason
    } else {
        reason.replace(&written, &masked)
    };
    (masked, reason)
}

/// The open entries of the town, a village or a 社, in the order of the town's list (village,
/// 社, household, toilet, then the ledger's column order).
pub fn list(conn: &Connection, scope: Scope, disclosure: Disclosure) -> Result<Vec<PendingCheck>> {
    let (clause, id) = match scope {
        Scope::Town => ("?1 = 0", 0),
        Scope::Village(v) => ("h.village_id = ?1", v),
        Scope::Group(g) => ("h.group_id = ?1", g),
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT p.id, p.household_id, h.village_id, v.name, h.group_id, g.name, h.head_name,
                t.seq, p.field, p.written, p.reason, b.file_name, p.source_row, p.created_at
         FROM pending_checks p
         JOIN households h ON h.id = p.household_id
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         LEFT JOIN toilets t ON t.id = p.toilet_id
         LEFT JOIN import_batches b ON b.id = p.import_batch_id
         WHERE p.resolved_at IS NULL AND {clause}
         ORDER BY v.sort_order, v.id, g.sort_order, g.id, h.id, t.seq, p.id"
    ))?;
    let rows = stmt.query_map([id], |r| {
        let field: String = r.get(8)?;
        let (written, reason) = shown(&field, r.get(9)?, r.get(10)?, disclosure);
        Ok(PendingCheck {
            id: r.get(0)?,
            household_id: r.get(1)?,
            village_id: r.get(2)?,
            village: r.get(3)?,
            group_id: r.get(4)?,
            group: r.get(5)?,
            head_name: r.get(6)?,
            toilet_seq: r.get(7)?,
            field_label: Field::of_column(&field).map_or_else(String::new, Field::title),
            written,
            field,
            reason,
            file_name: r.get(11)?,
            source_row: r.get(12)?,
            created_at: r.get(13)?,
        })
    })?;
    let mut out: Vec<PendingCheck> = rows.collect::<rusqlite::Result<_>>()?;
    // Within a household and toilet, the ledger's column order.
    let order = |f: &str| Field::ALL.iter().position(|x| x.column() == Some(f));
    let mut i = 0;
    while i < out.len() {
        let mut j = i + 1;
        while j < out.len()
            && out[j].household_id == out[i].household_id
            && out[j].toilet_seq == out[i].toilet_seq
        {
            j += 1;
        }
        out[i..j].sort_by_key(|p| order(&p.field));
        i = j;
    }
    Ok(out)
}

/// The open entries of one household (its details pane).
pub fn of_household(
    conn: &Connection,
    household_id: i64,
    disclosure: Disclosure,
) -> Result<Vec<PendingCheck>> {
    let group: Option<i64> = conn
        .query_row(
            "SELECT group_id FROM households WHERE id = ?1",
            [household_id],
            |r| r.get(0),
        )
        .optional()?;
    let group = group.ok_or(Error::HouseholdNotFound(household_id))?;
    Ok(list(conn, Scope::Group(group), disclosure)?
        .into_iter()
        .filter(|p| p.household_id == household_id)
        .collect())
}

/// Villages with open entries: how many households and entries each.
pub fn by_village(conn: &Connection) -> Result<Vec<VillagePending>> {
    let mut stmt = conn.prepare(
        "SELECT v.id, v.name, COUNT(DISTINCT p.household_id), COUNT(*)
         FROM pending_checks p
         JOIN households h ON h.id = p.household_id
         JOIN villages v ON v.id = h.village_id
         WHERE p.resolved_at IS NULL
         GROUP BY v.id ORDER BY v.sort_order, v.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(VillagePending {
            village_id: r.get(0)?,
            village: r.get(1)?,
            households: r.get(2)?,
            entries: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An open entry as stored.
struct Entry {
    household_id: i64,
    toilet_id: Option<i64>,
    field: Field,
    written: String,
}

fn open_entry(conn: &Connection, id: i64) -> Result<Entry> {
    let found = conn
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
pub fn correct(conn: &Connection, id: i64, text: &str, by: &Settler) -> Result<()> {
    let e = open_entry(conn, id)?;
    let label = e.field.title();
    let value = field_value(e.field, text, by.current_year)
        .map_err(|m| Error::Invalid(format!("{label}：{m}")))?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "请填写更正后的{label}。如核实后确实无法填写，请选“核实后留空”。"
            ))
        })?;
    if e.field == Field::IdNumber {
        let holder: Option<(String, String, String)> = conn
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
    crate::store::conn::atomically(conn, |c| {
        c.execute(
            &format!(
                "UPDATE {table} SET {} = ?1, updated_at = ?2 WHERE id = ?3",
                value.column
            ),
            params![value.value, by.now, entity_id],
        )?;
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
                pending_old(&e.written),
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
            &format!("待核实更正：{label}改为“{}”", value.display),
            serde_json::json!({ "entry": id, "field": value.column }),
        )?;
        Ok(())
    })
}

/// Settles an open entry whose value was checked and stays empty (no such number, not known);
/// `note` says why.
pub fn leave_empty(conn: &Connection, id: i64, note: &str, by: &Settler) -> Result<()> {
    let e = open_entry(conn, id)?;
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::Invalid(
            "请写明核实情况（例如“户主无身份证”“年份不详”），再确认留空。".into(),
        ));
    }
    crate::store::conn::atomically(conn, |c| {
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

fn settle(c: &Connection, id: i64, resolution: &str, new_value: &str, by: &Settler) -> Result<()> {
    c.execute(
        "UPDATE pending_checks SET resolved_at = ?1, resolved_by = ?2, resolution = ?3, new_value = ?4
         WHERE id = ?5",
        params![by.now, by.actor, resolution, new_value, id],
    )?;
    Ok(())
}
