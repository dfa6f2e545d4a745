//! Writing one row's differing fields, each change logged as old → new.

use rusqlite::params;
use rusqlite::types::{FromSql, ToSql, ToSqlOutput, Value};

use super::index::Places;
use super::stored::{AtDoor, Door, Stored, HOUSEHOLD_COLUMNS};
use super::types::{ImportOptions, ImportReport};
use super::values::{display_stored, household_fields, FieldValue, Values};
use crate::error::Result;
use crate::store::sql::Db;

/// The change log of one import. On the file each change is written as it is made; on the
/// server the changes wait and go [`ChangeLog::BATCH`] rows to a statement (a round trip a
/// change would be the slow part there), in the same order, so they get the same ids.
/// [`ChangeLog::finish`] writes the rest.
pub(super) struct ChangeLog<'a> {
    db: Db<'a>,
    /// The waiting rows' values, [`ChangeLog::COLUMNS`] a row.
    waiting: Vec<Value>,
    /// The statement of a full batch, made once.
    batch_sql: String,
}

impl<'a> ChangeLog<'a> {
    const COLUMNS: usize = 9;
    const BATCH: usize = 500;

    pub(super) fn new(db: Db<'a>) -> ChangeLog<'a> {
        ChangeLog {
            db,
            waiting: Vec::new(),
            batch_sql: match db {
                Db::File(_) => String::new(),
                Db::Server(_) => Self::insert(Self::BATCH),
            },
        }
    }

    /// The insert of `rows` rows.
    fn insert(rows: usize) -> String {
        let values: Vec<String> = (0..rows)
            .map(|r| {
                let p: Vec<String> = (1..=Self::COLUMNS)
                    .map(|c| format!("?{}", r * Self::COLUMNS + c))
                    .collect();
                format!("({})", p.join(", "))
            })
            .collect();
        format!(
            "INSERT INTO change_log (at, actor, entity, entity_id, field, old_value, new_value, source,
                                     import_batch_id)
             VALUES {}",
            values.join(", ")
        )
    }

    /// One change: at, actor, entity, entity id, field, old value, new value, source, batch.
    pub(super) fn add(&mut self, change: &[&dyn ToSql]) -> Result<()> {
        debug_assert_eq!(change.len(), Self::COLUMNS);
        if let Db::File(_) = self.db {
            self.db.execute(&ONE_CHANGE, change)?;
            return Ok(());
        }
        for v in change {
            self.waiting.push(match v.to_sql()? {
                ToSqlOutput::Borrowed(v) => {
                    Value::column_result(v).expect("any value reads as one")
                }
                ToSqlOutput::Owned(v) => v,
                _ => unreachable!("the change log holds plain values"),
            });
        }
        if self.waiting.len() >= Self::BATCH * Self::COLUMNS {
            let batch: Vec<&dyn ToSql> = self.waiting.iter().map(|v| v as &dyn ToSql).collect();
            self.db.execute(&self.batch_sql, &batch)?;
            self.waiting.clear();
        }
        Ok(())
    }

    /// Writes the changes still waiting.
    pub(super) fn finish(self) -> Result<()> {
        for row in self.waiting.chunks(Self::COLUMNS) {
            let row: Vec<&dyn ToSql> = row.iter().map(|v| v as &dyn ToSql).collect();
            self.db.execute(&ONE_CHANGE, &row)?;
        }
        Ok(())
    }
}

/// The insert of one change.
static ONE_CHANGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| ChangeLog::insert(1));

/// Updates the household's fields that the row gives and that differ, and moves it to another
/// 社 when the row says so. Returns whether anything changed, and the 社 and head's name the
/// household had before the row (the row may have moved it, or named a new head: 户主变更).
#[allow(clippy::too_many_arguments)]
pub(super) fn update_household(
    tx: Db<'_>,
    ready: &mut dyn FnMut() -> Result<()>,
    log: &mut ChangeLog<'_>,
    id: i64,
    group_id: i64,
    v: &Values,
    places: &Places,
    opts: &ImportOptions,
    source: &str,
    batch_id: Option<i64>,
    report: &mut ImportReport,
    stored: &mut Stored,
    pending: &[(&'static str, String)],
) -> Result<(bool, i64, String)> {
    let mut current = stored.household(tx, id)?;
    let old_name = match &current[0] {
        Value::Text(name) => name.clone(),
        _ => String::new(),
    };
    let mut changed = update_fields(
        tx,
        ready,
        log,
        "households",
        "household",
        id,
        &household_fields(v),
        &mut current,
        &HOUSEHOLD_COLUMNS,
        opts,
        source,
        batch_id,
        report,
        pending,
        None,
    )?;
    let current_group = match current[8] {
        Value::Integer(g) => g,
        _ => 0,
    };
    if current_group != group_id {
        ready()?;
        tx.execute(
            "UPDATE households SET group_id = ?1, village_id = (SELECT village_id FROM village_groups WHERE id = ?1), updated_at = ?2 WHERE id = ?3",
            params![group_id, opts.now, id],
        )?;
        current[8] = Value::Integer(group_id);
        log.add(params![
            opts.now,
            opts.actor,
            "household",
            id,
            "社",
            places.names.get(&current_group),
            places.names.get(&group_id),
            source,
            batch_id
        ])?;
        report.fields_changed += 1;
        changed = true;
    }
    if changed {
        stored.set_household(id, &current);
    }
    if let Some(name) = v.head_name.as_ref().filter(|n| **n != old_name) {
        // A new head of household (户主变更): keep the search keys in step.
        ready()?;
        crate::places::households::replace_keys(tx, id, name)?;
    }
    Ok((changed, current_group, old_name))
}

/// Writes the given fields of one row where they differ from what is stored (`current`, the
/// values of `columns`), logging each change and keeping `current` in step. `table` and the
/// columns come from this module only, never from input. `pending` names the columns whose
/// 待核实 value this row settles: the change log's old value is what the earlier ledger wrote.
/// `ready` is called before each write (a row queued on the server is written first). With
/// `door` (a toilet's fields), a value that differs is first asked whether field work
/// established the stored one: then it is kept, and listed in `door.kept`.
#[allow(clippy::too_many_arguments)]
pub(super) fn update_fields(
    tx: Db<'_>,
    ready: &mut dyn FnMut() -> Result<()>,
    log: &mut ChangeLog<'_>,
    table: &'static str,
    entity: &'static str,
    id: i64,
    fields: &[FieldValue],
    current: &mut [Value],
    columns: &[&str],
    opts: &ImportOptions,
    source: &str,
    batch_id: Option<i64>,
    report: &mut ImportReport,
    pending: &[(&'static str, String)],
    mut door: Option<&mut Door>,
) -> Result<bool> {
    let mut changed = false;
    for f in fields {
        let i = columns
            .iter()
            .position(|c| *c == f.column)
            .expect("every imported field is a stored column");
        if current[i] == f.value {
            continue;
        }
        if let Some(door) = door.as_deref_mut() {
            if let Some(how) = door.at_door(tx, id, f.label, &current[i])? {
                let stored = display_stored(f.column, &current[i]);
                door.kept.push((f.column, f.display.clone(), stored, how));
                continue;
            }
            door.written(id, f.label);
        }
        let old = std::mem::replace(&mut current[i], f.value.clone());
        ready()?;
        tx.execute(
            &format!(
                "UPDATE {table} SET {} = ?1, updated_at = ?2 WHERE id = ?3",
                f.column
            ),
            params![f.value, opts.now, id],
        )?;
        if f.column == "id_number" {
            let rev: Option<String> = match &f.value {
                Value::Text(s) => Some(s.chars().rev().collect()),
                _ => None,
            };
            tx.execute(
                "UPDATE households SET id_number_rev = ?1 WHERE id = ?2",
                params![rev, id],
            )?;
        }
        log.add(params![
            opts.now,
            opts.actor,
            entity,
            id,
            f.label,
            match pending.iter().find(|(c, _)| *c == f.column) {
                Some((_, written)) => Some(pending_old(
                    written,
                    display_stored(f.column, &old).as_deref()
                )),
                None => display_stored(f.column, &old),
            },
            f.display,
            source,
            batch_id
        ])?;
        report.fields_changed += 1;
        changed = true;
    }
    Ok(changed)
}

/// How a 待核实 value reads as the old value of the change that settles it: what the ledger
/// wrote, and the value stored meanwhile if there was one (a later ledger wrote something that
/// could not be taken over a good value).
pub(crate) fn pending_old(written: &str, stored: Option<&str>) -> String {
    match stored {
        None => format!("{written}（待核实）"),
        Some(s) => format!("{s}（台账又写作“{written}”，待核实）"),
    }
}

/// What the report says of a ledger value kept out because field work established the stored
/// value at the door: what the ledger wrote, what the door found, and what to do if the ledger
/// is right (an inspection's correction is the one way to change it).
pub(super) fn door_note(written: &str, stored: Option<&str>, how: AtDoor) -> String {
    let door = match (how, stored) {
        (AtDoor::Corrected, Some(s)) => format!("入户核查已核实为“{s}”"),
        (AtDoor::Found, Some(s)) => format!("入户核查新增户厕时记为“{s}”"),
        (_, None) => "入户核查已核实为空".to_string(),
    };
    format!("台账写“{written}”，{door}，未改动；如台账正确，请在入户核查中更正")
}
